import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import gdal from 'gdal-async';
import { afterAll, describe, expect, it } from 'vitest';
import { MalformedGeometryError, openVector } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'geodata-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SQUARE = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 0],
];

/** A FeatureCollection whose feature 1 has `geometry` (feature 0 is a good square). */
function collection(name: string, geometry: unknown, raw?: string): string {
  const path = join(dir, `${name}.geojson`);
  const features = [
    {
      type: 'Feature',
      properties: { name: 'good' },
      geometry: { type: 'Polygon', coordinates: [SQUARE] },
    },
    { type: 'Feature', properties: { name: 'bad' }, geometry },
  ];
  const text = JSON.stringify({ type: 'FeatureCollection', features });
  // JSON.stringify cannot write 1e999 (a number JSON.parse reads as Infinity).
  writeFileSync(path, raw === undefined ? text : text.replace('"RAW"', raw));
  return path;
}

const MALFORMED: [string, unknown, string][] = [
  [
    'short-position',
    { type: 'Polygon', coordinates: [[[0, 0], [1]]] },
    'a position must hold two or more numbers, not [1]',
  ],
  [
    'text-coordinate',
    {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, '0'],
          [1, 1],
          [0, 0],
        ],
      ],
    },
    'a position must hold two or more numbers, not [1,"0"]',
  ],
  [
    'null-coordinate',
    { type: 'Point', coordinates: [null, 1] },
    'a position must hold two or more numbers, not [null,1]',
  ],
  ['bare-number', { type: 'Point', coordinates: 5 }, 'coordinates must be arrays, not 5'],
  ['unknown-type', { type: 'Circle', coordinates: [0, 0] }, 'unknown geometry type "Circle"'],
  [
    'three-position-ring',
    {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [0, 0],
        ],
      ],
    },
    'a polygon ring needs four or more positions, not 3',
  ],
  [
    'unclosed-ring',
    {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ],
      ],
    },
    'a polygon ring must end where it starts',
  ],
  [
    'one-position-line',
    { type: 'LineString', coordinates: [[0, 0]] },
    'a line needs two or more positions, not 1',
  ],
  [
    'bad-second-polygon',
    { type: 'MultiPolygon', coordinates: [[SQUARE], [[[0, 0], [1]]]] },
    'a position must hold two or more numbers, not [1]',
  ],
];

describe('checkGeometries', () => {
  for (const [name, geometry, problem] of MALFORMED) {
    it(`refuses ${name} in both readers, naming the feature`, () => {
      const path = collection(name, geometry);
      for (const reader of ['auto', 'gdal'] as const) {
        const dataset = openVector(path, { reader });
        expect(() => dataset.checkGeometries()).toThrow(MalformedGeometryError);
        expect(() => dataset.checkGeometries()).toThrow(
          `${name}.geojson: feature 1 has a malformed geometry: ${problem}`,
        );
        dataset.close();
      }
    });
  }

  it('refuses a coordinate beyond the doubles (1e999, read as Infinity)', () => {
    const path = collection('infinite', { type: 'Point', coordinates: ['RAW', 0] }, '1e999');
    for (const reader of ['auto', 'gdal'] as const) {
      const dataset = openVector(path, { reader });
      expect(() => dataset.checkGeometries()).toThrow(
        'infinite.geojson: feature 1 has a malformed geometry: ',
      );
      dataset.close();
    }
  });

  it('refuses NaN coordinates, short and unclosed rings in other formats (GeoPackage)', () => {
    const cases: [string, () => gdal.Geometry, string][] = [
      [
        'nan',
        // A NaN point is POINT EMPTY to GDAL: the NaN sits in a line.
        () => {
          const line = new gdal.LineString();
          line.points.add([new gdal.Point(0, 0), new gdal.Point(Number.NaN, 1)]);
          return line;
        },
        'a coordinate is not a finite number',
      ],
      [
        'unclosed',
        () => {
          const ring = new gdal.LinearRing();
          ring.points.add([
            new gdal.Point(0, 0),
            new gdal.Point(1, 0),
            new gdal.Point(1, 1),
            new gdal.Point(0, 1),
          ]);
          const polygon = new gdal.Polygon();
          polygon.rings.add(ring);
          return polygon;
        },
        'a polygon ring must end where it starts',
      ],
      [
        'short-ring',
        () => {
          const ring = new gdal.LinearRing();
          ring.points.add([new gdal.Point(0, 0), new gdal.Point(1, 0), new gdal.Point(0, 0)]);
          const polygon = new gdal.Polygon();
          polygon.rings.add(ring);
          return polygon;
        },
        'a polygon ring needs four or more positions, not 3',
      ],
    ];
    for (const [name, make, problem] of cases) {
      const path = join(dir, `${name}.gpkg`);
      const dataset = gdal.open(path, 'w', 'GPKG');
      const layer = dataset.layers.create(name, null, gdal.wkbUnknown);
      layer.fields.add(new gdal.FieldDefn('name', gdal.OFTString));
      for (const geometry of [new gdal.Point(0, 0), make()]) {
        const feature = new gdal.Feature(layer);
        feature.fields.set('name', 'x');
        feature.setGeometry(geometry);
        layer.features.add(feature);
      }
      dataset.close();
      const source = openVector(path);
      expect(() => source.checkGeometries()).toThrow(
        `${name}.gpkg: feature 1 has a malformed geometry: ${problem}`,
      );
      source.close();
    }
  });

  it('takes invalid but well-formed geometries (pandarus repairs them), 3D, empty and none', () => {
    const bowTie = [
      [0, 0],
      [1, 1],
      [1, 0],
      [0, 1],
      [0, 0],
    ];
    const path = join(dir, 'fine.geojson');
    writeFileSync(
      path,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Polygon', coordinates: [bowTie] },
          { type: 'Polygon', coordinates: [SQUARE.map(([x, y]) => [x, y, 10])] },
          { type: 'Point', coordinates: [1, 2, 3, 4] },
          { type: 'Polygon', coordinates: [] },
          null,
        ].map((geometry, i) => ({ type: 'Feature', properties: { name: i }, geometry })),
      }),
    );
    for (const reader of ['auto', 'gdal'] as const) {
      const dataset = openVector(path, { reader });
      expect(() => dataset.checkGeometries()).not.toThrow();
      dataset.close();
    }
  });
});
