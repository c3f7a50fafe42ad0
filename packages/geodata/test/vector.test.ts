import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import gdal from 'gdal-async';
import { afterAll, describe, expect, it } from 'vitest';
import { pandarusFixture } from '@geoworks/test-fixtures';
import {
  DuplicateLabelError,
  GdalVectorSource,
  GeoJsonSource,
  NotAVectorDatasetError,
  openVector,
  readWkb,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'geodata-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIXTURES = [
  'grid.geojson',
  'grid-ints.geojson',
  'grid-3410.geojson',
  'square-3857.geojson',
  'outside.geojson',
  'big-grid.geojson',
  'gc.geojson',
  'points.geojson',
];

describe('the JavaScript GeoJSON reader agrees with GDAL', () => {
  for (const fixture of FIXTURES) {
    it(fixture, () => {
      const fast = openVector(pandarusFixture(fixture));
      const gdal = openVector(pandarusFixture(fixture), { reader: 'gdal' });
      expect(fast).toBeInstanceOf(GeoJsonSource);
      expect(gdal).toBeInstanceOf(GdalVectorSource);
      expect(fast.featureCount).toBe(gdal.featureCount);
      expect(fast.fieldNames).toEqual(gdal.fieldNames);
      expect(fast.family).toBe(gdal.family);
      expect(fast.srs?.isGeographic() ?? true).toBe(gdal.srs?.isGeographic() ?? true);
      if (fast.srs !== null && gdal.srs !== null) expect(fast.srs.isSame(gdal.srs)).toBe(true);
      const field = fast.fieldNames[0]!;
      expect(fast.fieldKind(field)).toBe(gdal.fieldKind(field));
      const a = [...fast.featuresWkb(field)];
      const b = [...gdal.featuresWkb(field)];
      expect(a.map((f) => f.label)).toEqual(b.map((f) => f.label));
      a.forEach((feature, i) => {
        const other = b[i]!;
        expect(feature.wkb === null).toBe(other.wkb === null);
        if (feature.wkb !== null && other.wkb !== null)
          expect(readWkb(feature.wkb)).toEqual(readWkb(other.wkb));
      });
      fast.close();
      gdal.close();
    });
  }

  it('types fields as GDAL does and keeps labels in their JSON type', () => {
    const path = join(dir, 'kinds.geojson');
    const feature = (properties: Record<string, unknown>, coordinates: number[]) => ({
      type: 'Feature',
      properties,
      geometry: { type: 'Point', coordinates },
    });
    writeFileSync(
      path,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          feature({ int: 1, real: 1, mixed: 1, text: 'a' }, [0, 0]),
          feature({ int: 2, real: 2.5, mixed: 'two', text: 'b' }, [1, 1]),
        ],
      }),
    );
    for (const reader of ['auto', 'gdal'] as const) {
      const source = openVector(path, { reader });
      expect(['int', 'real', 'mixed', 'text'].map((field) => source.fieldKind(field))).toEqual([
        'int',
        'float',
        'str',
        'str',
      ]);
      expect(source.labels('int')).toEqual([1, 2]);
      expect(source.labels('mixed')).toEqual(['1', 'two']);
      expect(source.family).toBe('point');
      source.close();
    }
  });

  it('types numbers written as reals (2.0, 1e3) as real fields, as GDAL does', () => {
    const path = join(dir, 'reals.geojson');
    // JSON.parse reads `2.0` as 2: only the text tells a real field from an integer one.
    writeFileSync(
      path,
      `{"type": "FeatureCollection", "features": [
{"type": "Feature", "properties": {"count": 2.0, "exponent": 1e3, "id": 1, "plain": 7}, "geometry": {"type": "Point", "coordinates": [0.0, 0.0]}},
{"type": "Feature", "properties": {"count" : 3, "exponent": 2, "id": 2, "plain": -8}, "geometry": {"type": "Point", "coordinates": [1.0, 1.0]}}
]}`,
    );
    for (const reader of ['auto', 'gdal'] as const) {
      const source = openVector(path, { reader });
      expect(['count', 'exponent', 'id', 'plain'].map((field) => source.fieldKind(field))).toEqual([
        'float',
        'float',
        'int',
        'int',
      ]);
      expect(source.labels('count')).toEqual([2, 3]);
      expect(source.labels('exponent')).toEqual([1000, 2]);
      source.close();
    }
  });

  it('takes an empty FeatureCollection (no features, so no fields) as having any field', () => {
    const path = join(dir, 'empty.geojson');
    writeFileSync(path, '{"type": "FeatureCollection", "features": []}');
    for (const reader of ['auto', 'gdal'] as const) {
      const source = openVector(path, { reader });
      expect(source.featureCount).toBe(0);
      expect(source.fieldNames).toEqual([]);
      expect(() => source.requireField('name')).not.toThrow();
      expect(source.fieldKind('name')).toBe('str');
      expect(source.labels('name')).toEqual([]);
      expect([...source.records(['id', 'measure'])]).toEqual([]);
      expect([...source.featuresWkb('name')]).toEqual([]);
      source.close();
    }
  });

  it('refuses what is not GeoJSON, and duplicate labels', () => {
    const broken = join(dir, 'broken.geojson');
    writeFileSync(broken, '{"type": "FeatureCollection", "features": [');
    expect(() => openVector(broken)).toThrow(NotAVectorDatasetError);
    expect(() => openVector(broken)).toThrow(
      'broken.geojson is not a readable vector dataset: not valid JSON',
    );
    const array = join(dir, 'array.json');
    writeFileSync(array, '[1, 2, 3]');
    expect(() => openVector(array)).toThrow(
      'a GeoJSON file must hold a FeatureCollection or a Feature',
    );
    expect(() => openVector(pandarusFixture('duplicates.geojson')).labels('name')).toThrow(
      DuplicateLabelError,
    );
    expect(() => openVector(pandarusFixture('grid.geojson')).labels('nom')).toThrow(
      'grid.geojson has no field "nom"; its fields are: name',
    );
  });

  it('reads every layout of a FeatureCollection alike, each feature parsed on its own', () => {
    const features = [
      {
        type: 'Feature',
        properties: { name: 'a "quoted" } name ]', note: 'back\\slash {[' },
        geometry: { type: 'Point', coordinates: [1.5, -2.25] },
      },
      {
        type: 'Feature',
        properties: { name: 'é ü \u2028 ✓', note: null },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1e-7, 0],
              [1e-7, 3.5e2],
              [0, 0],
            ],
          ],
        },
      },
      { type: 'Feature', properties: { name: 'none', note: '' }, geometry: null },
    ];
    const crs = { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::3857' } };
    const layouts = [
      JSON.stringify({ type: 'FeatureCollection', crs, features }),
      JSON.stringify(
        { features, bbox: [0, 0, 1, 1], name: 'x]}"', crs, type: 'FeatureCollection' },
        null,
        2,
      ),
      `\n\t{ "crs" :${JSON.stringify(crs)} ,"features":\r\n[ ${features.map((f) => JSON.stringify(f, null, '\t')).join(' ,\n')} ] , "type" : "FeatureCollection"}\n\n`,
    ];
    const read = (text: string, name: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      const source = openVector(path);
      expect(source).toBeInstanceOf(GeoJsonSource);
      const result = {
        count: source.featureCount,
        fields: source.fieldNames,
        family: source.family,
        epsg3857: source.srs?.isSame(gdal.SpatialReference.fromEPSG(3857)) ?? false,
        rows: [...source.featuresWkb('name')].map(({ label, wkb }) => [
          label,
          wkb?.toString('hex'),
        ]),
      };
      source.close();
      return result;
    };
    const expected = read(layouts[0]!, 'layout-0.geojson');
    expect(expected.count).toBe(3);
    expect(expected.epsg3857).toBe(true);
    expect(expected.rows.map(([label]) => label)).toEqual(features.map((f) => f.properties.name));
    expect(expected.rows[2]![1]).toBeUndefined();
    layouts.forEach((text, i) => expect(read(text, `layout-${i}.geojson`)).toEqual(expected));

    // With a UTF-8 byte order mark in front, as some Windows tools write it.
    expect(read(`\ufeff${layouts[0]!}`, 'layout-bom.geojson')).toEqual(expected);

    const good = layouts[0]!;
    for (const [name, text] of [
      ['truncated', good.slice(0, good.length - 20)],
      [
        'unterminated string',
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"a": "b}]}',
      ],
      ['missing comma', good.replace('},{"type":"Feature"', '} {"type":"Feature"')],
      ['trailing garbage', `${good} x`],
      ['bad feature', '{"type": "FeatureCollection", "features": [{"type": "Feature", nope}]}'],
    ] as const) {
      const path = join(dir, `broken-${name.replace(/ /g, '-')}.geojson`);
      writeFileSync(path, text);
      expect(() => openVector(path), name).toThrow(NotAVectorDatasetError);
    }
  });
});
