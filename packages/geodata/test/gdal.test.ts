import gdal from 'gdal-async';
import { pandarusFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { parseSrs, setUpGdal } from '../src/index.js';

describe('setUpGdal', () => {
  it('is what opening a dataset does first; importing the package sets nothing', async () => {
    const { stdout } = await runExample(new URL('./fixtures/gdal-setup.ts', import.meta.url), {
      args: [pandarusFixture('grid.geojson')],
    });
    expect(stdout).toBe('imported null\nopened TRADITIONAL_GIS_ORDER\n');
  });

  it('puts longitude first: one degree east in web Mercator is (1, 0) in EPSG:4326', () => {
    expect(setUpGdal()).toBe(gdal);
    // EPSG:4326's authority order is latitude first; the CRSs made after the setup ignore it.
    const transform = new gdal.CoordinateTransformation(
      parseSrs('EPSG:3857'),
      parseSrs('EPSG:4326'),
    );
    const point = new gdal.Point(111319.49079327357, 0);
    point.transform(transform);
    expect(point.x).toBeCloseTo(1, 9);
    expect(point.y).toBeCloseTo(0, 9);
  });
});
