import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readResultFile, sha256File } from '@geoworks/pandarus-format';
import { pandarusFixture } from '@geoworks/test-fixtures';
import {
  BandOutOfRangeError,
  NotARasterError,
  rasterStatistics,
  zonalStatistics,
  type ZonalRow,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'raster-stats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const grid = { path: pandarusFixture('grid.geojson'), field: 'name' };
const range = { path: pandarusFixture('range.tif') };

async function collect(iterable: AsyncIterable<ZonalRow>): Promise<ZonalRow[]> {
  const rows: ZonalRow[] = [];
  for await (const row of iterable) rows.push(row);
  return rows;
}

function expectClose(
  actual: Record<string, number | null | undefined>,
  expected: Record<string, number>,
) {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) {
    const got = actual[name];
    expect(got, name).not.toBeNull();
    expect(
      Math.abs(got! - value) / Math.max(1, Math.abs(value)),
      `${name}: ${got} vs ${value}`,
    ).toBeLessThan(1e-6);
  }
}

// pandarus's test_raster_statistics references on grid x range.tif (spec sections 2 and 7).
const CENTRE = [
  { min: 30, max: 47, mean: 38.5, count: 12 },
  { min: 0, max: 17, mean: 8.5, count: 12 },
  { min: 33, max: 49, mean: 41.0, count: 8 },
  { min: 3, max: 19, mean: 11.0, count: 8 },
];
const COVERAGE = [
  { min: 30, max: 47, mean: 38.29999923706055, count: 10 },
  { min: 0, max: 17, mean: 8.300000190734863, count: 10 },
  { min: 32, max: 49, mean: 40.70000076293945, count: 10 },
  { min: 2, max: 19, mean: 10.699999809265137, count: 10 },
];

