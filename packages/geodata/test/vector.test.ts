import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pandarusFixture } from '@geoworks/test-fixtures';
import {
  DuplicateLabelError,
  GdalVectorSource,
  GeoJsonSource,
  measureWkb,
  NotAVectorDatasetError,
  openVector,
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
        if (feature.wkb !== null && other.wkb !== null && fast.family !== null) {
          expect(measureWkb(feature.wkb, fast.family)).toBeCloseTo(
            measureWkb(other.wkb, fast.family),
            6,
          );
        }
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
});
