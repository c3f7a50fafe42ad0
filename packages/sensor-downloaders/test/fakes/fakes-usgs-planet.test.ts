// Exercises the USGS M2M and Planet fakes with plain fetch, so provider tests can trust them.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser, x as extract } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlanetFake, type PlanetFake } from './planet.js';
import { startUsgsFake, usgsBandProductId, usgsBundleProductId, type UsgsFake } from './usgs.js';
import { manualClock, MARKHAM } from '../helpers.js';

interface Envelope<T = unknown> {
  requestId: number;
  version: string;
  sessionId: number;
  data: T;
  errorCode: string | null;
  errorMessage: string | null;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function usgs(options: Parameters<typeof startUsgsFake>[0] = {}): Promise<UsgsFake> {
  const fake = await startUsgsFake(options);
  closers.push(() => fake.close());
  return fake;
}

async function planet(options: Parameters<typeof startPlanetFake>[0] = {}): Promise<PlanetFake> {
  const fake = await startPlanetFake(options);
  closers.push(() => fake.close());
  return fake;
}

async function m2m<T = unknown>(
  fake: UsgsFake,
  endpoint: string,
  body: unknown,
  apiKey?: string,
): Promise<{ status: number; json: Envelope<T> }> {
  const response = await fetch(fake.apiUrl + endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(apiKey === undefined ? {} : { 'x-auth-token': apiKey }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Envelope<T> };
}

async function login(fake: UsgsFake): Promise<string> {
  const { json } = await m2m<string>(fake, 'login-token', {
    username: 'landsat-user',
    token: 'app-token-123',
  });
  expect(json.errorCode).toBeNull();
  return json.data;
}

const mbr = {
  filterType: 'mbr',
  lowerLeft: { latitude: 43.8, longitude: -79.4 },
  upperRight: { latitude: 43.9, longitude: -79.3 },
};

interface SearchData {
  results: {
    entityId: string;
    displayId: string;
    cloudCover: string;
    publishDate: string;
    temporalCoverage: { startDate: string; endDate: string };
    spatialCoverage: { type: string; coordinates: number[][][] };
    spatialBounds: { type: string };
    metadata: { fieldName: string; value: string }[];
    browse: unknown[];
  }[];
  recordsReturned: number;
  totalHits: number;
  startingNumber: number;
  nextRecord: number;
}

async function untar(buffer: Buffer): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => entries.set(entry.path, Buffer.concat(chunks)));
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', reject);
    parser.end(buffer);
  });
  return entries;
}

