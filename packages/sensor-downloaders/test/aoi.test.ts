import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FeatureCollection, Polygon, Position } from 'geojson';
import { ZipArchive } from 'archiver';
import proj4 from 'proj4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '@geoworks/errors';
import {
  AoiError,
  AoiFileNotFoundError,
  DEGENERATE_BUFFER_DEG,
  bboxPolygon,
  polygonsOf,
  resolveAoi,
  ringCounterClockwise,
  type Aoi,
} from '../src/aoi.js';
import { PRJ_UTM17N, PRJ_WGS84, writeShapefile } from './fixtures/shapefile-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aoi-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every exterior ring CCW, every hole CW, every ring closed. */
function expectRfc7946(aoi: Aoi): void {
  for (const polygon of polygonsOf(aoi)) {
    polygon.coordinates.forEach((ring, i) => {
      expect(ring[0]).toEqual(ring[ring.length - 1]);
      expect(ring.length).toBeGreaterThanOrEqual(4);
      expect(ringCounterClockwise(ring)).toBe(i === 0);
    });
  }
}

async function expectAoiError(input: Parameters<typeof resolveAoi>[0], message: RegExp) {
  const error = await resolveAoi(input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AoiError);
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as AoiError).code).toBe('AOI_INVALID');
  expect((error as Error).message).toMatch(message);
}

// A clockwise square (wrong exterior order for RFC 7946) with a counter-clockwise hole.
const CW_SQUARE_WITH_HOLE =
  'POLYGON((-80 43, -80 44, -79 44, -79 43, -80 43), (-79.8 43.2, -79.2 43.2, -79.2 43.8, -79.8 43.8, -79.8 43.2))';

