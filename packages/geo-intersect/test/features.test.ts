import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import { afterAll, describe, expect, it } from 'vitest';
import { DuplicateLabelError } from '@geoworks/geodata';
import { readResultFile } from '@geoworks/pandarus-format';
import { pandarusFixture } from '@geoworks/test-fixtures';
import {
  intersect,
  intersectFeatures,
  SecondNotPolygonsError,
  UnsupportedGeometryError,
  type IntersectionFeature,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'geo-intersect-features-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const features = (name: string) =>
  (JSON.parse(readFileSync(pandarusFixture(name), 'utf8')) as FeatureCollection).features;
const relative = (actual: number, expected: number) => Math.abs(actual / expected - 1);
const all = async <T>(rows: AsyncIterable<T>) => {
  const list: T[] = [];
  for await (const row of rows) list.push(row);
  return list;
};

// pandarus's reference areas: grid x square (test_intersections_from_intersection) and the
// quarter of `outside` in grid cells 1 and 3 (test_intersect).
const GRID_X_SQUARE: [string, number][] = [
  ['grid cell 0', 3097719886.0413523],
  ['grid cell 1', 3097248058.207055],
  ['grid cell 2', 3097719886.041353],
  ['grid cell 3', 3097248058.207057],
];
const OUTSIDE_X_GRID = 3096540361.37;

describe('intersectFeatures', () => {
  it("reproduces pandarus's grid x square areas to 1e-6, as intersect() writes them", async () => {
    const rows = await all(
      intersectFeatures(features('grid.geojson'), features('square.geojson'), {
        firstField: 'name',
        secondField: 'name',
      }),
    );
    expect(rows.map((row) => [row.properties.from_label, row.properties.to_label])).toEqual(
      GRID_X_SQUARE.map(([cell]) => [cell, 'single']),
    );
    rows.forEach((row, i) =>
      expect(relative(row.properties.measure, GRID_X_SQUARE[i]![1])).toBeLessThan(1e-6),
    );
    // The same pipeline: the rows are the vector file's features, their numbers the data file's.
    const result = await intersect(
      { path: pandarusFixture('grid.geojson'), field: 'name' },
      { path: pandarusFixture('square.geojson'), field: 'name' },
      { outDir: mkdtempSync(join(dir, 'o-')), cpus: 0 },
    );
    const file = await readResultFile<{ data: unknown[][] }>(result.dataPath);
    expect(rows.map(({ properties: p }) => [p.from_label, p.to_label, p.measure])).toEqual(
      file.data,
    );
    const vector = JSON.parse(readFileSync(result.vectorPath, 'utf8')) as FeatureCollection;
    expect(rows).toEqual(
      vector.features.map(({ type, properties, geometry }) => ({ type, properties, geometry })),
    );
  });

  it('gives the same rows from worker processes, with positions as default labels', async () => {
    for (const cpus of [0, 2]) {
      const rows = await all(
        intersectFeatures(features('outside.geojson'), features('grid.geojson'), { cpus }),
      );
      expect(rows.map(({ properties: p }) => [p.id, p.from_label, p.to_label])).toEqual([
        [0, 0, 1],
        [1, 0, 3],
      ]);
      for (const row of rows) {
        expect(row.geometry.type).toBe('MultiPolygon');
        expect(row.properties.measure).toBeCloseTo(OUTSIDE_X_GRID, 1);
      }
    }
  });

  it('takes the first features as a stream and hands out rows before it ends', async () => {
    // 400 points on a 20 x 20 lattice over the grid, each inside one cell.
    let given = 0;
    async function* lattice(): AsyncGenerator<Feature<Geometry | null>> {
      for (let i = 0; i < 400; i++) {
        given++;
        const coordinates = [(i % 20) / 10 + 0.05, Math.floor(i / 20) / 10 + 0.05];
        yield { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates } };
      }
    }
    const rows = intersectFeatures(lattice(), features('grid.geojson'));
    const first = await rows.next();
    expect((first.value as IntersectionFeature).properties).toEqual({
      id: 0,
      from_label: 0,
      to_label: 0,
      measure: 1,
    });
    expect(given).toBeLessThan(400);
    const rest = await all(rows);
    expect(rest.map((row) => row.properties.from_label)).toEqual(
      Array.from({ length: 399 }, (_, i) => i + 1),
    );
  });

  it('ends the stream of first features when the caller stops early', async () => {
    let ended = false;
    function* grid(): Generator<Feature<Geometry | null>> {
      try {
        yield* features('grid.geojson');
      } finally {
        ended = true;
      }
    }
    for await (const row of intersectFeatures(grid(), features('square.geojson'))) {
      expect(row.properties.id).toBe(0);
      break;
    }
    expect(ended).toBe(true);
  });

  it('counts points and measures lines, of the first features kind', async () => {
    const points = await all(
      intersectFeatures(features('points.geojson'), features('grid.geojson'), {
        firstField: 'id',
        secondField: 'name',
      }),
    );
    expect(points.map(({ properties: p }) => [p.from_label, p.to_label, p.measure])).toEqual([
      [1, 'grid cell 0', 2],
      [1, 'grid cell 2', 1],
      [2, 'grid cell 3', 1],
    ]);
    expect(points.map((row) => row.geometry.type)).toEqual([
      'MultiPoint',
      'MultiPoint',
      'MultiPoint',
    ]);
    const line: Feature = {
      type: 'Feature',
      properties: {},
      geometry: {
        type: 'LineString',
        coordinates: [
          [0.5, 0.5],
          [1.5, 0.5],
        ],
      },
    };
    const lengths = await all(intersectFeatures([line], features('grid.geojson')));
    expect(lengths.map((row) => row.properties.to_label)).toEqual([0, 2]);
    // Half a degree of longitude at 0.5 N on spherical Mollweide each: 50.1 km.
    for (const row of lengths) expect(row.properties.measure / 1000).toBeCloseTo(50.11, 2);
  });

  it('refuses a second input that is not polygons, mixed kinds and duplicate labels', async () => {
    const grid = features('grid.geojson');
    const point: Feature = {
      type: 'Feature',
      properties: { name: 'p' },
      geometry: { type: 'Point', coordinates: [0.5, 0.5] },
    };
    await expect(all(intersectFeatures(grid, [point]))).rejects.toThrow(SecondNotPolygonsError);
    await expect(all(intersectFeatures([point, ...grid], grid))).rejects.toThrow(
      'first: needs points, lines or polygons of one kind',
    );
    const collection: Feature = {
      type: 'Feature',
      properties: {},
      geometry: { type: 'GeometryCollection', geometries: [point.geometry] },
    };
    await expect(all(intersectFeatures([collection], grid))).rejects.toThrow(
      UnsupportedGeometryError,
    );
    await expect(
      all(intersectFeatures(features('duplicates.geojson'), grid, { firstField: 'name' })),
    ).rejects.toThrow(
      'first: field "name" must identify features uniquely, but features 0 and 1 both have "foo"',
    );
    await expect(
      all(intersectFeatures(grid, features('duplicates.geojson'), { secondField: 'name' })),
    ).rejects.toThrow(DuplicateLabelError);
  });
});
