import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Polygon, Position } from 'geojson';
import proj4 from 'proj4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@geoworks/errors';
import {
  type Corners,
  InvalidShapeIdError,
  VectorFileNotFoundError,
  segmentBoundingCorners,
  segmentBoundingGeoJson,
  shapeToGeoJson,
  toGeoJsonPolygon,
  toGeoJsonPolygonString,
} from '../src/vector.js';
import { PRJ_UTM17N, PRJ_WGS84, writeShapefile } from './fixtures/shapefile-writer.js';

let dir: string;
let utmShp: string;
let wgsShp: string;
let emptyShp: string;

// Two UTM 17N squares (clockwise, as shapefiles store exteriors), the second with a hole.
const utmA: [number, number][] = [
  [600000, 4800000],
  [600000, 4810000],
  [610000, 4810000],
  [610000, 4800000],
  [600000, 4800000],
];
const utmB: [number, number][] = [
  [640000, 4840000],
  [640000, 4850000],
  [650000, 4850000],
  [650000, 4840000],
  [640000, 4840000],
];
const utmBHole: [number, number][] = [
  [642000, 4842000],
  [648000, 4842000],
  [648000, 4848000],
  [642000, 4848000],
  [642000, 4842000],
];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vector-test-'));
  utmShp = await writeShapefile(
    path.join(dir, 'utm'),
    [
      { type: 'Polygon', rings: [utmA] },
      { type: 'Polygon', rings: [utmB, utmBHole] },
    ],
    { prj: PRJ_UTM17N },
  );
  wgsShp = await writeShapefile(
    path.join(dir, 'wgs'),
    [
      { type: 'Point', xy: [-79.5, 43.5] },
      { type: 'Point', xy: [-79, 44] },
    ],
    { prj: PRJ_WGS84 },
  );
  emptyShp = await writeShapefile(path.join(dir, 'empty'), [], { prj: PRJ_UTM17N });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const toLonLat = (p: [number, number]) => proj4('EPSG:32617', 'EPSG:4326', p) as [number, number];

function expectPointsClose(actual: Position[], expected: Position[], digits = 9): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((p, i) => {
    expect(p[0]).toBeCloseTo(expected[i]?.[0] as number, digits);
    expect(p[1]).toBeCloseTo(expected[i]?.[1] as number, digits);
  });
}

describe('segmentBoundingCorners', () => {
  it('returns [ll, lr, ur, ul] of all shapes in the file CRS', async () => {
    expect(await segmentBoundingCorners(utmShp)).toEqual([
      [600000, 4800000],
      [650000, 4800000],
      [650000, 4850000],
      [600000, 4850000],
    ]);
    expect(await segmentBoundingCorners(wgsShp)).toEqual([
      [-79.5, 43.5],
      [-79, 43.5],
      [-79, 44],
      [-79.5, 44],
    ]);
  });

  it('reprojects each corner: a UTM rectangle becomes a quadrilateral in lon/lat', async () => {
    const corners = await segmentBoundingCorners(utmShp, { outputCrs: 'EPSG:4326' });
    expect(corners).not.toBeNull();
    const c = corners as Corners;
    expectPointsClose(c, [
      toLonLat([600000, 4800000]),
      toLonLat([650000, 4800000]),
      toLonLat([650000, 4850000]),
      toLonLat([600000, 4850000]),
    ]);
    // Known value: UTM 17N (650000, 4850000) is about 79.136 W, 43.787 N.
    expect(c[2][0]).toBeCloseTo(-79.136, 2);
    expect(c[2][1]).toBeCloseTo(43.787, 2);
    // Not a lon/lat rectangle any more: east of zone centre, grid north leans off true north.
    expect(c[0][0]).not.toBeCloseTo(c[3][0], 6);
    expect(c[0][1]).not.toBeCloseTo(c[1][1], 6);
  });

  it('accepts a WKT or proj4 string as output CRS, and skips reprojection for the same CRS', async () => {
    const viaWkt = await segmentBoundingCorners(wgsShp, { outputCrs: PRJ_UTM17N });
    const viaProj4 = await segmentBoundingCorners(wgsShp, {
      outputCrs: '+proj=utm +zone=17 +datum=WGS84 +units=m +no_defs',
    });
    expectPointsClose(viaWkt as Position[], viaProj4 as Position[], 3);
    expect((viaWkt as Position[])[0]).toEqual(
      proj4(PRJ_WGS84, PRJ_UTM17N, [-79.5, 43.5]) as number[],
    );
    // File CRS is WGS 84 (.prj) and EPSG:4326 is the same: numbers come back untouched.
    expect((await segmentBoundingCorners(wgsShp, { outputCrs: 'EPSG:4326' }))?.[0]).toEqual([
      -79.5, 43.5,
    ]);
  });

  it('returns null for a file without shapes', async () => {
    expect(await segmentBoundingCorners(emptyShp)).toBeNull();
    expect(await segmentBoundingGeoJson(emptyShp, { outputCrs: 'EPSG:4326' })).toBeNull();
  });

  it('reads GeoJSON files (WGS 84) too', async () => {
    const file = path.join(dir, 'lines.geojson');
    await writeFile(
      file,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: {},
            geometry: {
              type: 'LineString',
              coordinates: [
                [10, 50],
                [12, 49],
              ],
            },
          },
          { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [11, 52] } },
        ],
      }),
    );
    expect(await segmentBoundingCorners(file)).toEqual([
      [10, 49],
      [12, 49],
      [12, 52],
      [10, 52],
    ]);
    const webMercator = await segmentBoundingCorners(file, { outputCrs: 'EPSG:3857' });
    expectPointsClose(
      (webMercator as Position[]).slice(0, 1),
      [proj4('EPSG:4326', 'EPSG:3857', [10, 49])],
      6,
    );
  });

  it('throws VectorFileNotFoundError for a missing file', async () => {
    await expect(segmentBoundingCorners(path.join(dir, 'missing.shp'))).rejects.toBeInstanceOf(
      VectorFileNotFoundError,
    );
  });
});

