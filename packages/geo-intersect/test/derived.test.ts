import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import gdal from 'gdal-async';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResultFile, sha256File } from '@geoworks/pandarus-format';
import { pandarusFixture } from '@geoworks/test-fixtures';
import {
  calculateRemaining,
  intersect,
  intersectionsFromIntersection,
  type IntersectResult,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'geo-intersect-derived-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const outDir = () => mkdtempSync(join(dir, 'out-'));
const relative = (actual: number, expected: number) => Math.abs(actual / expected - 1);

type Data<Row> = { data: Row[]; metadata: Record<string, Record<string, unknown>> };

// pandarus's test_intersections_from_intersection reference rows (grid x square), by cell.
const GRID_X_SQUARE: Record<string, number> = {
  'grid cell 0': 3097719886.0413523,
  'grid cell 1': 3097248058.207055,
  'grid cell 2': 3097719886.041353,
  'grid cell 3': 3097248058.207057,
};

describe('grid x square and the intersections derived from it', () => {
  let result: IntersectResult;
  beforeAll(async () => {
    result = await intersect(
      { path: pandarusFixture('grid.geojson'), field: 'name' },
      { path: pandarusFixture('square.geojson'), field: 'name' },
      { outDir: outDir(), cpus: 0 },
    );
  });

  it('reproduces the reference areas to 1e-6', async () => {
    const file = await readResultFile<Data<[string, string, number]>>(result.dataPath);
    expect(file.data.map(([a, b]) => [a, b])).toEqual(
      Object.keys(GRID_X_SQUARE).map((cell) => [cell, 'single']),
    );
    for (const [cell, , area] of file.data)
      expect(relative(area, GRID_X_SQUARE[cell]!)).toBeLessThan(1e-6);
  });

  it('writes both derived intersections, bz2, with pandarus names, rows and metadata', async () => {
    const out = outDir();
    const derived = await intersectionsFromIntersection(result.vectorPath, { outDir: out });
    const vectorHash = await sha256File(result.vectorPath);
    expect(derived.firstPath).toBe(
      join(out, `${vectorHash}.${result.metadata.first.sha256}.json.bz2`),
    );
    expect(derived.secondPath).toBe(
      join(out, `${vectorHash}.${result.metadata.second.sha256}.json.bz2`),
    );
    const first = await readResultFile<Data<[number, string, number]>>(derived.firstPath);
    expect(first.data.map(([id, label]) => [id, label])).toEqual([
      [0, 'grid cell 0'],
      [1, 'grid cell 1'],
      [2, 'grid cell 2'],
      [3, 'grid cell 3'],
    ]);
    for (const [, cell, area] of first.data)
      expect(relative(area, GRID_X_SQUARE[cell]!)).toBeLessThan(1e-6);
    const second = await readResultFile<Data<[number, string, number]>>(derived.secondPath);
    expect(second.data.map(([id, label]) => [id, label])).toEqual(
      [0, 1, 2, 3].map((id) => [id, 'single']),
    );
    expect(Object.keys(first.metadata).sort()).toEqual(['first', 'second', 'when']);
    expect(first.metadata.first).toEqual({
      field: 'id',
      path: result.vectorPath,
      filename: result.vectorPath.split('/').pop(),
      sha256: vectorHash,
    });
    expect(first.metadata.second).toEqual({ ...result.metadata.first });
    expect(second.metadata.second).toEqual({ ...result.metadata.second });
  });

  it('refuses a vector file without its metadata file', async () => {
    const lonely = join(dir, 'lonely.geojson');
    writeFileSync(lonely, readFileSync(result.vectorPath));
    await expect(intersectionsFromIntersection(lonely, { outDir: outDir() })).rejects.toThrow(
      "Can't find the metadata file of lonely.geojson",
    );
  });
});

/** The area of a 1 x 1 degree cell from latitude `south` on the sphere of radius 6378137. */
const cellArea = (south: number) =>
  6378137 ** 2 *
  (Math.PI / 180) *
  (Math.sin(((south + 1) * Math.PI) / 180) - Math.sin((south * Math.PI) / 180));

describe('the derived steps take every intersection output, in every format', () => {
  for (const format of ['GeoJSON', 'GPKG'] as const) {
    it(`point counts (${format}): a real "measure", derived intersections and remaining`, async () => {
      const points = pandarusFixture('points.geojson');
      const out = outDir();
      const grid = { path: pandarusFixture('grid.geojson'), field: 'name' };
      const result = await intersect({ path: points, field: 'id' }, grid, {
        outDir: out,
        cpus: 0,
        format,
      });
      // What GDAL (and so fiona, for pandarus) reads: pandarus's schema, measure a real.
      const written = gdal.open(result.vectorPath);
      expect(written.layers.get(0).fields.get('measure').type).toBe(gdal.OFTReal);
      written.close();
      const derived = await intersectionsFromIntersection(result.vectorPath, {
        metadataPath: result.dataPath,
        outDir: out,
      });
      const first = await readResultFile<Data<[number, number, number]>>(derived.firstPath);
      expect(first.data).toEqual([
        [0, 1, 2],
        [1, 1, 1],
        [2, 2, 1],
      ]);
      const second = await readResultFile<Data<[number, string, number]>>(derived.secondPath);
      expect(second.data).toEqual([
        [0, 'grid cell 0', 2],
        [1, 'grid cell 2', 1],
        [2, 'grid cell 3', 1],
      ]);
      // Every point of both features lies in some cell: nothing remains.
      const remaining = await calculateRemaining({ path: points, field: 'id' }, result.vectorPath, {
        outDir: out,
      });
      expect((await readResultFile<Data<[number, number]>>(remaining.path)).data).toEqual([
        [1, 0],
        [2, 0],
      ]);
    });

    it(`no overlap (${format}): empty derived intersections, whole remaining areas`, async () => {
      const out = outDir();
      const bigGrid = { path: pandarusFixture('big-grid.geojson'), field: 'name' };
      const result = await intersect(
        bigGrid,
        { path: pandarusFixture('square.geojson'), field: 'name' },
        { outDir: out, cpus: 0, format },
      );
      expect(result.count).toBe(0);
      const derived = await intersectionsFromIntersection(result.vectorPath, {
        metadataPath: result.dataPath,
        outDir: out,
      });
      expect((await readResultFile<Data<unknown[]>>(derived.firstPath)).data).toEqual([]);
      expect((await readResultFile<Data<unknown[]>>(derived.secondPath)).data).toEqual([]);
      const remaining = await calculateRemaining(bigGrid, result.vectorPath, { outDir: out });
      const file = await readResultFile<Data<[string, number]>>(remaining.path);
      expect(file.data.map(([label]) => label)).toEqual(Object.keys(GRID_X_SQUARE));
      // big-grid's cells span latitudes 7-8 and 8-9; straight edges in Mollweide differ from
      // the sphere's parallels by far less than 1e-4.
      const south = [7, 8, 7, 8];
      file.data.forEach(([, area], i) =>
        expect(relative(area, cellArea(south[i]!))).toBeLessThan(1e-4),
      );
    });
  }
});

describe('calculateRemaining', () => {
  it("reproduces pandarus's remaining area of outside after its intersection with grid", async () => {
    const intersection = await intersect(
      { path: pandarusFixture('outside.geojson'), field: 'name' },
      { path: pandarusFixture('grid.geojson'), field: 'name' },
      { outDir: outDir(), cpus: 0 },
    );
    const out = outDir();
    const remaining = await calculateRemaining(
      { path: pandarusFixture('outside.geojson'), field: 'name' },
      intersection.vectorPath,
      { outDir: out, compress: true },
    );
    const sourceHash = await sha256File(pandarusFixture('outside.geojson'));
    const intersectionHash = await sha256File(intersection.vectorPath);
    expect(remaining.path).toBe(join(out, `${sourceHash}.${intersectionHash}.json.bz2`));
    const file = await readResultFile<Data<[string, number]>>(remaining.path);
    expect(file.data).toHaveLength(1);
    expect(file.data[0]![0]).toBe('by-myself');
    expect(relative(file.data[0]![1], 6191048105.59)).toBeLessThan(1e-6);
    expect(Object.keys(file.metadata).sort()).toEqual(['intersections', 'source', 'when']);
    expect(file.metadata.intersections).toMatchObject({ field: 'id', sha256: intersectionHash });
    expect(file.metadata.source).toMatchObject({
      field: 'name',
      filename: 'outside.geojson',
      sha256: sourceHash,
    });
  });

  it('gives the whole measure to features without intersections', async () => {
    const intersection = await intersect(
      { path: pandarusFixture('outside.geojson'), field: 'name' },
      { path: pandarusFixture('grid.geojson'), field: 'name' },
      { outDir: outDir(), cpus: 0 },
    );
    const remaining = await calculateRemaining(
      { path: pandarusFixture('grid.geojson'), field: 'name' },
      intersection.vectorPath,
      {
        outDir: outDir(),
      },
    );
    const file = await readResultFile<Data<[string, number]>>(remaining.path);
    expect(file.data.map(([label]) => label)).toEqual([
      'grid cell 0',
      'grid cell 1',
      'grid cell 2',
      'grid cell 3',
    ]);
    // No intersection has a grid cell as from_label: each keeps its whole area (4 quarters).
    for (const [cell, area] of file.data)
      expect(relative(area, 4 * GRID_X_SQUARE[cell]!)).toBeLessThan(2e-3);
  });

  it('refuses files that are not intersection outputs (pandarus KeyError / TypeError cases)', async () => {
    const base = JSON.parse(readFileSync(pandarusFixture('grid.geojson'), 'utf8')) as {
      features: { properties: Record<string, unknown> }[];
    };
    const write = (name: string, properties: (i: number) => Record<string, unknown>) => {
      const path = join(dir, name);
      writeFileSync(
        path,
        JSON.stringify({
          ...base,
          features: base.features.map((f, i) => ({ ...f, properties: properties(i) })),
        }),
      );
      return path;
    };
    const source = { path: pandarusFixture('outside.geojson'), field: 'name' };
    const noId = write('no-id.geojson', () => ({
      from_label: 'by-myself',
      to_label: 'x',
      measure: 1.5,
    }));
    await expect(calculateRemaining(source, noId, { outDir: outDir() })).rejects.toThrow(
      'no-id.geojson is not an intersection file: its fields must be exactly id, from_label, to_label, measure',
    );
    const stringId = write('string-id.geojson', (i) => ({
      id: `x${i}`,
      from_label: 'by-myself',
      to_label: 'x',
      measure: 1.5,
    }));
    await expect(calculateRemaining(source, stringId, { outDir: outDir() })).rejects.toThrow(
      '"id" must be an integer field and "measure" a real one',
    );
    const stringMeasure = write('string-measure.geojson', (i) => ({
      id: i,
      from_label: 'by-myself',
      to_label: 'x',
      measure: 'big',
    }));
    await expect(calculateRemaining(source, stringMeasure, { outDir: outDir() })).rejects.toThrow(
      '"id" must be an integer field and "measure" a real one',
    );
  });
});