describe('zonal statistics on the pandarus fixtures', () => {
  for (const reader of ['geotiff', 'gdal'] as const) {
    it(`matches rasterstats (pixel centres) with the ${reader} reader`, async () => {
      const rows = await collect(zonalStatistics(grid, range, { reader }));
      expect(rows.map((row) => row.label)).toEqual([
        'grid cell 0',
        'grid cell 1',
        'grid cell 2',
        'grid cell 3',
      ]);
      rows.forEach((row, i) => expectClose(row.stats as Record<string, number>, CENTRE[i]!));
      expect(Number.isInteger(rows[0]!.stats.count)).toBe(true);
    });

    it(`matches exactextract / pandarus_remote (coverage-weighted) with the ${reader} reader`, async () => {
      const rows = await collect(zonalStatistics(grid, range, { reader, rule: 'coverage' }));
      rows.forEach((row, i) => expectClose(row.stats as Record<string, number>, COVERAGE[i]!));
    });
  }

  it('gives the same rows, in order, from worker processes', async () => {
    for (const rule of ['centre', 'coverage'] as const) {
      const local = await collect(zonalStatistics(grid, range, { rule }));
      const parallel = await collect(zonalStatistics(grid, range, { rule, cpus: 2 }));
      expect(parallel).toEqual(local);
    }
  });

  it('gives the same rows, in layer order, from workers over several chunks', async () => {
    const { writeFileSync } = await import('node:fs');
    const gdal = (await import('gdal-async')).default;
    // A 300 x 300 raster and 4,500 small squares in a scrambled order: three chunks of work
    // for two workers, each chunk split by raster row.
    const rasterPath = join(dir, 'chunks.tif');
    const dataset = gdal.open(rasterPath, 'w', 'GTiff', 300, 300, 1, 'Float32');
    dataset.geoTransform = [0, 0.1, 0, 30, 0, -0.1];
    dataset.srs = gdal.SpatialReference.fromEPSG(4326);
    dataset.bands.get(1).pixels.write(
      0,
      0,
      300,
      300,
      Float32Array.from({ length: 90_000 }, (_, i) => (i * 7) % 101),
    );
    dataset.close();
    const features = Array.from({ length: 4500 }, (_, k) => {
      const i = (k * 2741) % 4500; // scrambled: neighbours in the file are far apart
      const [x, y] = [(i % 75) * 0.4 + 0.05, Math.floor(i / 75) * 0.5 + 0.05];
      return {
        type: 'Feature',
        properties: { id: k },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [x, y],
              [x + 0.33, y],
              [x + 0.33, y + 0.27],
              [x, y + 0.27],
              [x, y],
            ],
          ],
        },
      };
    });
    const vectorPath = join(dir, 'chunks.geojson');
    writeFileSync(vectorPath, JSON.stringify({ type: 'FeatureCollection', features }));
    const vector = { path: vectorPath, field: 'id' };
    for (const rule of ['centre', 'coverage'] as const) {
      const progress: number[] = [];
      const local = await collect(zonalStatistics(vector, { path: rasterPath }, { rule }));
      const parallel = await collect(
        zonalStatistics(
          vector,
          { path: rasterPath },
          {
            rule,
            cpus: 2,
            onProgress: (fraction) => progress.push(fraction),
          },
        ),
      );
      expect(parallel).toHaveLength(4500);
      expect(parallel.map((row) => row.label)).toEqual(features.map((f) => f.properties.id));
      expect(parallel).toEqual(local);
      expect(local.every((row) => (row.stats.count ?? 0) > 0)).toBe(true);
      // Reported once per chunk, rising to 1.
      expect(progress).toEqual([2048 / 4500, 4096 / 4500, 1]);
    }
  });

  it('counts every touched pixel with all-touched', async () => {
    const rows = await collect(
      zonalStatistics(grid, range, { rule: 'all-touched', stats: ['count', 'nodata'] }),
    );
    // Column 2 straddles x = 1 and touches both sides; row 4 and 5 are nodata (-1).
    expect(rows.map((row) => row.stats)).toEqual([
      { count: 12, nodata: 3 },
      { count: 12, nodata: 3 },
      { count: 12, nodata: 3 },
      { count: 12, nodata: 3 },
    ]);
  });

  it('computes every statistic on request', async () => {
    const [cell0] = await collect(
      zonalStatistics(grid, range, {
        stats: [
          'min',
          'max',
          'mean',
          'count',
          'sum',
          'std',
          'median',
          'majority',
          'minority',
          'unique',
          'range',
          'nodata',
        ],
      }),
    );
    // Cell 0 under the centre rule: rows 6-9 (row 5 is nodata), columns 0-2: 30..32, 35..37, 40..42, 45..47.
    const values = [30, 31, 32, 35, 36, 37, 40, 41, 42, 45, 46, 47];
    const mean = values.reduce((a, b) => a + b) / values.length;
    const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    expect(cell0!.stats).toEqual({
      min: 30,
      max: 47,
      mean,
      count: 12,
      sum: 462,
      std: expect.closeTo(std, 12),
      median: 38.5,
      majority: 30,
      minority: 30,
      unique: 12,
      range: 17,
      nodata: 3,
    });
  });

  it('reads every pixel type, signed bytes included, with its nodata value', async () => {
    const { writeFileSync } = await import('node:fs');
    const gdal = (await import('gdal-async')).default;
    const square = join(dir, 'square.geojson');
    writeFileSync(
      square,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { id: 1 },
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [0, 0],
                  [4, 0],
                  [4, 4],
                  [0, 4],
                  [0, 0],
                ],
              ],
            },
          },
        ],
      }),
    );
    const types: [string, string[], [number, number]][] = [
      ['Byte', [], [0, 255]],
      ['Byte', ['PIXELTYPE=SIGNEDBYTE'], [-128, 127]],
      ['Int16', [], [-32768, 32767]],
      ['UInt16', [], [0, 65535]],
      ['Int32', [], [-2147483648, 2147483647]],
      ['UInt32', [], [0, 4294967295]],
      ['Float32', [], [-1e30, 1e30]],
      ['Float64', [], [-1e300, 1e300]],
    ];
    for (const [type, options, [low, high]] of types) {
      const path = join(dir, `${type}-${options.length}.tif`);
      const dataset = gdal.open(path, 'w', 'GTiff', 4, 4, 1, type, options);
      dataset.geoTransform = [0, 1, 0, 4, 0, -1];
      dataset.srs = gdal.SpatialReference.fromEPSG(4326);
      const band = dataset.bands.get(1);
      band.noDataValue = high;
      // Two corners at the type's extremes, one of them nodata; the rest 1..14.
      const values = Array.from({ length: 16 }, (_, i) => (i === 0 ? low : i === 15 ? high : i));
      // GDAL 3.6 writes signed bytes as their unsigned bit patterns.
      band.pixels.write(
        0,
        0,
        4,
        4,
        options.length > 0 ? Uint8Array.from(Int8Array.from(values)) : Float64Array.from(values),
      );
      dataset.close();
      const [row] = await collect(
        zonalStatistics(
          { path: square, field: 'id' },
          { path },
          { stats: ['min', 'max', 'sum', 'count', 'nodata'] },
        ),
      );
      expect(row!.stats, `${type} ${options.join(' ')}`).toEqual({
        // A float32 band holds -1e30 as the nearest float32; its nodata 1e30 matches likewise.
        min: type === 'Float32' ? Math.fround(low) : low,
        max: 14,
        sum: (type === 'Float32' ? Math.fround(low) : low) + 105,
        count: 15,
        nodata: 1,
      });
    }
  });

  it('gives nulls and count 0 for features outside the raster', async () => {
    const rows = await collect(
      zonalStatistics({ path: pandarusFixture('big-grid.geojson'), field: 'name' }, range),
    );
    expect(rows.map((row) => row.stats)).toEqual(
      Array(4).fill({ min: null, max: null, mean: null, count: 0 }),
    );
  });

  it('reprojects the vector to the raster CRS instead of only warning', async () => {
    const rows = await collect(
      zonalStatistics({ path: pandarusFixture('grid-3410.geojson'), field: 'name' }, range, {
        rule: 'coverage',
      }),
    );
    // The same cells in EPSG:3410 land on the same pixels once reprojected.
    rows.forEach((row, i) =>
      expect(Math.abs(row.stats.mean! / COVERAGE[i]!.mean - 1)).toBeLessThan(1e-3),
    );
  });

  it('refuses a non-raster, a missing band, an unknown statistic and line datasets', async () => {
    await expect(
      collect(zonalStatistics(grid, { path: pandarusFixture('grid.geojson') })),
    ).rejects.toThrow(NotARasterError);
    await expect(
      collect(zonalStatistics(grid, { path: pandarusFixture('invalid.txt') })),
    ).rejects.toThrow('invalid.txt is not a readable raster');
    await expect(collect(zonalStatistics(grid, { ...range, band: 2 }))).rejects.toThrow(
      BandOutOfRangeError,
    );
    await expect(
      collect(zonalStatistics(grid, range, { stats: ['mode' as 'min'] })),
    ).rejects.toThrow('Unknown statistic "mode"');
    await expect(
      collect(
        zonalStatistics({ path: pandarusFixture('duplicates.geojson'), field: 'name' }, range),
      ),
    ).rejects.toThrow('must identify features uniquely');
  });
});