describe('resolveAoi from WKT', () => {
  it('parses a polygon, rewinds it to RFC 7946 and computes the bbox', async () => {
    const aoi = await resolveAoi(CW_SQUARE_WITH_HOLE);
    expect(aoi.geometry.type).toBe('Polygon');
    expect(aoi.bbox).toEqual([-80, 43, -79, 44]);
    expectRfc7946(aoi);
    const [exterior, hole] = (aoi.geometry as Polygon).coordinates as [Position[], Position[]];
    expect(exterior).toEqual([
      [-80, 43],
      [-79, 43],
      [-79, 44],
      [-80, 44],
      [-80, 43],
    ]);
    expect(hole).toHaveLength(5);
    expect(aoi.wkt()).toBe(
      'POLYGON((-80 43, -79 43, -79 44, -80 44, -80 43), (-79.8 43.2, -79.8 43.8, -79.2 43.8, -79.2 43.2, -79.8 43.2))',
    );
  });

  it('accepts lower case and an SRID=4326 prefix', async () => {
    const aoi = await resolveAoi('srid=4326;polygon((10 50, 11 50, 11 51, 10 51, 10 50))');
    expect(aoi.bbox).toEqual([10, 50, 11, 51]);
  });

  it('reprojects an SRID proj4 knows (EPSG:3857)', async () => {
    const [x, y] = proj4('EPSG:4326', 'EPSG:3857', [10, 50]);
    const [x2, y2] = proj4('EPSG:4326', 'EPSG:3857', [11, 51]);
    const aoi = await resolveAoi(
      `SRID=3857;POLYGON((${x} ${y}, ${x2} ${y}, ${x2} ${y2}, ${x} ${y2}, ${x} ${y}))`,
    );
    aoi.bbox.forEach((v, i) => expect(v).toBeCloseTo([10, 50, 11, 51][i] as number, 9));
  });

  it('parses a multipolygon into a MultiPolygon with both parts', async () => {
    const aoi = await resolveAoi(
      'MULTIPOLYGON(((0 0, 1 0, 1 1, 0 1, 0 0)), ((5 5, 5 6, 6 6, 6 5, 5 5)))',
    );
    expect(aoi.geometry.type).toBe('MultiPolygon');
    expect(polygonsOf(aoi)).toHaveLength(2);
    expect(aoi.bbox).toEqual([0, 0, 6, 6]);
    expectRfc7946(aoi);
    expect(aoi.wkt()).toMatch(/^MULTIPOLYGON\(\(\(0 0, 1 0, 1 1, 0 1, 0 0\)\), \(\(5 5, /);
  });

  it('turns a point into a tiny box around it', async () => {
    const aoi = await resolveAoi('POINT(-79.4 43.7)');
    const d = DEGENERATE_BUFFER_DEG;
    expect(aoi.geometry.type).toBe('Polygon');
    expect(aoi.bbox).toEqual([-79.4 - d, 43.7 - d, -79.4 + d, 43.7 + d]);
    expectRfc7946(aoi);
  });

  it('turns a line into its bounding box', async () => {
    const aoi = await resolveAoi('LINESTRING(0 0, 2 1, 3 -1)');
    expect(aoi.bbox).toEqual([0, -1, 3, 1]);
    expect(aoi.geometry).toEqual(bboxPolygon([0, -1, 3, 1]));
  });

  it('closes an open ring', async () => {
    const aoi = await resolveAoi('POLYGON((0 0, 1 0, 1 1, 0 1))');
    expect((aoi.geometry as Polygon).coordinates[0]).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [0, 0],
    ]);
  });

  it('rejects trailing text, too few positions, lat out of range and empty geometry', async () => {
    await expectAoiError('POINT(1 2) and more', /not valid WKT.*unexpected/);
    await expectAoiError('POLYGON((0 0, 1 1))', /exterior ring has 3 positions/);
    await expectAoiError('POLYGON((0 85, 1 85, 1 95, 0 85))', /\(1 95\) is outside WGS 84/);
    await expectAoiError('POLYGON EMPTY', /empty/);
    await expectAoiError('POLYGON((0 0, 1 0, 2 0, 0 0))', /zero area/);
    await expectAoiError('SRID=999999;POINT(1 2)', /SRID 999999/);
  });
});

describe('resolveAoi from GeoJSON', () => {
  const square = {
    type: 'Polygon' as const,
    coordinates: [
      [
        [-80, 43],
        [-80, 44],
        [-79, 44],
        [-79, 43],
        [-80, 43],
      ],
    ],
  };

  it('reads GeoJSON text', async () => {
    const aoi = await resolveAoi(JSON.stringify(square));
    expect(aoi.bbox).toEqual([-80, 43, -79, 44]);
    expectRfc7946(aoi);
  });

  it('reads a geometry object without changing the caller’s object', async () => {
    const copy = structuredClone(square);
    const aoi = await resolveAoi(copy);
    expect(copy).toEqual(square);
    expect(aoi.wkt()).toBe('POLYGON((-80 43, -79 43, -79 44, -80 44, -80 43))');
  });

  it('reads a Feature', async () => {
    const aoi = await resolveAoi({ type: 'Feature', properties: {}, geometry: square });
    expect(aoi.bbox).toEqual([-80, 43, -79, 44]);
  });

  it('makes a MultiPolygon of a FeatureCollection of polygons', async () => {
    const fc: FeatureCollection = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: {}, geometry: square },
        {
          type: 'Feature',
          properties: {},
          geometry: {
            type: 'MultiPolygon',
            coordinates: [
              [
                [
                  [0, 0],
                  [1, 0],
                  [1, 1],
                  [0, 0],
                ],
              ],
            ],
          },
        },
        { type: 'Feature', properties: {}, geometry: null as unknown as Polygon },
      ],
    };
    const aoi = await resolveAoi(fc);
    expect(aoi.geometry.type).toBe('MultiPolygon');
    expect(polygonsOf(aoi)).toHaveLength(2);
    expect(aoi.bbox).toEqual([-80, 0, 1, 44]);
    expectRfc7946(aoi);
  });

  it('uses the bbox of a FeatureCollection mixing points and polygons', async () => {
    const aoi = await resolveAoi({
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', properties: {}, geometry: square },
        { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [-78, 45] } },
      ],
    });
    expect(aoi.geometry).toEqual(bboxPolygon([-80, 43, -78, 45]));
  });

  it('rejects bad GeoJSON with a message saying what is wrong', async () => {
    await expectAoiError({ type: 'FeatureCollection', features: [] }, /no features/);
    await expectAoiError('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0]', /not valid JSON/);
    await expectAoiError(
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 'x'],
            [1, 1],
            [0, 0],
          ],
        ],
      } as never,
      /finite numbers/,
    );
    await expectAoiError({ type: 'Circle', coordinates: [0, 0] } as never, /unknown GeoJSON type/);
    await expectAoiError({ type: 'Polygon', coordinates: [] }, /empty geometry/);
    await expectAoiError(
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 80],
            [1, 80],
            [1, 95],
            [0, 80],
          ],
        ],
      },
      /outside WGS 84/,
    );
  });
});

describe('resolveAoi from strings that are neither', () => {
  it('rejects garbage', async () => {
    await expectAoiError('hello world', /not WKT, GeoJSON or the path of an existing vector file/);
    await expectAoiError('   ', /empty string/);
  });

  it('reports a missing file as not found', async () => {
    const missing = path.join(dir, 'nope.shp');
    for (const input of [missing, { file: missing }, 'nope.geojson']) {
      const error = await resolveAoi(input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AoiFileNotFoundError);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as AoiFileNotFoundError).code).toBe('AOI_FILE_NOT_FOUND');
    }
  });
});

