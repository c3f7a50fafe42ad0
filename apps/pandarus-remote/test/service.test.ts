// What brightway2-regional does against pandarus_remote, over real HTTP: upload, calculate,
// poll the status, download, parse; with the status codes it relies on.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readResultFile } from '@geoworks/pandarus-format';
import { createLogger } from '@geoworks/service-kit';
import { pandarusFixture } from '@geoworks/test-fixtures';
import { start } from '../src/server.js';

type Server = Awaited<ReturnType<typeof start>>;
const logger = createLogger({ level: 'silent' });
// Each test has a service of its own, on a fresh data directory: none depends on what another
// uploaded or calculated, so they pass alone, in any order.
let root: string;
let dataDir: string;
let server: Server;

const env = (extra: Record<string, string> = {}) => ({
  PANDARUS_REMOTE_PORT: '0',
  PANDARUS_REMOTE_DATA_DIR: dataDir,
  PANDARUS_CPUS: '1',
  ...extra,
});

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'pandarus-remote-'));
  dataDir = join(root, 'data');
  server = await start({ env: env(), logger });
});
afterEach(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const url = (path: string) => new URL(path, server.url).href;

async function upload(
  fixture: string,
  fields: Partial<Record<'name' | 'sha256' | 'band' | 'layer' | 'field', string>> = {},
) {
  const path = pandarusFixture(fixture);
  const form = new FormData();
  const all = {
    name: fixture,
    sha256: sha256(path),
    band: '',
    layer: '',
    field: 'name',
    ...fields,
  };
  for (const [key, value] of Object.entries(all)) if (value !== undefined) form.append(key, value);
  form.append('file', new Blob([readFileSync(path)]), fixture);
  return fetch(url('/upload'), { method: 'POST', body: form });
}

const post = (path: string, fields: Record<string, string>) =>
  fetch(url(path), { method: 'POST', body: new URLSearchParams(fields) });

async function poll(statusPath: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(url(statusPath));
    const status = response.status === 404 ? 'forgotten' : await response.text();
    if (['finished', 'failed', 'forgotten'].includes(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${statusPath} did not end`);
}

/** Downloads like bw2regional's _download_file, and parses bz2 or plain JSON. */
async function download(path: string, fields: Record<string, string>) {
  const response = await post(path, fields);
  expect(response.status).toBe(200);
  const disposition = response.headers.get('content-disposition')!;
  expect(disposition).toMatch(/^attachment; filename=[^"]+$/);
  expect(response.headers.get('content-encoding')).toBeNull();
  expect(response.headers.get('content-type')).toBe('application/octet-stream');
  const filename = disposition.replace('attachment; filename=', '');
  const saved = join(root, filename);
  writeFileSync(saved, Buffer.from(await response.arrayBuffer()));
  return { filename, saved };
}

/** The four datasets most tests work on, uploaded as bw2regional would. */
async function uploadFixtures(): Promise<void> {
  for (const fixture of ['grid.geojson', 'square.geojson', 'outside.geojson'])
    expect((await upload(fixture)).status).toBe(200);
  expect((await upload('range.tif', { field: '', band: '1' })).status).toBe(200);
}

/** Starts a calculation and waits for it to finish. */
async function calculated(path: string, fields: Record<string, string>): Promise<void> {
  const started = await post(path, fields);
  expect(started.status).toBe(200);
  expect(await poll(await started.text())).toBe('finished');
}

const hashes = {
  grid: sha256(pandarusFixture('grid.geojson')),
  square: sha256(pandarusFixture('square.geojson')),
  outside: sha256(pandarusFixture('outside.geojson')),
  range: sha256(pandarusFixture('range.tif')),
};

describe('pandarus-remote, as brightway2-regional uses it', () => {
  it('answers the ping', async () => {
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('pandarus_remote web service, version (1, 1).');
  });

  it('uploads vector and raster datasets, answering 200 {filename, sha256}', async () => {
    for (const fixture of ['grid.geojson', 'square.geojson', 'outside.geojson']) {
      const response = await upload(fixture);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { filename: string; sha256: string };
      expect(body.sha256).toBe(sha256(pandarusFixture(fixture)));
      expect(body.filename).toMatch(new RegExp(`^[0-9a-f]{32}\\.${fixture.replace('.', '\\.')}$`));
    }
    const raster = await upload('range.tif', { field: '', band: '1' });
    expect(raster.status).toBe(200);
    const catalog = (await (await fetch(url('/catalog'))).json()) as { files: string[][] };
    expect(catalog.files).toEqual([
      ['grid.geojson', hashes.grid, 'vector'],
      ['square.geojson', hashes.square, 'vector'],
      ['outside.geojson', hashes.outside, 'vector'],
      ['range.tif', hashes.range, 'raster'],
    ]);
  });

  it('refuses bad uploads with the original status codes and keeps nothing', async () => {
    await uploadFixtures();
    expect((await upload('grid.geojson')).status).toBe(409);
    const mismatch = await upload('gc.geojson', { sha256: '0'.repeat(64) });
    expect(mismatch.status).toBe(406);
    expect(await mismatch.text()).toMatch(/does not match/);
    const notDataset = await upload('invalid.txt');
    expect(notDataset.status).toBe(406);
    expect(await notDataset.text()).toMatch(
      /invalid\.txt is not a readable vector or raster dataset/,
    );
    expect((await upload('gc.geojson')).status).toBe(406);
    const duplicates = await upload('duplicates.geojson');
    expect(duplicates.status).toBe(406);
    expect(await duplicates.text()).toMatch(/must identify features uniquely/);
    const missingField = await upload('big-grid.geojson', { field: undefined });
    expect(missingField.status).toBe(400);
    expect(await missingField.text()).toBe('Missing form field: field\n');
    const catalog = (await (await fetch(url('/catalog'))).json()) as { files: unknown[] };
    expect(catalog.files).toHaveLength(4);
    expect(readdirCount(join(dataDir, 'uploads', 'incoming'))).toBe(0);
  });

  it('calculates an intersection in the background, deduplicated, then downloads it', async () => {
    await uploadFixtures();
    expect(
      (await post('/intersection', { first: hashes.grid, second: hashes.square })).status,
    ).toBe(404);
    const first = await post('/calculate-intersection', {
      first: hashes.grid,
      second: hashes.square,
    });
    expect(first.status).toBe(200);
    const statusPath = await first.text();
    expect(statusPath).toMatch(/^\/status\/[0-9a-f-]{36}$/);
    expect(await poll(statusPath)).toBe('finished');
    // Asked again once it is done (and recorded): 409, as the original; a request while the
    // job is still queued gets its status path back from the queue's key (job-queue tests).
    expect(
      (await post('/calculate-intersection', { first: hashes.grid, second: hashes.square })).status,
    ).toBe(409);

    const { filename, saved } = await download('/intersection', {
      first: hashes.grid,
      second: hashes.square,
    });
    expect(filename).toBe(`${hashes.grid}.${hashes.square}.json.bz2`);
    const data = await readResultFile<{
      data: [string, string, number][];
      metadata: Record<string, { sha256: string; field: string }>;
    }>(saved);
    const reference: Record<string, number> = {
      'grid cell 0': 3097719886.0413523,
      'grid cell 1': 3097248058.207055,
      'grid cell 2': 3097719886.041353,
      'grid cell 3': 3097248058.207057,
    };
    expect(data.data.map(([a, b]) => [a, b])).toEqual(
      Object.keys(reference).map((cell) => [cell, 'single']),
    );
    for (const [cell, , area] of data.data)
      expect(Math.abs(area / reference[cell]! - 1)).toBeLessThan(1e-6);
    // What bw2regional's import_from_pandarus matches geocollections on.
    expect(data.metadata.first).toMatchObject({ sha256: hashes.grid, field: 'name' });
    expect(data.metadata.second).toMatchObject({ sha256: hashes.square, field: 'name' });

    const vector = await download('/intersection-file', {
      first: hashes.grid,
      second: hashes.square,
    });
    expect(vector.filename).toBe(`${hashes.grid}.${hashes.square}.geojson`);
    const geojson = JSON.parse(readFileSync(vector.saved, 'utf8')) as {
      features: { properties: { id: number } }[];
    };
    expect(geojson.features.map((feature) => feature.properties.id)).toEqual([0, 1, 2, 3]);
    const vectorHash = sha256(vector.saved);

    // As pandarus_remote: the output is a new dataset with its two derived intersections.
    const catalog = (await (await fetch(url('/catalog'))).json()) as {
      files: string[][];
      intersections: string[][];
    };
    expect(catalog.files).toContainEqual([vector.filename, vectorHash, 'vector']);
    expect(catalog.intersections).toEqual([
      [hashes.grid, hashes.square],
      [vectorHash, hashes.grid],
      [vectorHash, hashes.square],
    ]);
    const derived = await download('/intersection', { first: vectorHash, second: hashes.grid });
    const derivedData = await readResultFile<{ data: [number, string, number][] }>(derived.saved);
    expect(derivedData.data.map(([id, label]) => [id, label])).toEqual([
      [0, 'grid cell 0'],
      [1, 'grid cell 1'],
      [2, 'grid cell 2'],
      [3, 'grid cell 3'],
    ]);
  });

  it('calculates remaining areas of an intersected pair', async () => {
    await uploadFixtures();
    expect(
      (await post('/calculate-remaining', { first: hashes.outside, second: hashes.grid })).status,
    ).toBe(404);
    await calculated('/calculate-intersection', { first: hashes.outside, second: hashes.grid });
    const remaining = await post('/calculate-remaining', {
      first: hashes.outside,
      second: hashes.grid,
    });
    expect(remaining.status).toBe(200);
    expect(await poll(await remaining.text())).toBe('finished');
    const { saved } = await download('/remaining', { first: hashes.outside, second: hashes.grid });
    const data = await readResultFile<{ data: [string, number][] }>(saved);
    expect(data.data[0]![0]).toBe('by-myself');
    expect(Math.abs(data.data[0]![1] / 6191048105.59 - 1)).toBeLessThan(1e-6);
    expect(
      (await post('/calculate-remaining', { first: hashes.outside, second: hashes.grid })).status,
    ).toBe(409);
  });

  it('calculates raster statistics, coverage-weighted like the original service', async () => {
    await uploadFixtures();
    const started = await post('/calculate-rasterstats', {
      vector: hashes.grid,
      raster: hashes.range,
    });
    expect(started.status).toBe(200);
    expect(await poll(await started.text())).toBe('finished');
    const { filename, saved } = await download('/rasterstats', {
      vector: hashes.grid,
      raster: hashes.range,
    });
    expect(filename).toBe(`${hashes.grid}-${hashes.range}-1.json.bz2`);
    const data = await readResultFile<{
      data: [string, { mean: number; count: number }][];
      metadata: Record<string, unknown>;
    }>(saved);
    const means = [38.29999923706055, 8.300000190734863, 40.70000076293945, 10.699999809265137];
    data.data.forEach(([, stats], i) => {
      expect(Math.abs(stats.mean / means[i]! - 1)).toBeLessThan(1e-6);
      expect(stats.count).toBeCloseTo(10, 9);
    });
    // What bw2regional's import_xt_from_rasterstats reads.
    expect(Object.keys(data.metadata).sort()).toEqual(['raster', 'vector', 'when']);
    expect(
      (await post('/calculate-rasterstats', { vector: hashes.grid, raster: hashes.range })).status,
    ).toBe(409);
  });

  it('answers 400, 404 and 406 for bad calculation requests', async () => {
    await uploadFixtures();
    const missing = await post('/calculate-intersection', { first: hashes.grid });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toBe('Missing form field: second\n');
    expect(
      (await post('/calculate-intersection', { first: hashes.grid, second: 'f'.repeat(64) }))
        .status,
    ).toBe(404);
    expect(
      (await post('/calculate-intersection', { first: hashes.grid, second: hashes.grid })).status,
    ).toBe(406);
    expect(
      (await post('/calculate-intersection', { first: hashes.range, second: hashes.grid })).status,
    ).toBe(406);
    expect(
      (await post('/calculate-rasterstats', { vector: hashes.grid, raster: hashes.square })).status,
    ).toBe(406);
    expect(
      (await post('/rasterstats', { vector: hashes.square, raster: hashes.range })).status,
    ).toBe(404);
    expect((await fetch(url('/status/no-such-job'))).status).toBe(404);
    expect((await fetch(url('/no-such-route'))).status).toBe(404);
  });

  it('reports a failed job as failed, with its error, and records nothing', async () => {
    await uploadFixtures();
    // The stored square disappears from disk: the job fails, the catalog stays as it was.
    const before = (await (await fetch(url('/catalog'))).json()) as { intersections: unknown[] };
    const stored = server.service.catalog().files.find(([name]) => name === 'square.geojson');
    expect(stored).toBeDefined();
    const squareFile = join(
      dataDir,
      'uploads',
      readdirNames(join(dataDir, 'uploads')).find((name) => name.endsWith('.square.geojson'))!,
    );
    const copy = readFileSync(squareFile);
    unlinkSync(squareFile);
    try {
      const started = await post('/calculate-intersection', {
        first: hashes.outside,
        second: hashes.square,
      });
      const statusPath = await started.text();
      expect(await poll(statusPath)).toBe('failed');
      const detail = (await (
        await fetch(url(statusPath), { headers: { accept: 'application/json' } })
      ).json()) as {
        status: string;
        error: string;
      };
      expect(detail.status).toBe('failed');
      expect(detail.error).toMatch(/No such file: .*square\.geojson/);
      const after = (await (await fetch(url('/catalog'))).json()) as { intersections: unknown[] };
      expect(after.intersections).toEqual(before.intersections);
      expect(
        (await post('/intersection', { first: hashes.outside, second: hashes.square })).status,
      ).toBe(404);
    } finally {
      writeFileSync(squareFile, copy);
    }
  });

  it('keeps the catalog and results across a restart, and serves its OpenAPI description', async () => {
    await uploadFixtures();
    await calculated('/calculate-intersection', { first: hashes.grid, second: hashes.square });
    const before = server.service.catalog();
    expect(before.intersections).toHaveLength(3);
    await server.stop();
    server = await start({ env: env(), logger });
    expect(server.service.catalog()).toEqual(before);
    await download('/intersection', { first: hashes.grid, second: hashes.square });
    const openapi = (await (await fetch(url('/openapi.json'))).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/',
        '/catalog',
        '/upload',
        '/calculate-intersection',
        '/status/{id}',
        '/intersection-file',
        '/rasterstats',
      ]),
    );
  });

  it('answers 413 for an upload over the limit', async () => {
    const small = await start({
      env: env({ PANDARUS_MAX_UPLOAD: '1KB', PANDARUS_REMOTE_DATA_DIR: join(root, 'small') }),
      logger,
    });
    try {
      const form = new FormData();
      for (const [key, value] of Object.entries({
        name: 'big.geojson',
        sha256: 'x',
        band: '',
        layer: '',
        field: 'name',
      }))
        form.append(key, value);
      form.append('file', new Blob([Buffer.alloc(4096, 32)]), 'big.geojson');
      const response = await fetch(new URL('/upload', small.url), { method: 'POST', body: form });
      expect(response.status).toBe(413);
      expect(readdirCount(join(root, 'small', 'uploads', 'incoming'))).toBe(0);
    } finally {
      await small.stop();
    }
  });
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir);
}
function readdirCount(dir: string): number {
  return readdirNames(dir).length;
}