describe('rasterStatistics (the pandarus result file)', () => {
  it('writes rows and metadata under pandarus’s name', async () => {
    const out = mkdtempSync(join(dir, 'out-'));
    const result = await rasterStatistics(grid, range, {
      outDir: out,
      rule: 'coverage',
      compress: true,
    });
    const vectorHash = await sha256File(grid.path);
    const rasterHash = await sha256File(range.path);
    expect(result.path).toBe(join(out, `${vectorHash}-${rasterHash}-1.json.bz2`));
    const file = await readResultFile<{
      data: [string, Record<string, number>][];
      metadata: Record<string, unknown>;
    }>(result.path);
    expect(file.data.map(([label]) => label)).toEqual([
      'grid cell 0',
      'grid cell 1',
      'grid cell 2',
      'grid cell 3',
    ]);
    file.data.forEach(([, stats], i) => expectClose(stats, COVERAGE[i]!));
    expect(file.metadata).toEqual({
      vector: { sha256: vectorHash, filename: 'grid.geojson', field: 'name', path: grid.path },
      raster: { sha256: rasterHash, filename: 'range.tif', path: range.path, band: 1 },
      when: expect.any(String),
    });
    expect(readdirSync(out)).toEqual([`${vectorHash}-${rasterHash}-1.json.bz2`]);
  });
});