describe('resolveAoi from files', () => {
  // Clockwise exterior as shapefiles store it.
  const wgs84Ring: [number, number][] = [
    [-80, 43],
    [-80, 44],
    [-79, 44],
    [-79, 43],
    [-80, 43],
  ];

  it('reads a WGS 84 shapefile (path string and { file })', async () => {
    const shp = await writeShapefile(
      path.join(dir, 'wgs84'),
      [{ type: 'Polygon', rings: [wgs84Ring] }],
      {
        prj: PRJ_WGS84,
      },
    );
    for (const input of [shp, { file: shp }]) {
      const aoi = await resolveAoi(input);
      expect(aoi.geometry.type).toBe('Polygon');
      expect(aoi.bbox).toEqual([-80, 43, -79, 44]);
      expectRfc7946(aoi);
    }
  });

  it('reprojects a UTM 17N shapefile to WGS 84', async () => {
    const ring: [number, number][] = [
      [620000, 4840000],
      [620000, 4850000],
      [630000, 4850000],
      [630000, 4840000],
      [620000, 4840000],
    ];
    const shp = await writeShapefile(path.join(dir, 'utm'), [{ type: 'Polygon', rings: [ring] }], {
      prj: PRJ_UTM17N,
    });
    const aoi = await resolveAoi(shp);
    expectRfc7946(aoi);
    const exterior = (aoi.geometry as Polygon).coordinates[0] as Position[];
    // Known value: UTM 17N (630000, 4850000) is about 79.3842 W, 43.7916 N.
    expect(exterior).toContainEqual(proj4('EPSG:32617', 'EPSG:4326', [630000, 4850000]));
    const [lon, lat] = proj4('EPSG:32617', 'EPSG:4326', [630000, 4850000]) as [number, number];
    expect(lon).toBeCloseTo(-79.3842, 4);
    expect(lat).toBeCloseTo(43.7916, 4);
    expect(aoi.bbox[0]).toBeCloseTo(
      proj4('EPSG:32617', 'EPSG:4326', [620000, 4840000])[0] as number,
      9,
    );
    expect(aoi.bbox[3]).toBeCloseTo(
      proj4('EPSG:32617', 'EPSG:4326', [620000, 4850000])[1] as number,
      9,
    );
  });

  it('reads several shapes as a MultiPolygon and a point shapefile as a box', async () => {
    const second: [number, number][] = [
      [-70, 40],
      [-70, 41],
      [-69, 41],
      [-69, 40],
      [-70, 40],
    ];
    const multi = await writeShapefile(path.join(dir, 'multi'), [
      { type: 'Polygon', rings: [wgs84Ring] },
      { type: 'Polygon', rings: [second] },
    ]);
    const aoi = await resolveAoi(multi);
    expect(aoi.geometry.type).toBe('MultiPolygon');
    expect(aoi.bbox).toEqual([-80, 40, -69, 44]);

    const points = await writeShapefile(path.join(dir, 'points'), [
      { type: 'Point', xy: [-79, 43] },
      { type: 'Point', xy: [-78, 44] },
    ]);
    expect((await resolveAoi(points)).geometry).toEqual(bboxPolygon([-79, 43, -78, 44]));
  });

  it('tells projected coordinates without a .prj apart from lon/lat', async () => {
    const shp = await writeShapefile(path.join(dir, 'noprj'), [
      {
        type: 'Polygon',
        rings: [
          [
            [620000, 4840000],
            [620000, 4850000],
            [630000, 4850000],
            [620000, 4840000],
          ],
        ],
      },
    ]);
    await expectAoiError(shp, /outside WGS 84.*projected coordinates without a CRS/);
  });

  it('rejects a shapefile with no shapes', async () => {
    const shp = await writeShapefile(path.join(dir, 'empty'), [], { prj: PRJ_WGS84 });
    await expectAoiError(shp, /has no shapes/);
  });

  it('reads a shapefile inside a zip', async () => {
    const base = path.join(dir, 'zipped');
    await writeShapefile(base, [{ type: 'Polygon', rings: [wgs84Ring] }], { prj: PRJ_WGS84 });
    const zipPath = path.join(dir, 'zipped.zip');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(zipPath);
      const zip = new ZipArchive();
      out.on('close', () => resolve());
      zip.on('error', reject);
      zip.pipe(out);
      for (const ext of ['shp', 'shx', 'dbf', 'prj']) {
        zip.file(`${base}.${ext}`, { name: `layer/zipped.${ext}` });
      }
      void zip.finalize();
    });
    expect((await resolveAoi(zipPath)).bbox).toEqual([-80, 43, -79, 44]);
  });

  it('reads a GeoJSON file', async () => {
    const file = path.join(dir, 'area.geojson');
    await writeFile(
      file,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { name: 'a' },
            geometry: { type: 'Polygon', coordinates: [wgs84Ring] },
          },
        ],
      }),
    );
    const aoi = await resolveAoi({ file });
    expect(aoi.bbox).toEqual([-80, 43, -79, 44]);
    expectRfc7946(aoi);
  });

  it('rejects a file of an unsupported type', async () => {
    const file = path.join(dir, 'area.txt');
    await writeFile(file, 'POLYGON((0 0, 1 0, 1 1, 0 0))');
    await expectAoiError({ file }, /Unsupported vector file type "\.txt"/);
  });
});

describe('helpers', () => {
  it('ringCounterClockwise and bboxPolygon agree', () => {
    const box = bboxPolygon([1, 2, 3, 4]);
    expect(box.coordinates[0]).toEqual([
      [1, 2],
      [3, 2],
      [3, 4],
      [1, 4],
      [1, 2],
    ]);
    expect(ringCounterClockwise(box.coordinates[0] as Position[])).toBe(true);
    expect(ringCounterClockwise([...(box.coordinates[0] as Position[])].reverse())).toBe(false);
  });
});
