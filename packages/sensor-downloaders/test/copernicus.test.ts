// The Copernicus Data Space provider over real HTTP against the CDSE fake (catalogue, Keycloak
// and download host on three loopback ports): the OData query, paging, parsing, the token
// lifecycle (one session, refreshed), downloads through the redirect, and the connection limit.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  DownloadError,
  downloadAll,
  NotActivatableError,
  ProviderError,
  type Scene,
  SearchParameterError,
} from '../src/index.js';
import { Copernicus, type CopernicusOptions } from '../src/providers/copernicus.js';
import {
  type CopernicusFake,
  type CopernicusFakeOptions,
  startCopernicusFake,
} from './fakes/copernicus.js';
import { closeAfterEach, manualClock, MARKHAM } from './helpers.js';

async function fake(options: CopernicusFakeOptions = {}): Promise<CopernicusFake> {
  return closeAfterEach(await startCopernicusFake(options));
}

/** A provider on the fake; the fake's three hosts are the trusted ones. */
function api(cdse: CopernicusFake, options: Partial<CopernicusOptions> = {}): Copernicus {
  const hosts = new Set(
    [cdse.catalogueUrl, cdse.identityUrl, cdse.downloadUrl].map((url) => new URL(url).host),
  );
  const created = new Copernicus({
    username: cdse.username,
    password: cdse.password,
    catalogueUrl: cdse.catalogueUrl,
    identityUrl: cdse.identityUrl,
    trustedHosts: (host) => hosts.has(host),
    http: { retry: { baseDelayMs: 5, maxDelayMs: 2000 } },
    ...options,
  });
  return closeAfterEach(created);
}

const outdir = () => mkdtempSync(join(tmpdir(), 'cdse-'));
const md5 = (path: string) => createHash('md5').update(readFileSync(path)).digest('hex');
const searches = (cdse: CopernicusFake) =>
  cdse.requests.filter(
    (request) => request.host === 'catalogue' && request.url.startsWith('/odata/v1/Products?'),
  );
const params = (url: string) => new URL(url, 'http://x').searchParams;
const downloads = (cdse: CopernicusFake) =>
  cdse.requests.filter((request) => request.host === 'download');

/** One Sentinel-2 scene per product of the fake, in the fake's order. */
async function allScenes(provider: Copernicus): Promise<Scene[]> {
  return provider.scenes({ platformName: 'Sentinel-2', limit: 1000 }).toArray();
}