describe('USGS M2M fake', () => {
  it('logs in with login-token, reports errors inside HTTP 200, and 404s the removed login', async () => {
    const fake = await usgs();
    const wrong = await m2m(fake, 'login-token', { username: 'landsat-user', token: 'nope' });
    expect(wrong.status).toBe(200);
    expect(wrong.json).toMatchObject({
      version: 'stable',
      data: null,
      errorCode: 'AUTH_INVALID',
      errorMessage: 'User credential denied',
    });
    const key = await login(fake);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(fake.apiKeys.get(key)?.sessionId).toBe(1);

    const removed = await m2m(fake, 'login', { username: 'landsat-user', password: 'pw' });
    expect(removed.status).toBe(404);
    expect(removed.json.errorCode).toBe('ENDPOINT_UNAVAILABLE');

    const noKey = await m2m(fake, 'scene-search', { datasetName: 'landsat_ot_c2_l2' });
    expect(noKey.status).toBe(200);
    expect(noKey.json.errorCode).toBe('AUTH_INVALID');
    const badKey = await m2m(fake, 'scene-search', { datasetName: 'landsat_ot_c2_l2' }, 'f00');
    expect(badKey.json.errorCode).toBe('AUTH_INVALID');

    const badDataset = await m2m(fake, 'scene-search', { datasetName: 'landsat_8_c1' }, key);
    expect(badDataset.status).toBe(200);
    expect(badDataset.json.errorCode).toBe('DATASET_INVALID');
    const badStart = await m2m(
      fake,
      'scene-search',
      { datasetName: 'landsat_ot_c2_l2', startingNumber: 0 },
      key,
    );
    expect(badStart.json.errorCode).toBe('INPUT_PARAMETER_INVALID');

    fake.failNext.push({ errorCode: 'AUTH_KEY_INVALID', errorMessage: 'Invalid API Key' });
    const injected = await m2m(fake, 'scene-search', { datasetName: 'landsat_ot_c2_l2' }, key);
    expect(injected.json).toMatchObject({ errorCode: 'AUTH_KEY_INVALID', data: null });

    const logout = await m2m(fake, 'logout', {}, key);
    expect(logout.json).toMatchObject({ data: null, errorCode: null, sessionId: 1 });
    const after = await m2m(fake, 'scene-search', { datasetName: 'landsat_ot_c2_l2' }, key);
    expect(after.json.errorCode).toBe('AUTH_INVALID');
    expect(fake.calls.map((c) => c.endpoint)).toEqual([
      'login-token',
      'login-token',
      'login',
      'scene-search',
      'scene-search',
      'scene-search',
      'scene-search',
      'scene-search',
      'logout',
      'scene-search',
    ]);
    expect(after.json.requestId).toBe(10);
  });

  it('expires api keys after apiKeyTtlMs', async () => {
    const clock = manualClock();
    const fake = await usgs({ apiKeyTtlMs: 300, now: clock.now });
    const key = await login(fake);
    clock.advance(299);
    const ok = await m2m(fake, 'scene-search', { datasetName: 'landsat_ot_c2_l2' }, key);
    expect(ok.json.errorCode).toBeNull();
    clock.advance(1);
    const expired = await m2m(fake, 'scene-search', { datasetName: 'landsat_ot_c2_l2' }, key);
    expect(expired.status).toBe(200);
    expect(expired.json.errorCode).toBe('AUTH_INVALID');
    fake.apiKeyTtlMs = 3600_000;
    const key2 = await login(fake);
    expect(key2).not.toBe(key);
    fake.expireApiKeys();
    expect(
      (await m2m(fake, 'scene-search', { datasetName: 'landsat_ot_c2_l2' }, key2)).json.errorCode,
    ).toBe('AUTH_INVALID');
  });

  it('searches scenes with the real field formats and the nextRecord quirk on the last page', async () => {
    const fake = await usgs();
    const key = await login(fake);
    const inside = fake.scenes.filter((scene) => scene.index % 4 !== 3);
    expect(inside).toHaveLength(9);
    const pages: SearchData[] = [];
    let startingNumber = 1;
    for (;;) {
      const { json } = await m2m<SearchData>(
        fake,
        'scene-search',
        {
          datasetName: 'landsat_ot_c2_l2',
          maxResults: 4,
          startingNumber,
          metadataType: 'summary',
          sceneFilter: {
            acquisitionFilter: { start: '2019-05-01', end: '2019-06-30' },
            spatialFilter: mbr,
          },
        },
        key,
      );
      expect(json.errorCode).toBeNull();
      pages.push(json.data);
      if (json.data.startingNumber + json.data.recordsReturned > json.data.totalHits) break;
      startingNumber = json.data.nextRecord;
    }
    expect(
      pages.map((p) => [p.startingNumber, p.recordsReturned, p.totalHits, p.nextRecord]),
    ).toEqual([
      [1, 4, 9, 5],
      [5, 4, 9, 9],
      [9, 1, 9, 9], // the quirk: nextRecord did not advance on the last page
    ]);
    const results = pages.flatMap((p) => p.results);
    // Newest first.
    const expected = [...inside].reverse();
    expect(results.map((r) => r.entityId)).toEqual(expected.map((s) => s.entityId));
    const first = results[0]!;
    const scene = expected[0]!;
    expect(scene.entityId).toBe('LC80170302019176LGN00');
    expect(first.displayId).toBe('LC08_L2SP_017030_20190625_20190715_02_T1');
    expect(first.cloudCover).toBe(String(scene.cloudCover));
    expect(typeof first.cloudCover).toBe('string');
    expect(first.publishDate).toMatch(/^2019-06-25 15:5\d:\d\d$/);
    expect(first.temporalCoverage).toEqual({
      startDate: '2019-06-25 00:00:00',
      endDate: '2019-06-25 00:00:00',
    });
    expect(first.spatialCoverage).toEqual({ type: 'Polygon', coordinates: [scene.footprint] });
    expect(first.spatialBounds.type).toBe('Polygon');
    expect(first.metadata).toEqual([]);
    expect(first.browse).toHaveLength(1);

    // Past the end: nothing, nextRecord stays put.
    const past = await m2m<SearchData>(
      fake,
      'scene-search',
      { datasetName: 'landsat_ot_c2_l2', startingNumber: 50, sceneFilter: { spatialFilter: mbr } },
      key,
    );
    expect(past.json.data).toMatchObject({ recordsReturned: 0, totalHits: 9, nextRecord: 50 });

    // GeoJSON in both spellings, full metadata, cloud filter, date filter.
    const ring = MARKHAM.coordinates[0]!;
    for (const keyName of ['geoJson', 'geojson']) {
      const { json } = await m2m<SearchData>(
        fake,
        'scene-search',
        {
          datasetName: 'landsat_ot_c2_l2',
          metadataType: 'full',
          sceneFilter: {
            acquisitionFilter: { start: '2019-05-01', end: '2019-05-31' },
            spatialFilter: {
              filterType: 'geojson',
              [keyName]: { type: 'Polygon', coordinates: [ring] },
            },
            cloudCoverFilter: { min: 0, max: 50, includeUnknown: false },
          },
        },
        key,
      );
      const want = inside
        .filter((s) => s.acquired < '2019-06-01' && s.cloudCover! <= 50)
        .map((s) => s.entityId)
        .reverse();
      expect(want.length).toBeGreaterThan(0);
      expect(json.data.results.map((r) => r.entityId)).toEqual(want);
      const fields = Object.fromEntries(
        json.data.results[0]!.metadata.map((m) => [m.fieldName, m.value]),
      );
      expect(fields['Landsat Product Identifier L2']).toBe(json.data.results[0]!.displayId);
    }
  });

  it('accepts GET with a JSON body, as landsatxplore sends it', async () => {
    const fake = await usgs({ count: 3 });
    const key = await login(fake);
    const body = JSON.stringify({ datasetName: 'landsat_ot_c2_l2', maxResults: 10 });
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(
        fake.apiUrl + 'scene-search',
        {
          method: 'GET',
          headers: {
            'x-auth-token': key,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let out = '';
          res.on('data', (chunk: Buffer) => (out += chunk.toString()));
          res.on('end', () => resolve(out));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    const json = JSON.parse(text) as Envelope<SearchData>;
    expect(json.errorCode).toBeNull();
    expect(json.data.totalHits).toBe(3);
    expect(fake.calls.at(-1)).toMatchObject({ endpoint: 'scene-search', method: 'GET' });
  });

  it('rate-limits every Nth request with errorCode RATE_LIMIT inside HTTP 200', async () => {
    const fake = await usgs({ count: 2 });
    const key = await login(fake);
    fake.rateLimitEvery = 3;
    const codes: (string | null)[] = [];
    for (let i = 0; i < 6; i++) {
      const { status, json } = await m2m(
        fake,
        'scene-search',
        { datasetName: 'landsat_ot_c2_l2' },
        key,
      );
      expect(status).toBe(200);
      codes.push(json.errorCode);
    }
    expect(codes).toEqual([null, null, 'RATE_LIMIT', null, null, 'RATE_LIMIT']);
  });

  it('prepares downloads, serves a real tar bundle on the dds host with Range, and removes orders', async () => {
    const fake = await usgs({ count: 4, preparingPolls: 2 });
    const key = await login(fake);
    const scene = fake.scenes[0]!;
    const options = await m2m<
      {
        id: string;
        entityId: string;
        productName: string;
        available: boolean;
        filesize: number;
        downloadSystem: string;
        secondaryDownloads: { id: string; entityId: string; displayId: string; filesize: number }[];
      }[]
    >(
      fake,
      'download-options',
      { datasetName: 'landsat_ot_c2_l2', entityIds: [scene.entityId, 'nope'] },
      key,
    );
    expect(options.json.data).toHaveLength(1);
    const option = options.json.data[0]!;
    expect(option).toMatchObject({
      id: usgsBundleProductId('landsat_ot_c2_l2'),
      entityId: scene.entityId,
      displayId: scene.displayId,
      productName: 'Landsat Collection 2 Level-2 Product Bundle',
      available: true,
      downloadSystem: 'dds',
    });
    expect(option.filesize).toBe(fake.bundle(scene).length);
    expect(option.secondaryDownloads.map((s) => s.displayId)).toEqual([
      `${scene.displayId}_SR_B4.TIF`,
      `${scene.displayId}_SR_B5.TIF`,
      `${scene.displayId}_QA_PIXEL.TIF`,
      `${scene.displayId}_MTL.txt`,
    ]);
    expect(option.secondaryDownloads[0]!.id).toBe(
      usgsBandProductId('landsat_ot_c2_l2', 'SR_B4.TIF'),
    );

    const label = 'sd-1699999';
    const requested = await m2m<{
      availableDownloads: { url: string }[];
      preparingDownloads: { downloadId: number; eulaCode: null; url: string }[];
      failed: { entityId: string; errorMessage: string }[];
      duplicateProducts: unknown[];
      newRecords: Record<string, string>;
      numInvalidScenes: number;
    }>(
      fake,
      'download-request',
      {
        downloads: [
          { entityId: scene.entityId, productId: option.id },
          { entityId: fake.scenes[1]!.entityId, productId: 'badbadbadbadbad0' },
        ],
        label,
      },
      key,
    );
    const data = requested.json.data;
    expect(data.availableDownloads).toEqual([]);
    expect(data.preparingDownloads).toHaveLength(1);
    const preparing = data.preparingDownloads[0]!;
    expect(preparing.downloadId).toBe(26107136);
    expect(preparing.eulaCode).toBeNull();
    expect(preparing.url).toMatch(new RegExp(`^${fake.ddsUrl}/download-staging/eyJpZCI6`));
    expect(data.failed).toEqual([
      {
        entityId: fake.scenes[1]!.entityId,
        productId: 'badbadbadbadbad0',
        errorMessage: 'Invalid product for entity',
      },
    ]);
    expect(data.newRecords).toEqual({ '26107136': `m2m_26107136_${label}` });
    expect(data.numInvalidScenes).toBe(0);
    expect((await fetch(preparing.url)).status).toBe(404); // not staged yet

    const polls: {
      available: { url: string; entityId: string; displayId: string }[];
      requested: unknown[];
      queueSize: number;
    }[] = [];
    for (let i = 0; i < 3; i++)
      polls.push(
        (await m2m<(typeof polls)[number]>(fake, 'download-retrieve', { label }, key)).json.data,
      );
    expect(polls.map((p) => [p.available.length, p.requested.length, p.queueSize])).toEqual([
      [0, 1, 1],
      [0, 1, 1],
      [1, 0, 0],
    ]);
    const ready = polls[2]!.available[0]!;
    expect(ready).toMatchObject({
      entityId: scene.entityId,
      displayId: scene.displayId,
      url: preparing.url,
    });

    const response = await fetch(ready.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-tar');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="${scene.displayId}.tar"`,
    );
    const tar = Buffer.from(await response.arrayBuffer());
    expect(tar.length).toBe(option.filesize);
    const entries = await untar(tar);
    expect([...entries.keys()]).toEqual(scene.files.map((f) => f.filename));
    const b4 = scene.files[0]!;
    expect(
      entries
        .get(b4.filename)!
        .equals(Buffer.isBuffer(b4.content) ? b4.content : b4.content.slice(0, b4.content.size)),
    ).toBe(true);
    expect(entries.get(`${scene.displayId}_MTL.txt`)!.toString()).toContain(
      `LANDSAT_PRODUCT_ID = "${scene.displayId}"`,
    );

    // A real extractor agrees.
    const dir = await mkdtemp(join(tmpdir(), 'usgs-fake-'));
    try {
      await writeFile(join(dir, 'bundle.tar'), tar);
      await extract({ file: join(dir, 'bundle.tar'), cwd: dir });
      expect((await readdir(dir)).sort()).toEqual(
        ['bundle.tar', ...scene.files.map((f) => f.filename)].sort(),
      );
      expect((await readFile(join(dir, b4.filename))).length).toBe(scene.bandSize);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // Range resume, and no auth sent to dds.
    const ranged = await fetch(ready.url, { headers: { range: 'bytes=1000-' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-${tar.length - 1}/${tar.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(tar.subarray(1000))).toBe(true);
    expect(fake.ddsAuthHeaders).toEqual([]);
    await fetch(ready.url, { method: 'HEAD', headers: { 'x-auth-token': key } });
    expect(fake.ddsAuthHeaders).toEqual([
      { url: new URL(ready.url).pathname, header: 'x-auth-token', value: key },
    ]);

    // Same product again under the label is a duplicate.
    const again = await m2m<{ duplicateProducts: unknown[] }>(
      fake,
      'download-request',
      { downloads: [{ entityId: scene.entityId, productId: option.id }], label },
      key,
    );
    expect(again.json.data.duplicateProducts).toEqual([
      { entityId: scene.entityId, productId: option.id, downloadId: 26107136 },
    ]);

    const removed = await m2m(fake, 'download-order-remove', { label }, key);
    expect(removed.json).toMatchObject({ data: null, errorCode: null });
    expect(fake.removedLabels).toEqual([label]);
    const empty = await m2m<{ available: unknown[]; queueSize: number }>(
      fake,
      'download-retrieve',
      { label },
      key,
    );
    expect(empty.json.data).toMatchObject({ available: [], queueSize: 0 });
  });

  it('marks unavailable bundles, fails their requests, and can serve a path-escaping tar', async () => {
    const fake = await usgs({
      count: 2,
      unavailable: ['LC80170302019121LGN00'],
      maliciousTar: true,
    });
    const key = await login(fake);
    const [bad, good] = fake.scenes;
    expect(bad!.entityId).toBe('LC80170302019121LGN00');
    const options = await m2m<{ available: boolean }[]>(
      fake,
      'download-options',
      { datasetName: 'landsat_ot_c2_l2', entityIds: [bad!.entityId, good!.entityId] },
      key,
    );
    expect(options.json.data.map((o) => o.available)).toEqual([false, true]);
    const productId = usgsBundleProductId('landsat_ot_c2_l2');
    const requested = await m2m<{
      availableDownloads: { url: string }[];
      failed: { errorMessage: string }[];
    }>(
      fake,
      'download-request',
      {
        downloads: [
          { entityId: bad!.entityId, productId },
          { entityId: good!.entityId, productId },
        ],
        label: 'evil',
      },
      key,
    );
    expect(requested.json.data.failed.map((f) => f.errorMessage)).toEqual([
      'Product not available',
    ]);
    expect(requested.json.data.availableDownloads).toHaveLength(1);
    const tar = Buffer.from(
      await (await fetch(requested.json.data.availableDownloads[0]!.url)).arrayBuffer(),
    );
    const entries = await untar(tar);
    expect(entries.get('../../evil.txt')?.toString()).toBe('escaped!\n');
  });

  it('applies download faults on the dds host', async () => {
    const fake = await usgs({ count: 1, downloadFaults: { serverErrors: 1 } });
    const key = await login(fake);
    const scene = fake.scenes[0]!;
    const { json } = await m2m<{ availableDownloads: { url: string }[] }>(
      fake,
      'download-request',
      {
        downloads: [
          { entityId: scene.entityId, productId: usgsBundleProductId('landsat_ot_c2_l2') },
        ],
      },
      key,
    );
    const url = json.data.availableDownloads[0]!.url;
    expect((await fetch(url)).status).toBe(503);
    expect((await fetch(url)).status).toBe(200);

    // A secondary (band file) download is served alone under its own name.
    const band = await m2m<{ availableDownloads: { url: string }[] }>(
      fake,
      'download-request',
      {
        downloads: [
          {
            entityId: `${scene.displayId}_SR_B4_TIF`,
            productId: usgsBandProductId('landsat_ot_c2_l2', 'SR_B4.TIF'),
          },
        ],
        label: 'bands',
      },
      key,
    );
    const response = await fetch(band.json.data.availableDownloads[0]!.url);
    expect(response.headers.get('content-type')).toBe('image/tiff');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="${scene.displayId}_SR_B4.TIF"`,
    );
    expect((await response.arrayBuffer()).byteLength).toBe(scene.bandSize);
  });
});

describe('Planet fake', () => {
  const polygon = MARKHAM;
  const searchBody = (cloudMax = 1) => ({
    item_types: ['PSScene'],
    filter: {
      type: 'AndFilter',
      config: [
        { type: 'GeometryFilter', field_name: 'geometry', config: polygon },
        {
          type: 'DateRangeFilter',
          field_name: 'acquired',
          config: { gte: '2019-05-01T00:00:00Z', lte: '2019-07-01T00:00:00Z' },
        },
        { type: 'RangeFilter', field_name: 'cloud_cover', config: { gte: 0, lte: cloudMax } },
        { type: 'PermissionFilter', config: ['assets:download'] },
      ],
    },
  });

  interface Page {
    type: string;
    _links: { _self: string; _first: string; _next?: string };
    features: {
      id: string;
      _links: { _self: string; assets: string };
      properties: {
        acquired: string;
        cloud_cover: number;
        cloud_percent: number;
        item_type: string;
      };
    }[];
  }

  interface Asset {
    _links: { _self: string; activate: string; type: string };
    _permissions: string[];
    md5_digest: string | null;
    status: string;
    type: string;
    location?: string;
    expires_at?: string;
  }

  it('requires Basic auth with the key and an empty password', async () => {
    const fake = await planet({ count: 1 });
    const url = `${fake.url}/data/v1/item-types/PSScene/items/${fake.items[0]!.id}`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ message: expect.stringContaining('API key') });
    const wrong = await fetch(url, {
      headers: { authorization: `Basic ${Buffer.from('other:').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
    const ok = await fetch(url, {
      headers: { authorization: `Basic ${Buffer.from('PLAK-test-key:').toString('base64')}` },
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: string }).id).toBe(fake.items[0]!.id);
    expect(fake.authFailures).toBe(2);
  });

  it('pages quick-search results through _next until it is absent', async () => {
    const fake = await planet({ noDownloadPermission: [] });
    const auth = { authorization: fake.authorization };
    const first = await fetch(
      `${fake.url}/data/v1/quick-search?_sort=acquired%20desc&_page_size=3`,
      {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(searchBody(0.5)),
      },
    );
    expect(first.status).toBe(200);
    const pages: Page[] = [(await first.json()) as Page];
    while (pages.at(-1)!._links._next !== undefined) {
      const next = await fetch(pages.at(-1)!._links._next!, { headers: auth });
      expect(next.status).toBe(200);
      pages.push((await next.json()) as Page);
    }
    const want = fake.items
      .filter((item) => item.index % 4 !== 3 && item.cloudCover <= 0.5)
      .sort((a, b) => (a.acquired < b.acquired ? 1 : -1))
      .map((item) => item.id);
    expect(want.length).toBeGreaterThan(3);
    expect(pages.map((p) => p.features.length)).toEqual(
      Array.from({ length: Math.ceil(want.length / 3) }, (_, i) =>
        Math.min(3, want.length - i * 3),
      ),
    );
    expect(pages[0]!.type).toBe('FeatureCollection');
    expect(pages[0]!._links._next).toMatch(
      new RegExp(`^${fake.url}/data/v1/searches/[0-9a-f]+/results\\?_page=`),
    );
    expect(pages.flatMap((p) => p.features.map((f) => f.id))).toEqual(want);
    const feature = pages[0]!.features[0]!;
    expect(feature.id).toMatch(/^\d{8}_\d{6}_\d{2}_[0-9a-f]{4}$/);
    expect(feature.properties.item_type).toBe('PSScene');
    expect(feature.properties.cloud_cover).toBeLessThanOrEqual(0.5);
    expect(feature.properties.cloud_percent).toBe(Math.round(feature.properties.cloud_cover * 100));
    expect(feature.properties.acquired).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(feature._links.assets).toBe(
      `${fake.url}/data/v1/item-types/PSScene/items/${feature.id}/assets/`,
    );

    const bad = await fetch(`${fake.url}/data/v1/quick-search`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ item_types: ['PSScene'], filter: { type: 'Nope' } }),
    });
    expect(bad.status).toBe(400);
  });

  it('activates assets through inactive → activating → active and serves them with a true md5', async () => {
    const fake = await planet({ count: 2 });
    const auth = { authorization: fake.authorization };
    const item = fake.items[0]!;
    const listing = (await (
      await fetch(`${fake.url}/data/v1/item-types/PSScene/items/${item.id}/assets`, {
        headers: auth,
      })
    ).json()) as Record<string, Asset>;
    expect(Object.keys(listing)).toEqual(['ortho_analytic_4b', 'ortho_udm2', 'ortho_visual']);
    const asset = listing.ortho_analytic_4b!;
    expect(asset).toMatchObject({
      status: 'inactive',
      md5_digest: null,
      _permissions: ['download'],
      type: 'ortho_analytic_4b',
    });
    expect(asset.location).toBeUndefined();

    expect((await fetch(asset._links.activate, { headers: auth })).status).toBe(202);
    expect((await fetch(asset._links.activate, { method: 'POST', headers: auth })).status).toBe(
      204,
    );
    const statuses: Asset[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await (await fetch(asset._links._self, { headers: auth })).json()) as Asset);
    expect(statuses.map((s) => s.status)).toEqual(['activating', 'activating', 'active']);
    const active = statuses[2]!;
    const file = item.assets.get('ortho_analytic_4b')!.file;
    expect(active.md5_digest).toBe(file.md5);
    expect(Date.parse(active.expires_at!)).toBeGreaterThan(Date.now());
    expect(active.location!.startsWith(`${fake.downloadUrl}/download/`)).toBe(true);
    expect(fake.activations.map((a) => [a.method, a.status])).toEqual([
      ['GET', 202],
      ['POST', 204],
    ]);

    const download = await fetch(active.location!);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="${item.id}_3B_AnalyticMS_SR.tif"`,
    );
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(item.analyticSize);
    expect(createHash('md5').update(bytes).digest('hex')).toBe(active.md5_digest);
    const ranged = await fetch(active.location!, { headers: { range: 'bytes=5000-' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(5000))).toBe(true);
    expect(fake.downloadAuthHeaders).toEqual([]);
    await fetch(active.location!, { method: 'HEAD', headers: auth });
    expect(fake.downloadAuthHeaders).toHaveLength(1);
    // A tampered signature is refused.
    expect((await fetch(active.location!.replace(/token=.*/, 'token=x'))).status).toBe(403);

    // The item-path form of the asset URL works too; wrongMd5 lies about the digest.
    fake.wrongMd5 = true;
    const viaItem = (await (
      await fetch(
        `${fake.url}/data/v1/item-types/PSScene/items/${item.id}/assets/ortho_analytic_4b`,
        { headers: auth },
      )
    ).json()) as Asset;
    expect(viaItem.status).toBe('active');
    expect(viaItem.md5_digest).toMatch(/^[0-9a-f]{32}$/);
    expect(viaItem.md5_digest).not.toBe(file.md5);
  });

  it('refuses activation without download permission and filters such items out', async () => {
    const fake = await planet({ count: 3, activationPolls: 0 });
    const denied = fake.items[1]!;
    fake.noDownloadPermission.add(denied.id);
    const auth = { authorization: fake.authorization };
    const listing = (await (
      await fetch(`${fake.url}/data/v1/item-types/PSScene/items/${denied.id}/assets/`, {
        headers: auth,
      })
    ).json()) as Record<string, Asset>;
    expect(listing.ortho_visual!._permissions).toEqual([]);
    expect((await fetch(listing.ortho_visual!._links.activate, { headers: auth })).status).toBe(
      403,
    );
    const search = (await (
      await fetch(`${fake.url}/data/v1/quick-search?_sort=acquired%20asc`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify(searchBody()),
      })
    ).json()) as Page;
    expect(search.features.map((f) => f.id)).toEqual([fake.items[0]!.id, fake.items[2]!.id]);
    expect(search._links._next).toBeUndefined();

    // activationPolls 0: active on the first poll after activation.
    const other = fake.items[0]!;
    const assetUrl = `${fake.url}/data/v1/item-types/PSScene/items/${other.id}/assets/ortho_udm2`;
    expect((await fetch(`${assetUrl}/activate`, { method: 'POST', headers: auth })).status).toBe(
      202,
    );
    expect(((await (await fetch(assetUrl, { headers: auth })).json()) as Asset).status).toBe(
      'active',
    );
  });

  it('answers 429 with Retry-After on every Nth API request', async () => {
    const fake = await planet({ count: 1, rateLimitEvery: 2 });
    const url = `${fake.url}/data/v1/item-types/PSScene/items/${fake.items[0]!.id}`;
    const statuses: number[] = [];
    const retryAfter: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(url, { headers: { authorization: fake.authorization } });
      statuses.push(response.status);
      retryAfter.push(response.headers.get('retry-after'));
      await response.body?.cancel();
    }
    expect(statuses).toEqual([200, 429, 200, 429]);
    expect(retryAfter).toEqual([null, '1', null, '1']);
    expect(fake.rateLimited).toBe(2);
  });
});
