// The USGS M2M providers (Landsat C2 L2) over real HTTP against the local M2M fake: the exact
// scene-search request, paging despite the nextRecord quirk, errors inside HTTP 200, sessions
// (one login shared, renewed once per expiry), activation polling and the bundle download.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  DownloadError,
  NotActivatableError,
  ProviderError,
  SearchParameterError,
  type Scene,
} from '../src/index.js';
import { UsgsEtm, UsgsOt, UsgsTm, type Usgs, type UsgsOptions } from '../src/providers/usgs.js';
import { startUsgsFake, type UsgsFake, type UsgsFakeOptions } from './fakes/usgs.js';
import { closeAfterEach, manualClock, MARKHAM } from './helpers.js';

const CREDENTIALS = { username: 'landsat-user', token: 'app-token-123' };
const FAST_RETRY = { retry: { retries: 5, baseDelayMs: 5, maxDelayMs: 40 } };
const AOI = 'POLYGON((-79.4 43.8, -79.3 43.8, -79.3 43.9, -79.4 43.9, -79.4 43.8))';

async function setup(
  fakeOptions: UsgsFakeOptions = {},
  apiOptions: Partial<UsgsOptions> = {},
  Provider: typeof UsgsOt | typeof UsgsTm | typeof UsgsEtm = UsgsOt,
): Promise<{ fake: UsgsFake; api: Usgs }> {
  const fake = closeAfterEach(await startUsgsFake(fakeOptions));
  const api = new Provider({
    ...CREDENTIALS,
    apiUrl: fake.apiUrl,
    http: FAST_RETRY,
    ...apiOptions,
  });
  closeAfterEach(api);
  return { fake, api };
}

const callsTo = (fake: UsgsFake, endpoint: string) =>
  fake.calls.filter((call) => call.endpoint === endpoint);
const outdir = () => mkdtempSync(join(tmpdir(), 'usgs-dl-'));