describe('segmentBoundingGeoJson', () => {
  it('is the closed polygon of the corners', async () => {
    const polygon = await segmentBoundingGeoJson(utmShp, { outputCrs: 'EPSG:4326' });
    const corners = (await segmentBoundingCorners(utmShp, { outputCrs: 'EPSG:4326' })) ?? [];
    expect(polygon).toEqual({ type: 'Polygon', coordinates: [[...corners, corners[0]]] });
  });
});

describe('shapeToGeoJson', () => {
  it('returns shape 0 in the file CRS', async () => {
    expect(await shapeToGeoJson(utmShp, 0)).toEqual({ type: 'Polygon', coordinates: [utmA] });
  });

  it('returns a shape with a hole, reprojected', async () => {
    const shape = (await shapeToGeoJson(utmShp, 1, { outputCrs: 'EPSG:4326' })) as Polygon;
    expect(shape.type).toBe('Polygon');
    expect(shape.coordinates).toHaveLength(2);
    expectPointsClose(shape.coordinates[0] as Position[], utmB.map(toLonLat));
    expectPointsClose(shape.coordinates[1] as Position[], utmBHole.map(toLonLat));
  });

  it('reads points', async () => {
    expect(await shapeToGeoJson(wgsShp, 1)).toEqual({ type: 'Point', coordinates: [-79, 44] });
  });

  it('throws InvalidShapeIdError for an index out of range', async () => {
    for (const bad of [2, -1, 0.5]) {
      const error = await shapeToGeoJson(utmShp, bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidShapeIdError);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidShapeIdError).code).toBe('INVALID_SHAPE_ID');
    }
    await expect(shapeToGeoJson(utmShp, 2)).rejects.toThrow(/out of range: .* has 2 shapes/);
    await expect(shapeToGeoJson(emptyShp, 0)).rejects.toBeInstanceOf(InvalidShapeIdError);
  });
});

describe('toGeoJsonPolygon', () => {
  const exterior = [
    [0, 0],
    [10, 0],
    [10, 10],
    [0, 10],
  ];
  const hole = [
    [2, 2],
    [2, 4],
    [4, 4],
    [2, 2],
  ];

  it('closes the exterior, keeps closed holes closed', () => {
    expect(toGeoJsonPolygon(exterior, [hole])).toEqual({
      type: 'Polygon',
      coordinates: [[...exterior, [0, 0]], hole],
    });
    expect(toGeoJsonPolygon(exterior).coordinates).toHaveLength(1);
  });

  it('has a string form that parses back to the same polygon', () => {
    const text = toGeoJsonPolygonString(exterior, [hole]);
    expect(typeof text).toBe('string');
    expect(JSON.parse(text)).toEqual(toGeoJsonPolygon(exterior, [hole]));
  });

  it('needs three distinct finite vertices per ring', () => {
    expect(() =>
      toGeoJsonPolygon([
        [0, 0],
        [1, 1],
        [0, 0],
      ]),
    ).toThrow(/exterior ring needs at least 3 distinct vertices, got 2/);
    expect(() =>
      toGeoJsonPolygon(exterior, [
        [
          [1, 1],
          [1, 1],
          [1, 1],
        ],
      ]),
    ).toThrow(/hole 0 needs at least 3 distinct/);
    expect(() =>
      toGeoJsonPolygon([
        [0, 0],
        [1, Number.NaN],
        [1, 1],
      ]),
    ).toThrow(InvalidInputError);
  });
});
