// pandarus-remote benchmark: `npm run bench -w @geoworks/pandarus-remote`.
// What brightway2-regional's session costs end to end over HTTP on loopback, on data made by
// the script: 10,000 small squares and 400 large ones (GeoJSON) and a 4,000 x 4,000 float32
// GeoTIFF. Uploads, an intersection, remaining areas and raster statistics as background jobs
// (from request to a `finished` status, polled every 20 ms), and the downloads.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import gdal from 'gdal-async';
import { createLogger } from '@geoworks/service-kit';
import { start } from '../src/server.js';

const root = mkdtempSync(join(tmpdir(), 'pandarus-remote-bench-'));
const squares = (count: number, size: number, step: number, perRow: number) =>
  JSON.stringify({
    type: 'FeatureCollection',
    features: Array.from({ length: count }, (_, i) => {
      const [x, y] = [(i % perRow) * step + 0.013, Math.floor(i / perRow) * step + 0.017];
      return {
        type: 'Feature',
        properties: { name: `cell ${i}` },
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [x, y],
              [x + size, y],
              [x + size, y + size],
              [x, y + size],
              [x, y],
            ],
          ],
        },
      };
    }),
  });
const small = join(root, 'small.geojson');
const large = join(root, 'large.geojson');
writeFileSync(small, squares(10_000, 0.17, 0.2, 100)); // 20 x 20 degrees
writeFileSync(large, squares(400, 0.93, 1, 20));
const rasterPath = join(root, 'raster.tif');
const raster = gdal.open(rasterPath, 'w', 'GTiff', 4000, 4000, 1, 'Float32', ['TILED=YES']);
raster.geoTransform = [0, 0.005, 0, 20, 0, -0.005];
raster.srs = gdal.SpatialReference.fromEPSG(4326);
raster.bands.get(1).pixels.write(
  0,
  0,
  4000,
  4000,
  Float32Array.from({ length: 16e6 }, (_, i) => i % 97),
);
raster.close();

const server = await start({
  env: { PANDARUS_REMOTE_PORT: '0', PANDARUS_REMOTE_DATA_DIR: join(root, 'data') },
  logger: createLogger({ level: 'silent' }),
});
const url = (path: string) => new URL(path, server.url).href;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const seconds = (since: number) => (performance.now() - since) / 1000;
const post = (path: string, fields: Record<string, string>) =>
  fetch(url(path), { method: 'POST', body: new URLSearchParams(fields) });

async function upload(path: string, fields: Record<string, string>): Promise<string> {
  const hash = sha256(path);
  const form = new FormData();
  for (const [key, value] of Object.entries({
    name: path.split('/').pop()!,
    sha256: hash,
    band: '',
    layer: '',
    field: '',
    ...fields,
  }))
    form.append(key, value);
  form.append('file', new Blob([readFileSync(path)]), path.split('/').pop());
  const started = performance.now();
  const response = await fetch(url('/upload'), { method: 'POST', body: form });
  if (response.status !== 200)
    throw new Error(`upload: ${response.status} ${await response.text()}`);
  const size = statSync(path).size / 1e6;
  console.log(
    `upload ${path.split('/').pop()!.padEnd(14)} ${size.toFixed(1).padStart(5)} MB  ${seconds(started).toFixed(2)} s (checked, stored, catalogued)`,
  );
  return hash;
}

async function job(label: string, path: string, fields: Record<string, string>): Promise<void> {
  const started = performance.now();
  const response = await post(path, fields);
  if (response.status !== 200)
    throw new Error(`${path}: ${response.status} ${await response.text()}`);
  const status = await response.text();
  for (;;) {
    const state = await (await fetch(url(status))).text();
    if (state === 'finished') break;
    if (state === 'failed') throw new Error(`${label} failed`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  console.log(`${label.padEnd(36)} ${seconds(started).toFixed(2)} s from request to finished`);
}

async function download(
  label: string,
  path: string,
  fields: Record<string, string>,
): Promise<void> {
  const started = performance.now();
  const response = await post(path, fields);
  const bytes = (await response.arrayBuffer()).byteLength;
  if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  console.log(
    `download ${label.padEnd(27)} ${(bytes / 1e3).toFixed(0).padStart(6)} kB  ${seconds(started).toFixed(2)} s`,
  );
}

try {
  console.log('pandarus-remote: 10,000 squares x 400 squares, and a 4,000 x 4,000 float32 raster');
  const first = await upload(small, { field: 'name' });
  const second = await upload(large, { field: 'name' });
  const rasterHash = await upload(rasterPath, { band: '1' });
  await job('intersection (10,000 x 400 polygons)', '/calculate-intersection', { first, second });
  await download('intersection data', '/intersection', { first, second });
  await download('intersection vector file', '/intersection-file', { first, second });
  await job('remaining areas', '/calculate-remaining', { first, second });
  await job('raster statistics (10,000 polygons)', '/calculate-rasterstats', {
    vector: first,
    raster: rasterHash,
  });
  await download('raster statistics', '/rasterstats', { vector: first, raster: rasterHash });
} finally {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