/** Every file path under `dir`, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('USGS providers', () => {
  it('name their datasets and platforms, with aliases', () => {
    expect(UsgsTm.platformNames()).toEqual(['Landsat-4', 'Landsat-5']);
    expect(UsgsEtm.platformNames()).toEqual(['Landsat-7']);
    expect(UsgsOt.platformNames()).toEqual(['Landsat-8', 'Landsat-9']);
    const ot = new UsgsOt(CREDENTIALS);
    expect(ot.name).toBe('UsgsOt');
    expect(ot.datasetName).toBe('landsat_ot_c2_l2');
    expect(ot.supportedPlatformNames()).toEqual(UsgsOt.platformNames());
    expect(new UsgsTm(CREDENTIALS).datasetName).toBe('landsat_tm_c2_l2');
    expect(new UsgsEtm(CREDENTIALS).name).toBe('UsgsEtm');
    for (const alias of ['Landsat-8', 'landsat8', 'Landsat 9', 'L9']) {
      expect(ot.supportsPlatform(alias)).toBe(true);
    }
    expect(ot.supportsPlatform('Landsat-7')).toBe(false);
    expect(() => ot.scenes({ platformName: 'Sentinel-2' })).toThrow(SearchParameterError);
    expect(() => ot.scenes({ months: [0, 13] })).toThrow(SearchParameterError);
  });
});

describe('USGS scene search', () => {
  it('sends the exact scene-search request: geojson polygon, whole days, cloud range', async () => {
    const { fake, api } = await setup();
    const scenes = await api
      .scenes({
        aoi: AOI,
        startDate: new Date('2019-05-11T00:00:00Z'),
        endDate: new Date('2019-06-20T23:59:59Z'),
        cloudMin: 10,
        cloudMax: 60,
      })
      .toArray();

    const [login, search] = fake.calls;
    expect(login!.endpoint).toBe('login-token');
    expect(login!.body).toEqual(CREDENTIALS);
    expect(search!.endpoint).toBe('scene-search');
    expect(search!.method).toBe('POST');
    expect(search!.apiKey).toBe(fake.apiKeys.keys().next().value);
    expect(search!.body).toEqual({
      datasetName: 'landsat_ot_c2_l2',
      maxResults: 100,
      startingNumber: 1,
      metadataType: 'full',
      sceneFilter: {
        acquisitionFilter: { start: '2019-05-11', end: '2019-06-20' },
        spatialFilter: {
          filterType: 'geojson',
          geoJson: MARKHAM,
        },
        cloudCoverFilter: { min: 10, max: 60, includeUnknown: false },
      },
    });
    expect(callsTo(fake, 'login')).toHaveLength(0);

    // What the fake matches, in its order (newest first).
    const expected = fake.scenes
      .filter((s) => s.index % 4 !== 3)
      .filter((s) => s.acquired >= '2019-05-11' && s.acquired < '2019-06-21')
      .filter((s) => s.cloudCover !== null && s.cloudCover >= 10 && s.cloudCover <= 60)
      .sort((a, b) => (a.acquired < b.acquired ? 1 : -1));
    expect(expected.length).toBeGreaterThan(1);
    expect(scenes.map((scene) => scene.sceneId)).toEqual(expected.map((s) => s.displayId));
    const first = scenes[0]!;
    const source = expected[0]!;
    expect(first.provider).toBe('UsgsOt');
    expect(first.platformName).toBe('Landsat-8');
    expect((first.raw as { entityId: string }).entityId).toBe(source.entityId);
    expect(first.acqDate.toISOString()).toBe(`${source.acquired.slice(0, 10)}T00:00:00.000Z`);
    expect(first.cloudCoverPercentage).toBe(source.cloudCover);
    expect(first.footprint).toEqual({ type: 'Polygon', coordinates: [source.footprint] });
    expect(first.filenames).toEqual([`${source.displayId}.tar`]);
  });

  it('searches a MultiPolygon by its bounding box (mbr) and passes months as seasonalFilter', async () => {
    const { fake, api } = await setup();
    await api
      .scenes({
        aoi: 'MULTIPOLYGON(((-79.4 43.8, -79.35 43.8, -79.35 43.85, -79.4 43.8)), ((-79.3 43.85, -79.2 43.85, -79.2 43.95, -79.3 43.85)))',
        months: [6, 5],
      })
      .toArray();
    const body = callsTo(fake, 'scene-search')[0]!.body as { sceneFilter: unknown };
    expect(body.sceneFilter).toEqual({
      spatialFilter: {
        filterType: 'mbr',
        lowerLeft: { latitude: 43.8, longitude: -79.4 },
        upperRight: { latitude: 43.95, longitude: -79.2 },
      },
      seasonalFilter: [5, 6],
    });
  });

  it('pages with startingNumber until the last page, without looping on nextRecord', async () => {
    const { fake, api } = await setup({ count: 12 });
    const search = api.scenes({ limit: 5 });
    const scenes = await search.toArray();
    expect(scenes).toHaveLength(12);
    expect(new Set(scenes.map((scene) => scene.sceneId)).size).toBe(12);
    expect(search.total).toBe(12);
    const pages = callsTo(fake, 'scene-search').map(
      (call) => (call.body as { startingNumber: number; maxResults: number }).startingNumber,
    );
    expect(pages).toEqual([1, 6, 11]);
    // Newest first, as M2M sorts.
    const dates = scenes.map((scene) => scene.acqDate.getTime());
    expect([...dates].sort((a, b) => b - a)).toEqual(dates);
  });

  it('stops after an exactly full last page (whose nextRecord repeats startingNumber)', async () => {
    const { fake, api } = await setup({ count: 10 });
    const search = api.scenes({ limit: 5 });
    expect(await search.toArray()).toHaveLength(10);
    expect(search.total).toBe(10);
    expect(callsTo(fake, 'scene-search')).toHaveLength(2);
    // maxItems bounds the search and shrinks the last request.
    const bounded = await api.scenes({ limit: 4, maxItems: 6 }).toArray();
    expect(bounded).toHaveLength(6);
    const sizes = callsTo(fake, 'scene-search')
      .slice(2)
      .map((call) => (call.body as { maxResults: number }).maxResults);
    expect(sizes).toEqual([4, 2]);
  });

  it('parses cloud cover strings ("-1" is unknown) and platforms from the product id', async () => {
    const { fake, api } = await setup({
      count: 4,
      scenes: [
        { cloudCover: null },
        { cloudCover: 44.79 },
        { displayId: 'LC09_L2SP_017031_20190520_20200828_02_T1', cloudCover: 0 },
      ],
    });
    const byId = new Map((await api.scenes().toArray()).map((scene) => [scene.sceneId, scene]));
    const [unknown, cloudy, nine] = fake.scenes;
    expect(byId.get(unknown!.displayId)!.cloudCoverPercentage).toBeNull();
    expect(byId.get(cloudy!.displayId)!.cloudCoverPercentage).toBe(44.79);
    expect(byId.get(nine!.displayId)!.cloudCoverPercentage).toBe(0);
    expect(byId.get(nine!.displayId)!.platformName).toBe('Landsat-9');
    expect(byId.get(cloudy!.displayId)!.platformName).toBe('Landsat-8');
    // The raw answer really carried strings.
    expect((byId.get(unknown!.displayId)!.raw as { cloudCover: unknown }).cloudCover).toBe('-1');

    // One platform of a two-platform dataset is filtered here; the total is then unknown.
    const only9 = api.scenes({ platformName: 'Landsat-9' });
    expect((await only9.toArray()).map((scene) => scene.sceneId)).toEqual([nine!.displayId]);
    expect(only9.total).toBeUndefined();
    // A cloud filter leaves out unknown cloud cover.
    const clear = await api.scenes({ cloudMax: 100 }).toArray();
    expect(clear.some((scene) => scene.sceneId === unknown!.displayId)).toBe(false);
  });

  it('searches the TM dataset with UsgsTm (Landsat-5 scenes)', async () => {
    const { fake, api } = await setup({ datasetName: 'landsat_tm_c2_l2', count: 3 }, {}, UsgsTm);
    const scenes = await api.scenes({ platformName: 'Landsat-5' }).toArray();
    expect(scenes).toHaveLength(3);
    expect(scenes.every((scene) => scene.platformName === 'Landsat-5')).toBe(true);
    expect((callsTo(fake, 'scene-search')[0]!.body as { datasetName: string }).datasetName).toBe(
      'landsat_tm_c2_l2',
    );
  });
});

describe('USGS errors and sessions', () => {
  it('turns AUTH_INVALID at login-token (wrong token) into AuthenticationError, token unsaid', async () => {
    const { fake, api } = await setup({}, { token: 'wrong-secret-token' });
    const error = await api
      .scenes()
      .toArray()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/UsgsOt/);
    expect((error as Error).message).toMatch(/AUTH_INVALID/);
    expect((error as Error).message).not.toContain('wrong-secret-token');
    expect(callsTo(fake, 'login-token')).toHaveLength(1);
    expect(callsTo(fake, 'scene-search')).toHaveLength(0);
  });

  it('retries RATE_LIMIT answers (HTTP 200) with backoff and succeeds', async () => {
    const { fake, api } = await setup({ count: 12, rateLimitEvery: 2 });
    const scenes = await api.scenes({ limit: 4 }).toArray();
    expect(scenes).toHaveLength(12);
    const limited = fake.calls.filter((call) => call.errorCode === 'RATE_LIMIT');
    expect(limited.length).toBeGreaterThanOrEqual(2);
    // Each page was asked until it came through, none skipped.
    const served = callsTo(fake, 'scene-search')
      .filter((call) => call.errorCode === null)
      .map((call) => (call.body as { startingNumber: number }).startingNumber);
    expect(served).toEqual([1, 5, 9]);
  });

  it('gives up on a lasting RATE_LIMIT with a ProviderError naming the code', async () => {
    const { fake, api } = await setup(
      {},
      { http: { retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 } } },
    );
    await api.scenes({ maxItems: 1 }).toArray();
    fake.failNext.push(...Array.from({ length: 5 }, () => ({ errorCode: 'RATE_LIMIT' })));
    const error = await api
      .scenes()
      .toArray()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).providerCode).toBe('RATE_LIMIT');
    expect(callsTo(fake, 'scene-search')).toHaveLength(4);
  });

  it('throws other errorCodes as ProviderError with providerCode', async () => {
    const { fake, api } = await setup();
    await api.scenes({ maxItems: 1 }).toArray();
    fake.failNext.push({ errorCode: 'DATASET_INVALID', errorMessage: 'Invalid dataset name' });
    const error = await api
      .scenes()
      .toArray()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).providerCode).toBe('DATASET_INVALID');
    expect((error as Error).message).toContain('scene-search failed: DATASET_INVALID');
  });

  it('shares one login between concurrent calls', async () => {
    const { fake, api } = await setup();
    await Promise.all([1, 2, 3, 4].map(() => api.scenes({ maxItems: 2 }).toArray()));
    expect(callsTo(fake, 'login-token')).toHaveLength(1);
    expect(callsTo(fake, 'scene-search')).toHaveLength(4);
  });

  it('logs in again once when every key expired, however many calls notice it', async () => {
    const { fake, api } = await setup();
    await api.scenes({ maxItems: 1 }).toArray();
    fake.expireApiKeys();
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => api.scenes({ maxItems: 3 }).toArray()),
    );
    expect(results.map((scenes) => scenes.length)).toEqual([3, 3, 3, 3]);
    expect(callsTo(fake, 'login-token')).toHaveLength(2);
    expect(
      callsTo(fake, 'scene-search').filter((c) => c.errorCode === 'AUTH_INVALID'),
    ).toHaveLength(4);
  });

  it('renews a key that expired between pages (apiKeyTtlMs) and goes on', async () => {
    const clock = manualClock();
    const { fake, api } = await setup({ count: 6, apiKeyTtlMs: 150, now: clock.now });
    const pages: Scene[] = [];
    for await (const scene of api.scenes({ limit: 3 })) {
      pages.push(scene);
      // The key's life passes while the first page is held.
      if (pages.length === 1) clock.advance(150);
    }
    expect(pages).toHaveLength(6);
    expect(callsTo(fake, 'login-token')).toHaveLength(2);
  });

  it('retries once after AUTH_KEY_INVALID and fails clearly when the new key is refused too', async () => {
    const { fake, api } = await setup();
    await api.scenes({ maxItems: 1 }).toArray();
    fake.failNext.push({ errorCode: 'AUTH_KEY_INVALID' });
    expect(await api.scenes({ maxItems: 1 }).toArray()).toHaveLength(1);
    expect(callsTo(fake, 'login-token')).toHaveLength(2);
    // A key refused even after the new login: keys now die at once (ttl 0), so the retried
    // search fails too and the error is an AuthenticationError, after exactly one new login.
    fake.apiKeyTtlMs = 0;
    fake.expireApiKeys();
    const loginsBefore = callsTo(fake, 'login-token').length;
    const error = await api
      .scenes({ maxItems: 1 })
      .toArray()
      .catch((e: unknown) => e);
    expect(callsTo(fake, 'login-token').length).toBe(loginsBefore + 1);
    expect(error).toBeInstanceOf(AuthenticationError);
  });

  it('logs out on close() and refuses calls afterwards', async () => {
    const { fake, api } = await setup();
    await api.scenes({ maxItems: 1 }).toArray();
    const [key] = [...fake.apiKeys.keys()];
    await api.close();
    const logout = callsTo(fake, 'logout');
    expect(logout).toHaveLength(1);
    expect(logout[0]!.apiKey).toBe(key);
    expect(fake.apiKeys.get(key!)!.loggedOut).toBe(true);
    await expect(api.scenes().toArray()).rejects.toBeInstanceOf(ProviderError);
    await api.close(); // Twice is harmless.
    expect(callsTo(fake, 'logout')).toHaveLength(1);
  });
});

describe('USGS download', () => {
  async function firstScene(fake: UsgsFake, api: Usgs): Promise<Scene> {
    const [scene] = await api.scenes({ maxItems: 1 }).toArray();
    expect(scene).toBeDefined();
    expect(fake.scenes.some((s) => s.displayId === scene!.sceneId)).toBe(true);
    return scene!;
  }

  it('polls a preparing bundle (false, false, true), downloads and extracts the tar, removes the order', async () => {
    const { fake, api } = await setup({ preparingPolls: 2 });
    const scene = await firstScene(fake, api);
    const source = fake.scenes.find((s) => s.displayId === scene.sceneId)!;
    const downloader = scene.downloader();
    expect(downloader.maxConcurrent).toBe(4);

    expect(await downloader.activate()).toBe(false);
    expect(await downloader.activate()).toBe(false);
    expect(await downloader.activate()).toBe(true);
    expect(await downloader.activate()).toBe(true); // Known now: no more calls.
    expect(callsTo(fake, 'download-options')).toHaveLength(1);
    expect(callsTo(fake, 'download-options')[0]!.body).toEqual({
      datasetName: 'landsat_ot_c2_l2',
      entityIds: [source.entityId],
    });
    const [request] = callsTo(fake, 'download-request');
    const label = (request!.body as { label: string }).label;
    expect(request!.body).toEqual({
      downloads: [{ entityId: source.entityId, productId: expect.any(String) }],
      label,
    });
    expect(label).toMatch(/^gw-/);
    expect(callsTo(fake, 'download-request')).toHaveLength(1);
    expect(callsTo(fake, 'download-retrieve').map((call) => call.body)).toEqual([
      { label },
      { label },
      { label },
    ]);

    const dir = outdir();
    const result = await downloader.download(dir, { extract: true });
    const tarPath = join(dir, `${source.displayId}.tar`);
    expect(result.archives).toEqual([tarPath]);
    expect(readFileSync(tarPath).equals(fake.bundle(source))).toBe(true);
    expect(result.bytes).toBe(fake.bundle(source).length);
    const extracted = result.outFiles
      .filter((file) => file !== tarPath)
      .map((file) => basename(file));
    expect(extracted.sort()).toEqual(source.files.map((file) => file.filename).sort());
    for (const file of source.files.filter((f) => Buffer.isBuffer(f.content))) {
      const path = result.outFiles.find((p) => basename(p) === file.filename)!;
      expect(readFileSync(path).equals(file.content as Buffer)).toBe(true);
    }
    // The staging host got no credentials, and the order was cleaned up.
    expect(fake.ddsAuthHeaders).toEqual([]);
    expect(fake.ddsRequests.every((r) => r.headers['x-auth-token'] === undefined)).toBe(true);
    expect(fake.removedLabels).toEqual([label]);
    expect(fake.orders.has(label)).toBe(false);
  });

  it('downloads at once when the bundle is available, resuming a dropped transfer', async () => {
    const { fake, api } = await setup({ downloadFaults: { dropAtByte: 150_000 } });
    const scene = await firstScene(fake, api);
    const source = fake.scenes.find((s) => s.displayId === scene.sceneId)!;
    const dir = outdir();
    // No explicit activate(): download() asks for the bundle itself.
    const result = await scene.downloader().download(dir);
    expect(result.outFiles).toEqual([join(dir, `${source.displayId}.tar`)]);
    expect(readFileSync(result.outFiles[0]!).equals(fake.bundle(source))).toBe(true);
    expect(callsTo(fake, 'download-retrieve')).toHaveLength(0);
    const ranges = fake.ddsRequests.map((r) => r.headers.range);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(fake.removedLabels).toHaveLength(1);
    // Two downloaders use two labels.
    await scene.downloader().download(outdir());
    expect(new Set(fake.removedLabels).size).toBe(2);
  });

  it('fails on a malicious tar and writes nothing outside the output folder', async () => {
    const { fake, api } = await setup({ maliciousTar: true });
    const scene = await firstScene(fake, api);
    const base = outdir();
    const dir = join(base, 'a', 'b', 'out');
    mkdirSync(dir, { recursive: true });
    const error = await scene
      .downloader()
      .download(dir, { extract: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(walk(base).filter((path) => basename(path) === 'evil.txt')).toEqual([]);
    expect(existsSync(join(base, 'a', 'evil.txt'))).toBe(false);
    expect(existsSync(join(dir, '..', 'evil.txt'))).toBe(false);
    // Not a success: the order is kept (no cleanup of a failed download).
    expect(fake.removedLabels).toEqual([]);
  });

  it('throws NotActivatableError for a scene whose bundle is not available', async () => {
    const { fake, api } = await setup();
    const scene = await firstScene(fake, api);
    const source = fake.scenes.find((s) => s.displayId === scene.sceneId)!;
    fake.unavailable.add(source.entityId);
    await expect(scene.downloader().activate()).rejects.toBeInstanceOf(NotActivatableError);
    const result = await scene.downloader().download(outdir(), { skipError: true });
    expect(result.ok).toBe(false);
    expect(result.error).toBeInstanceOf(NotActivatableError);
    expect(callsTo(fake, 'download-request')).toHaveLength(0);
  });

  it('throws NotActivatableError when the download request fails for the scene', async () => {
    const { fake, api } = await setup();
    const scene = await firstScene(fake, api);
    const source = fake.scenes.find((s) => s.displayId === scene.sceneId)!;
    fake.requestFails.add(source.entityId);
    const error = await scene
      .downloader()
      .activate()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotActivatableError);
    expect((error as Error).message).toContain('Product not available');
    expect(callsTo(fake, 'download-request')).toHaveLength(1);
  });
});
