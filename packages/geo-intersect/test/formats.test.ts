import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import gdal from 'gdal-async';
import { afterAll, describe, expect, it } from 'vitest';
import { readResultFile } from '@geoworks/pandarus-format';
import { pandarusFixture } from '@geoworks/test-fixtures';
import { intersect } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'geo-intersect-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Copies grid.geojson into another format with GDAL (layers named as given). */
function convertGrid(target: string, driver: string, layers: string[]): void {
  const source = gdal.open(pandarusFixture('grid.geojson'));
  const out = gdal.open(target, 'w', driver);
  for (const name of layers) {
    const layer = out.layers.create(name, source.layers.get(0).srs, gdal.wkbPolygon);
    layer.fields.add(new gdal.FieldDefn('name', gdal.OFTString));
    for (const feature of source.layers.get(0).features) {
      const copy = new gdal.Feature(layer);
      copy.fields.set('name', `${name}: ${feature.fields.get('name') as string}`);
      copy.setGeometry(feature.getGeometry());
      layer.features.add(copy);
    }
  }
  out.close();
  source.close();
}

type Data = { data: [unknown, unknown, number][] };
const outside = { path: pandarusFixture('outside.geojson'), field: 'name' };
const EXPECTED = 3096540361.37;

describe('input and output formats', () => {
  it('reads a chosen GeoPackage layer, a zipped shapefile and FlatGeobuf', async () => {
    const gpkg = join(dir, 'grids.gpkg');
    convertGrid(gpkg, 'GPKG', ['first', 'second']);
    const shapefileDir = mkdtempSync(join(dir, 'shp-'));
    convertGrid(join(shapefileDir, 'grid.shp'), 'ESRI Shapefile', ['grid']);
    const zip = join(dir, 'grid.zip');
    const archive = new ZipArchive();
    const written = pipeline(archive, createWriteStream(zip));
    archive.directory(shapefileDir, false);
    await archive.finalize();
    await written;
    const fgb = join(dir, 'grid.fgb');
    convertGrid(fgb, 'FlatGeobuf', ['grid']);
    const cases: [{ path: string; field: string; layer?: string }, string][] = [
      [{ path: gpkg, field: 'name', layer: 'second' }, 'second'],
      [{ path: zip, field: 'name' }, 'grid'],
      // FlatGeobuf stores features in spatial-index order, so only the set is fixed.
      [{ path: fgb, field: 'name' }, 'grid'],
    ];
    for (const [second, layer] of cases) {
      const result = await intersect(outside, second, {
        outDir: mkdtempSync(join(dir, 'o-')),
        cpus: 0,
      });
      const file = await readResultFile<Data>(result.dataPath);
      expect(file.data.map(([, label]) => label).sort()).toEqual([
        `${layer}: grid cell 1`,
        `${layer}: grid cell 3`,
      ]);
      for (const [, , area] of file.data) expect(Math.abs(area / EXPECTED - 1)).toBeLessThan(1e-6);
    }
    await expect(
      intersect(outside, { path: gpkg, field: 'name', layer: 'third' }, { outDir: dir, cpus: 0 }),
    ).rejects.toThrow(
      'grids.gpkg is not a readable vector dataset: it has no layer "third"; its layers are: first, second',
    );
  });

  it('writes the vector output as a GeoPackage when asked', async () => {
    const result = await intersect(
      outside,
      { path: pandarusFixture('grid.geojson'), field: 'name' },
      {
        outDir: mkdtempSync(join(dir, 'o-')),
        cpus: 0,
        format: 'GPKG',
      },
    );
    expect(result.vectorPath).toMatch(/\.gpkg$/);
    const dataset = gdal.open(result.vectorPath);
    const layer = dataset.layers.get(0);
    expect(layer.fields.getNames()).toEqual(['id', 'from_label', 'to_label', 'measure']);
    const rows = layer.features.map((feature) => [
      feature.fields.get('id'),
      feature.fields.get('to_label'),
      feature.getGeometry()?.name,
    ]);
    expect(rows).toEqual([
      [0, 'grid cell 1', 'MULTIPOLYGON'],
      [1, 'grid cell 3', 'MULTIPOLYGON'],
    ]);
    dataset.close();
  });
});
