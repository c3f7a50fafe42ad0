// The Planet provider over real HTTP against the Planet fake (test/fakes/planet.ts): the
// quick-search body, paging through `_links._next`, the activation state machine, downloads
// from the signed location (no credentials sent there), integrity, permissions, 429 and auth.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  DownloadError,
  downloadAll,
  IntegrityError,
  NotActivatableError,
  ProviderError,
  SearchParameterError,
  type Scene,
} from '../src/index.js';
import { Planet } from '../src/providers/planet.js';
import { readBody, startFakeServer } from './fakes/http.js';
import { startPlanetFake, type PlanetFake } from './fakes/planet.js';
import { closeAfterEach, MARKHAM } from './helpers.js';

async function planetFake(
  options: Parameters<typeof startPlanetFake>[0] = {},
): Promise<PlanetFake> {
  return closeAfterEach(await startPlanetFake(options));
}

const api = (fake: PlanetFake, apiKey = fake.apiKey, apiUrl = `${fake.url}/data/v1`) =>
  new Planet({
    apiKey,
    apiUrl,
    http: { retry: { retries: 4, baseDelayMs: 5, maxDelayMs: 3000 } },
  });

const polygon = MARKHAM;

const outdir = () => mkdtempSync(join(tmpdir(), 'planet-'));
const md5 = (path: string) => createHash('md5').update(readFileSync(path)).digest('hex');

/** Fake items the AOI intersects (index % 4 === 3 lies 2° east), newest acquisition first. */
const expectedIds = (fake: PlanetFake) =>
  fake.items
    .filter((item) => item.index % 4 !== 3)
    .sort((a, b) => b.acquired.localeCompare(a.acquired))
    .map((item) => item.id);

/**
 * A pass-through proxy in front of the fake API that records request bodies (the fake keeps
 * only methods, URLs and headers). `_next` links still point at the fake itself.
 */
