// Uploads the service must refuse (406) or show with care, and error answers that must not
// name the server's files (every answer here goes through startService's checked `call`).
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import gdal from 'gdal-async';
import { describe, expect, it } from 'vitest';
import { pandarusFixture } from '@geoworks/test-fixtures';
import { sha256, startService } from './helpers.js';

const polygonCollection = (coordinates: unknown) =>
  JSON.stringify({
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: { name: 'good' },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        },
      },
      { type: 'Feature', properties: { name: 'bad' }, geometry: { type: 'Polygon', coordinates } },
    ],
  });

describe('uploads of malformed geometries', () => {
  it('answers 406 for a ring position without two numbers, naming the feature', async () => {
    const service = await startService();
    const response = await service.upload('bad.geojson', polygonCollection([[[0, 0], [1]]]));
    expect(response.status).toBe(406);
    expect(await response.text()).toMatch(
      /bad\.geojson: feature 1 has a malformed geometry: a position must hold two or more numbers, not \[1\]\n$/,
    );
    expect((await service.catalog()).files).toEqual([]);
    expect(readdirSync(join(service.dataDir, 'uploads')).sort()).toEqual(['incoming']);
    expect(readdirSync(join(service.dataDir, 'uploads', 'incoming'))).toEqual([]);
  });

  it('answers 406 for an unclosed ring, in GeoJSON and in a GeoPackage (read by GDAL)', async () => {
    const service = await startService();
    const unclosed = [
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ],
    ];
    const geojson = await service.upload('open.geojson', polygonCollection(unclosed));
    expect(geojson.status).toBe(406);
    expect(await geojson.text()).toMatch(
      /open\.geojson: feature 1 has a malformed geometry: a polygon ring must end where it starts/,
    );
    const gpkg = join(service.root, 'open.gpkg');
    const dataset = gdal.open(gpkg, 'w', 'GPKG');
    const layer = dataset.layers.create('open', null, gdal.wkbPolygon);
    layer.fields.add(new gdal.FieldDefn('name', gdal.OFTString));
    const ring = new gdal.LinearRing();
    for (const [x, y] of unclosed[0]!) ring.points.add(x!, y!);
    const polygon = new gdal.Polygon();
    polygon.rings.add(ring);
    const feature = new gdal.Feature(layer);
    feature.fields.set('name', 'open');
    feature.setGeometry(polygon);
    layer.features.add(feature);
    dataset.close();
    const response = await service.upload('open.gpkg', readFileSync(gpkg));
    expect(response.status).toBe(406);
    expect(await response.text()).toMatch(
      /open\.gpkg: feature 0 has a malformed geometry: a polygon ring must end where it starts/,
    );
    expect((await service.catalog()).files).toEqual([]);
  });
});

describe('names of uploads', () => {
  it('stores and shows the last segment of the name, without control characters', async () => {
    const service = await startService();
    const grid = readFileSync(pandarusFixture('grid.geojson'));
    const square = readFileSync(pandarusFixture('square.geojson'));
    const outside = readFileSync(pandarusFixture('outside.geojson'));
    const uploads: [string, Buffer, string][] = [
      ['../../../../x.geojson', grid, 'x.geojson'],
      ['/etc/passwd', square, 'passwd'],
      ['C:\\data\\\u0007zürich\u0000 grid.geojson', outside, 'zürich grid.geojson'],
    ];
    for (const [name, content] of uploads) {
      const response = await service.upload(name, content);
      expect(response.status).toBe(200);
      const { filename } = (await response.json()) as { filename: string };
      // The stored name is safe for any file system: letters, digits, dot, dash, underscore.
      expect(filename).toMatch(/^[0-9a-f]{32}\.[A-Za-z0-9._-]+$/);
    }
    expect((await service.catalog()).files).toEqual(
      uploads.map(([, content, shown]) => [shown, sha256(content), 'vector']),
    );
  });
});

describe('error answers name no file of the server', () => {
  it('refuses with the status codes of pandarus_remote, every answer checked', async () => {
    const service = await startService({ PANDARUS_MAX_UPLOAD: '2KB' });
    const grid = await service.uploadFixture('grid.geojson');
    const square = readFileSync(pandarusFixture('square.geojson'));
    const refusals: [Promise<Response>, number][] = [
      [service.upload('grid.geojson', readFileSync(pandarusFixture('grid.geojson'))), 409],
      [service.upload('square.geojson', square, { sha256: '0'.repeat(64) }), 406],
      [service.upload('square.geojson', square, { band: 'x' }), 400],
      [service.upload('big.geojson', Buffer.alloc(4096, 32)), 413],
      [service.post('/calculate-intersection', { first: grid.sha256 }), 400],
      [service.post('/calculate-intersection', { first: grid.sha256, second: grid.sha256 }), 406],
      [
        service.post('/calculate-intersection', { first: grid.sha256, second: 'f'.repeat(64) }),
        404,
      ],
      [service.post('/calculate-remaining', { first: grid.sha256, second: grid.sha256 }), 404],
      [service.post('/intersection-file', { first: grid.sha256, second: grid.sha256 }), 404],
      [service.call('/status/no-such-job'), 404],
      [service.call('/no-such-route'), 404],
    ];
    for (const [answer, status] of refusals) expect((await answer).status).toBe(status);
  });

  it('says why a file is not a dataset without the path GDAL gives', async () => {
    const service = await startService();
    const response = await service.upload(
      'invalid.txt',
      readFileSync(pandarusFixture('invalid.txt')),
    );
    expect(response.status).toBe(406);
    expect(await response.text()).toMatch(
      /^invalid\.txt is not a readable vector or raster dataset \([0-9a-f]{32}\.invalid\.txt is not a readable vector dataset: .*[0-9a-f]{32}\.invalid\.txt.*not recognized/,
    );
  });

  it('reports a job that GDAL failed on without the path of its input', async () => {
    const service = await startService();
    const grid = await service.uploadFixture('grid.geojson');
    const square = await service.uploadFixture('square.geojson', 'square.gpkg');
    // The stored GeoPackage is damaged after the upload: GDAL cannot open it any more.
    writeFileSync(join(service.dataDir, 'uploads', square.filename), 'not a GeoPackage any more');
    const started = await service.post('/calculate-intersection', {
      first: grid.sha256,
      second: square.sha256,
    });
    const status = await service.poll(await started.text());
    expect(status.status).toBe('failed');
    expect(status.error).toMatch(new RegExp(`${square.filename} is not a readable vector dataset`));
  });

  it('answers a download whose file left the disk without naming the file', async () => {
    const service = await startService();
    const pair = {
      first: (await service.uploadFixture('grid.geojson')).sha256,
      second: (await service.uploadFixture('square.geojson')).sha256,
    };
    const started = await service.post('/calculate-intersection', pair);
    expect((await service.poll(await started.text())).status).toBe('finished');
    const { saved, name } = await service.download('/intersection', pair);
    rmSync(join(service.dataDir, 'intersections', name));
    rmSync(saved);
    const response = await service.post('/intersection', pair);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('Not Found\n');
  });
});
