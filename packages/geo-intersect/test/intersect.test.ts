import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetNotFoundError, DuplicateLabelError } from '@geoworks/geodata';
import { readResultFile } from '@geoworks/pandarus-format';
import { pandarusFixture } from '@geoworks/test-fixtures';
import { intersect, SecondNotPolygonsError, UnsupportedGeometryError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'geo-intersect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const outDir = () => mkdtempSync(join(dir, 'out-'));

/** pandarus's reference: a quarter of a 1-degree cell near the equator, ~ (4e7/360)^2 / 4. */
const QUARTER_CELL = (1 / 4) * (4e7 / 360) ** 2;
/** The exact value of that quarter on spherical Mollweide (spec section 2). */
const OUTSIDE_X_GRID = 3096540361.37;

type Data = {
  data: [unknown, unknown, number][];
  metadata: Record<string, Record<string, unknown> & { when?: string }>;
};

describe('intersect', () => {
  it('reproduces pandarus on outside x grid, in order, with metadata and hashes', async () => {
    for (const cpus of [0, 2]) {
      const result = await intersect(
        { path: pandarusFixture('outside.geojson'), field: 'name' },
        { path: pandarusFixture('grid.geojson'), field: 'name' },
        { outDir: mkdtempSync(join(dir, 'o-')), cpus },
      );
      expect(result.count).toBe(2);
      const file = await readResultFile<Data>(result.dataPath);
      expect(file.data.map(([a, b]) => [a, b])).toEqual([
        ['by-myself', 'grid cell 1'],
        ['by-myself', 'grid cell 3'],
      ]);
      for (const [, , area] of file.data) expect(area).toBeCloseTo(OUTSIDE_X_GRID, 1);
      for (const [, , area] of file.data)
        expect(Math.abs(area / OUTSIDE_X_GRID - 1)).toBeLessThan(1e-6);
      expect(file.metadata.first).toEqual({
        sha256: result.metadata.first.sha256,
        filename: 'outside.geojson',
        field: 'name',
        path: pandarusFixture('outside.geojson'),
      });
      expect(file.metadata.second!.filename).toBe('grid.geojson');
      expect(typeof file.metadata.when).toBe('string');
      const name = `${result.metadata.first.sha256}.${result.metadata.second.sha256}`;
      expect(result.dataPath).toMatch(new RegExp(`/${name}\\.json$`));
      expect(result.vectorPath).toMatch(new RegExp(`/${name}\\.geojson$`));
    }
  });

  it('writes the vector file with pandarus schema, WGS84 (CRS84) and Multi* geometries', async () => {
    const result = await intersect(
      { path: pandarusFixture('outside.geojson'), field: 'name' },
      { path: pandarusFixture('grid-ints.geojson'), field: 'name' },
      { outDir: outDir(), cpus: 0 },
    );
    const geojson = JSON.parse(readFileSync(result.vectorPath, 'utf8')) as {
      crs: { properties: { name: string } };
      features: { properties: Record<string, unknown>; geometry: { type: string } }[];
    };
    expect(geojson.crs.properties.name).toBe('urn:ogc:def:crs:OGC:1.3:CRS84');
    expect(geojson.features.map((f) => f.properties)).toEqual([
      { id: 0, from_label: 'by-myself', to_label: 1, measure: expect.closeTo(OUTSIDE_X_GRID, 1) },
      { id: 1, from_label: 'by-myself', to_label: 3, measure: expect.closeTo(OUTSIDE_X_GRID, 1) },
    ]);
    expect(geojson.features.map((f) => f.geometry.type)).toEqual(['MultiPolygon', 'MultiPolygon']);
    // Integer labels stay integers in the data file.
    const file = await readResultFile<Data>(result.dataPath);
    expect(file.data.map(([, b]) => b)).toEqual([1, 3]);
  });

  it('reprojects both inputs to WGS84 (EPSG:3410 x EPSG:3857)', async () => {
    const result = await intersect(
      { path: pandarusFixture('grid-3410.geojson'), field: 'name' },
      { path: pandarusFixture('square-3857.geojson'), field: 'name' },
      { outDir: outDir(), cpus: 0 },
    );
    const file = await readResultFile<Data>(result.dataPath);
    expect(file.data.map(([a, b]) => [a, b])).toEqual([
      ['grid cell 0', 'single'],
      ['grid cell 1', 'single'],
      ['grid cell 2', 'single'],
      ['grid cell 3', 'single'],
    ]);
    for (const [, , area] of file.data)
      expect(Math.abs(area / QUARTER_CELL - 1)).toBeLessThan(1e-2);
  });

  it('gives an empty, valid result when nothing intersects (pandarus crashes here)', async () => {
    const result = await intersect(
      { path: pandarusFixture('big-grid.geojson'), field: 'name' },
      { path: pandarusFixture('grid.geojson'), field: 'name' },
      { outDir: outDir(), cpus: 1, compress: true },
    );
    expect(result.count).toBe(0);
    expect(result.dataPath).toMatch(/\.json\.bz2$/);
    expect((await readResultFile<Data>(result.dataPath)).data).toEqual([]);
    const geojson = JSON.parse(readFileSync(result.vectorPath, 'utf8')) as { features: unknown[] };
    expect(geojson.features).toEqual([]);
  });

  it('an edge-only touch gives nothing', async () => {
    const result = await intersect(
      { path: pandarusFixture('grid.geojson'), field: 'name' },
      { path: pandarusFixture('grid-ints.geojson'), field: 'name' },
      { outDir: outDir(), cpus: 0 },
    );
    const file = await readResultFile<Data>(result.dataPath);
    // Each cell meets only itself: neighbours share edges, which are not intersections.
    expect(file.data.map(([a, b]) => [a, b])).toEqual([
      ['grid cell 0', 0],
      ['grid cell 1', 1],
      ['grid cell 2', 2],
      ['grid cell 3', 3],
    ]);
  });

  it('measures lines in metres and counts points', async () => {
    const lines = join(dir, 'lines.geojson');
    writeFileSync(
      lines,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { id: 'along-equator' },
            geometry: {
              type: 'LineString',
              coordinates: [
                [0.5, 0.5],
                [1.5, 0.5],
              ],
            },
          },
          {
            type: 'Feature',
            properties: { id: 'far' },
            geometry: {
              type: 'LineString',
              coordinates: [
                [10, 10],
                [11, 10],
              ],
            },
          },
        ],
      }),
    );
    const points = pandarusFixture('points.geojson');
    const grid = { path: pandarusFixture('grid.geojson'), field: 'name' };
    const lineResult = await readResultFile<Data>(
      (await intersect({ path: lines, field: 'id' }, grid, { outDir: outDir(), cpus: 0 })).dataPath,
    );
    expect(lineResult.data.map(([a, b]) => [a, b])).toEqual([
      ['along-equator', 'grid cell 0'],
      ['along-equator', 'grid cell 2'],
    ]);
    // Half a degree of longitude at 0.5 N on spherical Mollweide: 50.1 km.
    for (const [, , length] of lineResult.data) expect(length).toBeGreaterThan(50_000);
    for (const [, , length] of lineResult.data) expect(length).toBeLessThan(60_000);
    const pointResult = await readResultFile<Data>(
      (await intersect({ path: points, field: 'id' }, grid, { outDir: outDir(), cpus: 0 }))
        .dataPath,
    );
    expect(pointResult.data).toEqual([
      [1, 'grid cell 0', 2],
      [1, 'grid cell 2', 1],
      [2, 'grid cell 3', 1],
    ]);
  });

  it('refuses duplicate labels, geometry collections, a non-polygon second and a missing field', async () => {
    const grid = { path: pandarusFixture('grid.geojson'), field: 'name' };
    await expect(
      intersect({ path: pandarusFixture('duplicates.geojson'), field: 'name' }, grid, {
        outDir: outDir(),
        cpus: 0,
      }),
    ).rejects.toThrow(DuplicateLabelError);
    await expect(
      intersect(
        grid,
        { path: pandarusFixture('duplicates.geojson'), field: 'name' },
        { outDir: outDir(), cpus: 0 },
      ),
    ).rejects.toThrow(
      'duplicates.geojson: field "name" must identify features uniquely, but features 0 and 1 both have "foo"',
    );
    await expect(
      intersect({ path: pandarusFixture('gc.geojson'), field: 'name' }, grid, {
        outDir: outDir(),
        cpus: 0,
      }),
    ).rejects.toThrow(UnsupportedGeometryError);
    const lines = join(dir, 'lines-second.geojson');
    writeFileSync(
      lines,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { id: 'l' },
            geometry: {
              type: 'LineString',
              coordinates: [
                [0, 0],
                [1, 1],
              ],
            },
          },
        ],
      }),
    );
    await expect(
      intersect(grid, { path: lines, field: 'id' }, { outDir: outDir(), cpus: 0 }),
    ).rejects.toThrow(SecondNotPolygonsError);
    // With workers the second dataset is read in them; its errors keep their class.
    await expect(
      intersect(grid, { path: lines, field: 'id' }, { outDir: outDir(), cpus: 1 }),
    ).rejects.toThrow(SecondNotPolygonsError);
    await expect(
      intersect(grid, { path: lines, field: 'id' }, { outDir: outDir(), cpus: 1 }),
    ).rejects.toThrow('the second dataset must hold Polygon or MultiPolygon geometries');
    await expect(
      intersect(
        grid,
        { path: pandarusFixture('duplicates.geojson'), field: 'name' },
        { outDir: outDir(), cpus: 2 },
      ),
    ).rejects.toThrow(DuplicateLabelError);
    await expect(
      intersect(
        grid,
        { path: join(dir, 'no-such.geojson'), field: 'id' },
        { outDir: outDir(), cpus: 1 },
      ),
    ).rejects.toThrow(DatasetNotFoundError);
    await expect(
      intersect({ ...grid, field: 'nom' }, grid, { outDir: outDir(), cpus: 0 }),
    ).rejects.toThrow('grid.geojson has no field "nom"; its fields are: name');
    await expect(
      intersect({ path: pandarusFixture('invalid.txt'), field: 'name' }, grid, {
        outDir: outDir(),
        cpus: 0,
      }),
    ).rejects.toThrow('invalid.txt is not a readable vector dataset');
  });

  it('leaves no output file behind when it fails or is aborted', async () => {
    const out = outDir();
    await expect(
      intersect(
        { path: pandarusFixture('grid.geojson'), field: 'name' },
        { path: pandarusFixture('duplicates.geojson'), field: 'name' },
        { outDir: out, cpus: 0 },
      ),
    ).rejects.toThrow();
    const controller = new AbortController();
    controller.abort();
    await expect(
      intersect(
        { path: pandarusFixture('grid.geojson'), field: 'name' },
        { path: pandarusFixture('grid.geojson'), field: 'name' },
        { outDir: out, cpus: 0, signal: controller.signal },
      ),
    ).rejects.toThrow();
    expect(readdirSync(out)).toEqual([]);
  });
});