async function recordingProxy(target: string) {
  const seen: { method: string; url: string; body: string }[] = [];
  const server = await startFakeServer(async (req, res) => {
    const body = await readBody(req);
    seen.push({ method: req.method ?? 'GET', url: req.url ?? '/', body });
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const response = await fetch(`${target}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
      ...(body === '' ? {} : { body }),
    });
    const text = await response.text();
    res.writeHead(response.status, {
      'content-type': response.headers.get('content-type') ?? 'application/json',
    });
    res.end(text);
  });
  closeAfterEach(server);
  return { url: server.url, seen };
}

/** Activates a scene's asset the way a caller would, counting the `false` answers. */
async function activateFully(
  scene: Scene,
): Promise<{ falses: number; downloader: ReturnType<Scene['downloader']> }> {
  const downloader = scene.downloader();
  let falses = 0;
  while (!(await downloader.activate())) {
    falses++;
    if (falses > 10) throw new Error('never became active');
  }
  return { falses, downloader };
}

describe('Planet search', () => {
  it('sends the quick-search filter with cloud cover as 0–1 fractions', async () => {
    const fake = await planetFake();
    const proxy = await recordingProxy(fake.url);
    const scenes = await api(fake, fake.apiKey, `${proxy.url}/data/v1`)
      .scenes({
        aoi: polygon,
        startDate: new Date('2019-05-01T00:00:00Z'),
        endDate: new Date('2019-06-30T23:59:59Z'),
        cloudMax: 20,
      })
      .toArray();
    expect(proxy.seen).toHaveLength(1);
    expect(proxy.seen[0]!.method).toBe('POST');
    expect(proxy.seen[0]!.url).toBe('/data/v1/quick-search?_sort=acquired%20desc&_page_size=250');
    expect(JSON.parse(proxy.seen[0]!.body)).toEqual({
      item_types: ['PSScene'],
      filter: {
        type: 'AndFilter',
        config: [
          { type: 'GeometryFilter', field_name: 'geometry', config: polygon },
          {
            type: 'DateRangeFilter',
            field_name: 'acquired',
            config: { gte: '2019-05-01T00:00:00Z', lte: '2019-06-30T23:59:59Z' },
          },
          { type: 'RangeFilter', field_name: 'cloud_cover', config: { lte: 0.2 } },
          { type: 'PermissionFilter', config: ['assets:download'] },
        ],
      },
    });
    // Intersecting items with cloud_cover ≤ 0.2: index 0 (0.05) and 8 (0.01), newest first.
    expect(scenes.map((scene) => scene.sceneId)).toEqual([fake.items[8]!.id, fake.items[0]!.id]);
    expect(scenes.every((scene) => scene.cloudCoverPercentage! <= 20)).toBe(true);
  });

  it('sends a MultiPolygon as it is, the cloud minimum, the sort and the platform item type', async () => {
    const fake = await planetFake();
    const proxy = await recordingProxy(fake.url);
    const planet = api(fake, fake.apiKey, `${proxy.url}/data/v1`);
    const multi = {
      type: 'MultiPolygon' as const,
      coordinates: [
        polygon.coordinates,
        [
          [
            [10, 10],
            [11, 10],
            [11, 11],
            [10, 11],
            [10, 10],
          ],
        ],
      ],
    };
    await planet.scenes({ aoi: multi, cloudMin: 5, sort: 'published asc', limit: 50 }).toArray();
    expect(proxy.seen[0]!.url).toBe('/data/v1/quick-search?_sort=published%20asc&_page_size=50');
    expect(JSON.parse(proxy.seen[0]!.body).filter.config).toEqual([
      { type: 'GeometryFilter', field_name: 'geometry', config: multi },
      { type: 'RangeFilter', field_name: 'cloud_cover', config: { gte: 0.05 } },
      { type: 'PermissionFilter', config: ['assets:download'] },
    ]);
    // Naming SkySat searches its item type; the fake only knows PSScene and answers 400.
    await expect(planet.scenes({ platformName: 'SkySat' }).toArray()).rejects.toBeInstanceOf(
      ProviderError,
    );
    expect(JSON.parse(proxy.seen[1]!.body).item_types).toEqual(['SkySatCollect']);
    expect(() => planet.scenes({ sort: 'cloud_cover asc' })).toThrow(SearchParameterError);
    expect(() => planet.scenes({ itemTypes: [] })).toThrow(SearchParameterError);
  });

  it('follows _links._next until it is absent, with no total', async () => {
    const fake = await planetFake();
    const search = api(fake).scenes({ aoi: polygon, limit: 2 });
    const ids = (await search.toArray()).map((scene) => scene.sceneId);
    expect(ids).toEqual(expectedIds(fake));
    expect(ids).toHaveLength(9);
    expect(search.pagesFetched).toBe(5);
    expect(search.total).toBeUndefined();
    const methods = fake.requests.map(
      (request) => `${request.method} ${request.url.split('?')[0]}`,
    );
    expect(methods[0]).toBe('POST /data/v1/quick-search');
    expect(methods.slice(1)).toHaveLength(4);
    expect(
      methods.slice(1).every((m) => /^GET \/data\/v1\/searches\/[0-9a-f]+\/results$/.test(m)),
    ).toBe(true);
    expect(
      fake.requests.every((request) => request.headers.authorization === fake.authorization),
    ).toBe(true);

    // A full last page carries no `_next`: no extra request.
    const before = fake.requests.length;
    const exact = api(fake).scenes({ aoi: polygon, limit: 3 });
    expect(await exact.toArray()).toHaveLength(9);
    expect(exact.pagesFetched).toBe(3);
    expect(fake.requests.length - before).toBe(3);
  });

  it('sends the API key to the API origin only, even when a _next link points elsewhere', async () => {
    const fake = await planetFake();
    const proxy = await recordingProxy(fake.url);
    // Through the proxy, `_next` names the fake's own origin: another host for this client.
    const error = await api(fake, fake.apiKey, `${proxy.url}/data/v1`)
      .scenes({ aoi: polygon, limit: 4 })
      .toArray()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    const direct = fake.requests.filter((request) => request.url.includes('/searches/'));
    expect(direct).toHaveLength(1);
    expect(direct[0]!.headers.authorization).toBeUndefined();
  });

  it('stops at maxItems', async () => {
    const fake = await planetFake();
    const scenes = await api(fake).scenes({ aoi: polygon, limit: 2, maxItems: 3 }).toArray();
    expect(scenes.map((scene) => scene.sceneId)).toEqual(expectedIds(fake).slice(0, 3));
    expect(fake.requests).toHaveLength(2);
    const few = await api(fake).scenes({ aoi: polygon, maxItems: 4 }).toArray();
    expect(few).toHaveLength(4);
    expect(fake.requests[2]!.url).toContain('_page_size=4');
  });

  it('maps a feature to a scene (cloud_cover 0.15 → 15 %)', async () => {
    const fake = await planetFake({ count: 3, items: [{ cloudCover: 0.15 }] });
    const scenes = await api(fake).scenes({ aoi: polygon }).toArray();
    const item = fake.items[0]!;
    const scene = scenes.find((candidate) => candidate.sceneId === item.id)!;
    expect(scene.provider).toBe('Planet');
    expect(scene.platformName).toBe('PlanetScope');
    expect(scene.cloudCoverPercentage).toBe(15);
    expect(scene.acqDate.toISOString()).toBe(`${item.acquired.slice(0, 23)}Z`);
    expect(scene.footprint).toEqual({ type: 'Polygon', coordinates: [item.footprint] });
    expect(scene.downloadLinks).toEqual([
      `${fake.url}/data/v1/item-types/PSScene/items/${item.id}/assets/`,
    ]);
    expect(scene.filenames).toEqual([`${item.id}_ortho_analytic_4b.tif`]);
    expect(Planet.platformNames()).toEqual(['PlanetScope', 'SkySat']);
  });

  it('retries 429 answers after Retry-After', async () => {
    const fake = await planetFake({ rateLimitEvery: 3 });
    const ids = (await api(fake).scenes({ aoi: polygon, limit: 4 }).toArray()).map(
      (scene) => scene.sceneId,
    );
    expect(ids).toEqual(expectedIds(fake));
    expect(fake.rateLimited).toBeGreaterThanOrEqual(1);
  });

  it('reports a wrong API key as AuthenticationError without leaking it', async () => {
    const fake = await planetFake();
    const error = await api(fake, 'PLAK-wrong-key')
      .scenes({ aoi: polygon })
      .toArray()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(String((error as Error).message)).toContain('Planet');
    expect(String((error as Error).message)).not.toContain('PLAK-wrong-key');
    expect(fake.authFailures).toBe(1);
  });
});

describe('Planet activation and download', () => {
  it('answers false while activating, then true, and downloads a file whose MD5 matches', async () => {
    const fake = await planetFake({ count: 4, activationPolls: 2 });
    const [scene] = await api(fake).scenes({ aoi: polygon, maxItems: 1 }).toArray();
    const downloader = scene!.downloader();
    expect(await downloader.activate()).toBe(false); // inactive: activation requested
    expect(fake.activations).toEqual([
      { itemId: scene!.sceneId, assetType: 'ortho_analytic_4b', method: 'GET', status: 202 },
    ]);
    expect(await downloader.activate()).toBe(false); // activating
    expect(await downloader.activate()).toBe(false); // activating
    expect(await downloader.activate()).toBe(true); // active
    expect(fake.activations).toHaveLength(1);

    const dir = outdir();
    const result = await downloader.download(dir);
    const asset = fake.items
      .find((item) => item.id === scene!.sceneId)!
      .assets.get('ortho_analytic_4b')!;
    const path = join(dir, `${scene!.sceneId}_ortho_analytic_4b.tif`);
    expect(result.outFiles).toEqual([path]);
    expect(result.bytes).toBe(asset.file.size);
    expect(md5(path)).toBe(asset.file.md5);
    expect(readdirSync(dir)).toEqual([`${scene!.sceneId}_ortho_analytic_4b.tif`]);
    // The signed location got no credentials; every API request carried them.
    expect(fake.downloadRequests.length).toBeGreaterThan(0);
    expect(fake.downloadAuthHeaders).toEqual([]);
    expect(
      fake.requests.every((request) => request.headers.authorization === fake.authorization),
    ).toBe(true);
  });

  it('downloadAll activates and downloads several scenes', async () => {
    const fake = await planetFake({ count: 8, activationPolls: 1 });
    const scenes = api(fake).scenes({ aoi: polygon, maxItems: 5 });
    const dir = outdir();
    const summary = await downloadAll(scenes, dir, { activationWaitMs: 10, concurrency: 3 });
    expect(summary.failed).toEqual([]);
    expect(summary.results).toHaveLength(5);
    for (const result of summary.results) {
      const asset = fake.items
        .find((item) => item.id === result.sceneId)!
        .assets.get('ortho_analytic_4b')!;
      expect(md5(result.outFiles[0]!)).toBe(asset.file.md5);
    }
    expect(readdirSync(dir).sort()).toEqual(
      summary.results.map((result) => `${result.sceneId}_ortho_analytic_4b.tif`).sort(),
    );
    expect(fake.activations).toHaveLength(5);
    expect(fake.downloadAuthHeaders).toEqual([]);
  });

  it('fails with IntegrityError on a wrong md5_digest and leaves no file', async () => {
    const fake = await planetFake({ count: 2, activationPolls: 0, wrongMd5: true });
    const [scene] = await api(fake).scenes({ aoi: polygon, maxItems: 1 }).toArray();
    const { downloader } = await activateFully(scene!);
    const dir = outdir();
    const error = await downloader.download(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as IntegrityError).code).toBe('DOWNLOAD_INTEGRITY');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('throws NotActivatableError without download permission, before asking to activate', async () => {
    const fake = await planetFake({ count: 3 });
    const [scene] = await api(fake).scenes({ aoi: polygon, maxItems: 1 }).toArray();
    // The PermissionFilter hides such items from searches; permissions can change afterwards.
    fake.noDownloadPermission.add(scene!.sceneId);
    await expect(scene!.downloader().activate()).rejects.toBeInstanceOf(NotActivatableError);
    expect(fake.activations).toEqual([]);
    const ids = (await api(fake).scenes({ aoi: polygon }).toArray()).map((s) => s.sceneId);
    expect(ids).not.toContain(scene!.sceneId);
  });

  it('throws NotActivatableError when Planet refuses the activation itself (403)', async () => {
    const fake = await planetFake({ count: 2 });
    const [scene] = await api(fake).scenes({ aoi: polygon, maxItems: 1 }).toArray();
    fake.activateForbidden.add(scene!.sceneId);
    const error = await scene!
      .downloader()
      .activate()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotActivatableError);
    expect((error as Error).message).toContain(scene!.sceneId);
    expect(fake.activations.length).toBeGreaterThan(0);
  });

  it('throws NotActivatableError for an asset type the item lacks', async () => {
    const fake = await planetFake({ count: 2 });
    const [scene] = await api(fake)
      .scenes({ aoi: polygon, maxItems: 1, assetType: 'basic_analytic_8b' })
      .toArray();
    const error = await scene!
      .downloader()
      .activate()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotActivatableError);
    expect((error as Error).message).toContain('basic_analytic_8b');
  });

  it('fetches the asset again when its location has expired', async () => {
    const fake = await planetFake({ count: 2, activationPolls: 0, locationTtlMs: 0 });
    const [scene] = await api(fake).scenes({ aoi: polygon, maxItems: 1 }).toArray();
    const { downloader } = await activateFully(scene!);
    const asset = fake.items
      .find((item) => item.id === scene!.sceneId)!
      .assets.get('ortho_analytic_4b')!;
    // The fake never re-signs; move the expiry as Planet does when the asset is fetched again.
    asset.expiresAt = Date.now() + 3_600_000;
    const before = fake.requests.length;
    const dir = outdir();
    await downloader.download(dir);
    const after = fake.requests.slice(before).map((request) => `${request.method} ${request.url}`);
    expect(after).toEqual([`GET /data/v1/assets/${asset.key}`]);
    expect(md5(join(dir, `${scene!.sceneId}_ortho_analytic_4b.tif`))).toBe(asset.file.md5);
    expect(existsSync(join(dir, `${scene!.sceneId}_ortho_analytic_4b.tif.part`))).toBe(false);
  });
});
