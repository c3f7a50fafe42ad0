// Intersections whose results used to fail the derived-intersection step: point counts and no
// overlap at all, in both export formats, over HTTP as brightway2-regional asks for them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readResultFile } from '@geoworks/pandarus-format';
import { sha256, startService } from './helpers.js';

type Rows<Row> = { data: Row[] };

describe('intersections that end finished in every export format', () => {
  for (const format of ['GeoJSON', 'GPKG']) {
    it(`counts points in polygons, with the derived intersections (${format})`, async () => {
      const service = await startService({ PANDARUS_EXPORT_FORMAT: format });
      const pair = {
        first: (await service.uploadFixture('points.geojson')).sha256,
        second: (await service.uploadFixture('grid.geojson')).sha256,
      };
      const started = await service.post('/calculate-intersection', pair);
      expect(started.status).toBe(200);
      expect(await service.poll(await started.text())).toEqual({ status: 'finished', error: null });

      const data = await service.download('/intersection', pair);
      expect((await readResultFile<Rows<unknown[]>>(data.saved)).data).toEqual([
        ['two in cell 0, one in cell 2', 'grid cell 0', 2],
        ['two in cell 0, one in cell 2', 'grid cell 2', 1],
        ['in cell 3', 'grid cell 3', 1],
      ]);
      const vector = await service.download('/intersection-file', pair);
      const vectorHash = sha256(readFileSync(vector.saved));
      const derived = await service.download('/intersection', {
        first: vectorHash,
        second: pair.second,
      });
      expect((await readResultFile<Rows<unknown[]>>(derived.saved)).data).toEqual([
        [0, 'grid cell 0', 2],
        [1, 'grid cell 2', 1],
        [2, 'grid cell 3', 1],
      ]);
      expect((await service.catalog()).intersections).toEqual([
        [pair.first, pair.second],
        [vectorHash, pair.first],
        [vectorHash, pair.second],
      ]);
    });

    it(`gives an empty result when nothing overlaps (${format})`, async () => {
      const service = await startService({ PANDARUS_EXPORT_FORMAT: format });
      const pair = {
        first: (await service.uploadFixture('big-grid.geojson')).sha256,
        second: (await service.uploadFixture('square.geojson')).sha256,
      };
      const started = await service.post('/calculate-intersection', pair);
      expect(await service.poll(await started.text())).toEqual({ status: 'finished', error: null });

      const data = await service.download('/intersection', pair);
      expect((await readResultFile<Rows<unknown[]>>(data.saved)).data).toEqual([]);
      const vector = await service.download('/intersection-file', pair);
      const vectorHash = sha256(readFileSync(vector.saved));
      for (const second of [pair.first, pair.second]) {
        const derived = await service.download('/intersection', { first: vectorHash, second });
        expect((await readResultFile<Rows<unknown[]>>(derived.saved)).data).toEqual([]);
      }
      // Remaining areas of the first dataset: every cell keeps its whole area.
      const remaining = await service.post('/calculate-remaining', pair);
      expect(await service.poll(await remaining.text())).toEqual({
        status: 'finished',
        error: null,
      });
      const areas = await service.download('/remaining', pair);
      const rows = (await readResultFile<Rows<[string, number]>>(areas.saved)).data;
      expect(rows.map(([label]) => label)).toEqual([
        'grid cell 0',
        'grid cell 1',
        'grid cell 2',
        'grid cell 3',
      ]);
      // 1 x 1 degree cells from latitudes 7 and 8 on the sphere of radius 6378137.
      const expected = [12285857565.95, 12255757734.11, 12285857565.95, 12255757734.11];
      rows.forEach(([, area], i) => expect(Math.abs(area / expected[i]! - 1)).toBeLessThan(1e-4));
    });
  }
});