describe('Copernicus search', () => {
  it('sends the $filter of the CDSE documentation, anonymously', async () => {
    const cdse = await fake();
    const scenes = await api(cdse)
      .scenes({
        platformName: 's2',
        aoi: JSON.stringify(MARKHAM),
        startDate: new Date('2019-05-11T00:00:00Z'),
        endDate: new Date('2019-05-21T00:00:00Z'),
        cloudMax: 40,
        productType: 'S2MSI2A',
      })
      .toArray();
    const [request] = searches(cdse);
    const sent = params(request!.url);
    expect(sent.get('$filter')).toBe(
      "Collection/Name eq 'SENTINEL-2'" +
        " and OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((-79.4 43.8,-79.3 43.8,-79.3 43.9,-79.4 43.9,-79.4 43.8))')" +
        ' and ContentDate/Start ge 2019-05-11T00:00:00.000Z and ContentDate/Start lt 2019-05-22T00:00:00.000Z' +
        " and Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and att/OData.CSC.DoubleAttribute/Value le 40.00)" +
        " and Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and att/OData.CSC.StringAttribute/Value eq 'S2MSI2A')",
    );
    expect([...sent.keys()]).toEqual([
      '$filter',
      '$orderby',
      '$top',
      '$skip',
      '$count',
      '$expand',
      '$expand',
    ]);
    expect(sent.get('$orderby')).toBe('ContentDate/Start asc');
    expect(sent.get('$top')).toBe('100');
    expect(sent.get('$skip')).toBe('0');
    expect(sent.get('$count')).toBe('True');
    expect(sent.getAll('$expand')).toEqual(['Attributes', 'Assets']);
    // The fake applied the filter: every scene satisfies it, and some matched.
    expect(scenes.length).toBeGreaterThan(0);
    for (const scene of scenes) {
      expect(scene.cloudCoverPercentage).toBeLessThanOrEqual(40);
      expect(scene.sceneId).toMatch(/^S2[AB]_MSIL2A_201905(1[1-9]|2[01])T/);
    }
    // The catalogue is public: searching opens no Keycloak session.
    expect(cdse.state.passwordGrants).toBe(0);
    expect(request!.headers.authorization).toBeUndefined();
  });

  it('filters cloud cover only for platforms that have it, and searches a MultiPolygon by its bbox', async () => {
    const cdse = await fake();
    const provider = api(cdse);
    await provider
      .scenes({
        platformName: ['S1', 'Sentinel-2'],
        aoi: 'MULTIPOLYGON(((10 40, 11 40, 11 41, 10 40)), ((12 42, 13 42, 13 43, 12 42)))',
        cloudMin: 5,
        cloudMax: 30.5,
        productType: ['S2MSI1C', "O'Brien"],
        orderBy: 'PublicationDate desc',
      })
      .toArray();
    const sent = params(searches(cdse)[0]!.url);
    const cloud = (op: string, value: string) =>
      `Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and att/OData.CSC.DoubleAttribute/Value ${op} ${value})`;
    const type = (value: string) =>
      `Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and att/OData.CSC.StringAttribute/Value eq '${value}')`;
    expect(sent.get('$filter')).toBe(
      `(Collection/Name eq 'SENTINEL-1' or (Collection/Name eq 'SENTINEL-2' and ${cloud('le', '30.50')} and ${cloud('ge', '5.00')}))` +
        " and OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((10 40,13 40,13 43,10 43,10 40))')" +
        ` and (${type('S2MSI1C')} or ${type("O''Brien")})`,
    );
    expect(sent.get('$orderby')).toBe('PublicationDate desc');
    expect(() => provider.scenes({ orderBy: 'Name asc' })).toThrow(SearchParameterError);
    expect(() => provider.scenes({ productType: 7 })).toThrow(SearchParameterError);
    // Another provider's option (an aggregate search passes them all) is ignored.
    expect(() => provider.scenes({ shortName: 'MOD09GA' })).not.toThrow();
    expect(() => provider.scenes({ platformName: 'Landsat-8' })).toThrow(SearchParameterError);
  });

  it('pages through @odata.nextLink verbatim, reports the total and honours maxItems', async () => {
    const cdse = await fake({ count: 23 });
    const provider = api(cdse);
    const iterator = provider.scenes({ platformName: 'Sentinel-2', limit: 5 });
    const ids: string[] = [];
    for await (const scene of iterator) ids.push((scene.raw as { Id: string }).Id);
    expect(iterator.total).toBe(23);
    expect(iterator.pagesFetched).toBe(5);
    expect(new Set(ids).size).toBe(23);
    const sorted = [...cdse.products].sort((a, b) => a.start.localeCompare(b.start));
    expect(ids).toEqual(sorted.map((product) => product.id));
    const urls = searches(cdse).map((request) => request.url);
    expect(urls.map((url) => params(url).get('$skip'))).toEqual(['0', '5', '10', '15', '20']);
    expect(urls.every((url) => params(url).get('$top') === '5')).toBe(true);

    const before = searches(cdse).length;
    const limited = provider.scenes({ platformName: 'Sentinel-2', limit: 5, maxItems: 7 });
    expect(await limited.toArray()).toHaveLength(7);
    expect(limited.total).toBe(23);
    expect(searches(cdse).length - before).toBe(2);
  });

  it('parses footprint, cloud cover, date, size, links and identifiers', async () => {
    const cdse = await fake({ count: 4 });
    const scenes = await allScenes(api(cdse));
    expect(scenes).toHaveLength(4);
    for (const scene of scenes) {
      const raw = scene.raw as { Id: string; Name: string; Online: boolean };
      const product = cdse.product(raw.Id)!;
      const [w, s, e, n] = product.bbox;
      expect(scene.provider).toBe('Copernicus');
      expect(scene.platformName).toBe('Sentinel-2');
      expect(scene.sceneId).toBe(product.name.replace(/\.SAFE$/, ''));
      expect(raw.Name).toBe(product.name);
      expect(scene.footprint).toEqual({
        type: 'Polygon',
        coordinates: [
          [
            [w, s],
            [e, s],
            [e, n],
            [w, n],
            [w, s],
          ],
        ],
      });
      const cloud = product.attributes.find((attribute) => attribute.Name === 'cloudCover')!;
      expect(scene.cloudCoverPercentage).toBe(cloud.Value);
      expect(scene.acqDate.toISOString()).toBe(product.start);
      expect(scene.size).toBe(product.file.size);
      expect(scene.downloadLinks).toEqual([
        `${cdse.catalogueUrl}/odata/v1/Products(${product.id})/$value`,
      ]);
      expect(scene.filenames).toEqual([`${product.name}.zip`]);
    }
  });

  it('stops with an explaining error where $skip would pass 10000', async () => {
    const cdse = await fake({ count: 11_005, sizeRange: [1, 1] });
    const seen: Scene[] = [];
    const error = await (async () => {
      for await (const scene of api(cdse).scenes({ platformName: 'Sentinel-2', limit: 1000 }))
        seen.push(scene);
    })().catch((caught: unknown) => caught);
    expect(seen).toHaveLength(11_000);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).providerCode).toBe('SKIP_LIMIT');
    expect((error as Error).message).toMatch(/first 10000 results.*Narrow the search/);
    // The refused page was never requested.
    expect(
      searches(cdse)
        .map((request) => params(request.url).get('$skip'))
        .at(-1),
    ).toBe('10000');
  }, 60_000);
});

describe('Copernicus download', () => {
  it('downloads a product through the redirect with Authorization kept, MD5 verified', async () => {
    const cdse = await fake({ count: 3 });
    const [scene] = await allScenes(api(cdse));
    const product = cdse.product((scene!.raw as { Id: string }).Id)!;
    const downloader = scene!.downloader();
    expect(downloader.maxConcurrent).toBe(4);
    expect(await downloader.activate()).toBe(true);
    const result = await downloader.download(outdir());
    expect(result.ok).toBe(true);
    expect(result.outFiles).toHaveLength(1);
    expect(result.outFiles[0]!.endsWith(`${product.name}.zip`)).toBe(true);
    expect(md5(result.outFiles[0]!)).toBe(product.file.md5);
    expect(cdse.state.redirects).toBe(1);
    expect(cdse.state.downloadsWithoutAuthorization).toBe(0);
    expect(downloads(cdse)[0]!.headers.authorization).toMatch(/^Bearer /);
    expect(cdse.state.passwordGrants).toBe(1);
  });

  it('does not send the token to a host it does not trust', async () => {
    const cdse = await fake({ count: 1 });
    // Only the catalogue's exact host: the fake's zipper (another port) is not trusted.
    const catalogueHost = new URL(cdse.catalogueUrl).host;
    const provider = api(cdse, { trustedHosts: (host) => host === catalogueHost });
    const [scene] = await allScenes(provider);
    const failure = await scene!
      .downloader()
      .download(outdir())
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DownloadError);
    expect((failure as Error).message).toMatch(/401/);
    expect(cdse.state.downloadsWithoutAuthorization).toBeGreaterThan(0);
    expect(downloads(cdse).every((request) => request.headers.authorization === undefined)).toBe(
      true,
    );
  });

  it('trusts by default the catalogue host name on any port, and *.dataspace.copernicus.eu', async () => {
    const cdse = await fake({ count: 1 });
    const provider = api(cdse, { trustedHosts: undefined });
    const [scene] = await allScenes(provider);
    const result = await scene!.downloader().download(outdir());
    expect(md5(result.outFiles[0]!)).toBe(cdse.products[0]!.file.md5);
    expect(cdse.state.downloadsWithoutAuthorization).toBe(0);
  });

  it('refuses offline products with NotActivatableError', async () => {
    const cdse = await fake({ count: 3, offline: [1] });
    const scenes = await allScenes(api(cdse));
    const offline = scenes.find((scene) => (scene.raw as { Online: boolean }).Online === false)!;
    const error = await offline
      .downloader()
      .activate()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotActivatableError);
    expect((error as Error).message).toMatch(
      /offline.*cannot order offline products through OData/,
    );
    const summary = await downloadAll(scenes, outdir(), { activationWaitMs: 10 });
    expect(summary.results).toHaveLength(2);
    expect(summary.failed.map((failure) => failure.toJSON().code)).toEqual([
      'SCENE_NOT_ACTIVATABLE',
    ]);
    // A product that came back online since the search is downloadable.
    cdse.product((offline.raw as { Id: string }).Id)!.online = true;
    expect(await offline.downloader().activate()).toBe(true);
  });

  it('refreshes tokens instead of opening new sessions', async () => {
    const clock = manualClock();
    const cdse = await fake({ count: 4, accessTtlSeconds: 1, now: clock.now });
    const scenes = await allScenes(api(cdse, { now: clock.now }));
    const dir = outdir();
    await scenes[0]!.downloader().download(dir);
    expect(cdse.state.refreshGrants).toBe(0);
    // The access token (1 s) is renewed ahead of expiry (at 80 % of its life), by refresh.
    clock.advance(800);
    await scenes[1]!.downloader().download(dir);
    expect(cdse.state.refreshGrants).toBe(1);
    // The server drops the access tokens early: the 401 is answered by a refresh, too.
    cdse.expireAccessTokens();
    await scenes[2]!.downloader().download(dir);
    expect(cdse.state.passwordGrants).toBe(1);
    expect(cdse.state.refreshGrants).toBe(2);
    expect(cdse.state.sessions).toBe(1);
    expect(cdse.state.tokenErrors).toBe(0);
  });

  it('logs in again once when the refresh token has expired', async () => {
    const clock = manualClock();
    const cdse = await fake({
      count: 3,
      accessTtlSeconds: 0.5,
      refreshTtlSeconds: 1,
      now: clock.now,
    });
    const scenes = await allScenes(api(cdse, { now: clock.now }));
    const dir = outdir();
    await scenes[0]!.downloader().download(dir);
    // Known expired on the client side: a password grant, without trying the refresh token.
    clock.advance(1000);
    await scenes[1]!.downloader().download(dir);
    expect(cdse.state.passwordGrants).toBe(2);
    expect(cdse.state.tokenErrors).toBe(0);
    // Expired on the server only: the refresh is refused, then one password grant.
    cdse.expireAccessTokens();
    cdse.expireRefreshTokens();
    await scenes[2]!.downloader().download(dir);
    expect(cdse.state.passwordGrants).toBe(3);
    expect(cdse.state.tokenErrors).toBe(1);
  });

  it('shares one token request between concurrent requests and logs out on close', async () => {
    const cdse = await fake({ count: 1 });
    const provider = api(cdse);
    await Promise.all([provider.login(), provider.login(), provider.login()]);
    expect(cdse.state.passwordGrants).toBe(1);
    expect(cdse.state.sessions).toBe(1);
    await provider.close();
    expect(cdse.state.sessions).toBe(0);
  });

  it('rejects a wrong password with AuthenticationError carrying the reason', async () => {
    const cdse = await fake({ count: 1 });
    const provider = api(cdse, { password: 'wrong' });
    const error = await provider.login().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toBe('Copernicus: login refused: Invalid user credentials');
    expect((error as Error).message).not.toContain('wrong');
    const [scene] = await allScenes(provider);
    await expect(scene!.downloader().activate()).rejects.toBeInstanceOf(AuthenticationError);
    const failure = await scene!
      .downloader()
      .download(outdir())
      .catch((caught: unknown) => caught);
    expect(failure).toBeInstanceOf(DownloadError);
    expect((failure as Error).cause).toBeInstanceOf(AuthenticationError);
    expect(cdse.state.passwordGrants).toBe(0);
  });

  /**
   * Six products whose transfers each stall once (held open until the client's 300 ms stall
   * timeout, then resumed), so transfers overlap for sure. The fake's own 429 guard is raised to
   * 100, so only the provider's limit can keep the peak at 4.
   */
  async function overlapping(): Promise<{ cdse: CopernicusFake; scenes: Scene[] }> {
    const cdse = await fake({ count: 6, concurrencyLimit: 100 });
    for (const product of cdse.products) cdse.setFaults(product.id, { stallAtByte: 50_000 });
    return { cdse, scenes: await allScenes(api(cdse)) };
  }

  it('downloads 6 products with concurrency 8 over at most 4 connections', async () => {
    const { cdse, scenes } = await overlapping();
    const summary = await downloadAll(scenes, outdir(), {
      concurrency: 8,
      downloader: { stallTimeoutMs: 300 },
    });
    expect(summary.failed).toEqual([]);
    expect(summary.results).toHaveLength(6);
    for (const result of summary.results) {
      const product = cdse.product((result.scene.raw as { Id: string }).Id)!;
      expect(md5(result.outFiles[0]!)).toBe(product.file.md5);
    }
    expect(cdse.state.maxConcurrentDownloads).toBe(4);
    expect(cdse.state.passwordGrants).toBe(1);
  });

  it('holds the 4-connection limit for downloads started directly, too', async () => {
    const { cdse, scenes } = await overlapping();
    const dir = outdir();
    const results = await Promise.all(
      scenes.map((scene) => scene.downloader({ stallTimeoutMs: 300 }).download(dir)),
    );
    expect(results.every((result) => result.ok)).toBe(true);
    expect(cdse.state.maxConcurrentDownloads).toBe(4);
    expect(cdse.state.passwordGrants).toBe(1);
  });

  it('resumes a download cut halfway, with Authorization on the resumed request', async () => {
    const cdse = await fake({ count: 1, sizeRange: [400_000, 400_000] });
    const [scene] = await allScenes(api(cdse));
    const product = cdse.products[0]!;
    cdse.setFaults(product.id, { dropAtByte: 200_000 });
    const result = await scene!.downloader().download(outdir());
    expect(md5(result.outFiles[0]!)).toBe(product.file.md5);
    const [first, second] = downloads(cdse);
    expect(first!.headers.range).toBeUndefined();
    expect(second!.headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(second!.headers.range!)![0])).toBeGreaterThan(0);
    expect(second!.headers.authorization).toMatch(/^Bearer /);
    expect(cdse.state.redirects).toBe(2);
  });
});
