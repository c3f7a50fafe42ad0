// The NASA CMR provider over real HTTP against the CMR + Earthdata Login + DAAC + signed-host
// fake: the exact search queries, Search-After paging, entry parsing, and the token and cookie
// download flows (with their credential rules), token renewal and resumption.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DownloadError, SearchParameterError, type Scene } from '../src/index.js';
import { Cmr, entryFootprint, type CmrOptions } from '../src/providers/cmr.js';
import {
  makeCmrGranules,
  startCmrFake,
  type CmrFake,
  type CmrFakeOptions,
  type CmrGranule,
} from './fakes/cmr.js';
import { closeAfterEach, manualClock, MARKHAM } from './helpers.js';

async function fake(options: CmrFakeOptions = {}): Promise<CmrFake> {
  return closeAfterEach(await startCmrFake(options));
}

function cmr(server: CmrFake, options: Partial<CmrOptions> = {}): Cmr {
  return new Cmr({
    searchUrl: server.searchUrl,
    ursUrl: server.ursUrl,
    http: { retry: { baseDelayMs: 5, maxDelayMs: 50 } },
    ...options,
  });
}

const withPassword = (server: CmrFake) => ({
  username: server.username,
  password: server.password,
});
const outdir = () => mkdtempSync(join(tmpdir(), 'cmr-dl-'));
const md5 = (path: string) => createHash('md5').update(readFileSync(path)).digest('hex');
const searches = (server: CmrFake) =>
  server.requests.filter((request) => request.host === 'search');
const paramsOf = (url: string) => new URL(url, 'http://x').searchParams;

/** Granules of a second collection, with ids and files distinct from the default ones. */
function otherCollection(count: number, shortName: string): CmrGranule[] {
  return makeCmrGranules({ count, shortName, seed: 7 }).map((granule, index) => ({
    ...granule,
    id: `G2000000${String(index).padStart(3, '0')}-FAKEDAAC`,
    title: `FAKEDAAC:2000000${index}`,
  }));
}

describe('Cmr search', () => {
  it('sends the exact CMR query: collection, temporal, CCW lon,lat polygon, cloud, page size, sort', async () => {
    const server = await fake();
    const scenes = await cmr(server)
      .scenes({
        platformName: 'MODIS Terra',
        aoi: MARKHAM,
        startDate: new Date('2019-05-11T00:00:00Z'),
        endDate: new Date('2019-05-21T00:00:00Z'),
        cloudMax: 50,
        limit: 100,
      })
      .toArray();
    const [request] = searches(server);
    const url = new URL(request!.url, 'http://x');
    expect(url.pathname).toBe('/search/granules.json');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      short_name: 'MOD09GA',
      version: '061',
      temporal: '2019-05-11T00:00:00Z,2019-05-21T23:59:59Z',
      polygon: '-79.4,43.8,-79.3,43.8,-79.3,43.9,-79.4,43.9,-79.4,43.8',
      cloud_cover: ',50',
      page_size: '100',
      sort_key: '-start_date',
    });
    expect(request!.headers['cmr-search-after']).toBeUndefined();
    // The same selection made here from the fake's granules, newest first.
    const expected = server.granules
      .filter((g) => g.timeEnd >= '2019-05-11T00:00:00Z' && g.timeStart <= '2019-05-21T23:59:59Z')
      .filter((g) => g.cloudCover !== undefined && g.cloudCover <= 50)
      .sort((a, b) => b.timeStart.localeCompare(a.timeStart));
    expect(expected.length).toBeGreaterThan(0);
    expect(scenes.map((scene) => scene.sceneId)).toEqual(expected.map((g) => g.producerGranuleId));
    expect(scenes.every((scene) => scene.platformName === 'MODIS Terra')).toBe(true);
  });

  it('rewinds a clockwise AOI to counter-clockwise, and sends a MultiPolygon as its bounding box', async () => {
    const server = await fake({ count: 3 });
    const api = cmr(server);
    await api
      .scenes({
        platformName: 'mod09ga',
        aoi: 'POLYGON((-79.4 43.8, -79.4 43.9, -79.3 43.9, -79.3 43.8, -79.4 43.8))',
        cloudMin: 10,
        cloudMax: 90,
      })
      .toArray();
    await api
      .scenes({
        platformName: 'MODIS Terra',
        aoi: {
          type: 'MultiPolygon',
          coordinates: [
            [
              [
                [-79.4, 43.8],
                [-79.35, 43.8],
                [-79.35, 43.85],
                [-79.4, 43.8],
              ],
            ],
            [
              [
                [-79.0, 44.0],
                [-78.9, 44.0],
                [-78.9, 44.1],
                [-79.0, 44.0],
              ],
            ],
          ],
        },
      })
      .toArray();
    const [first, second] = searches(server).map((request) => paramsOf(request.url));
    expect(first!.get('polygon')).toBe('-79.4,43.8,-79.3,43.8,-79.3,43.9,-79.4,43.9,-79.4,43.8');
    expect(first!.get('cloud_cover')).toBe('10,90');
    expect(first!.has('bounding_box')).toBe(false);
    expect(second!.get('bounding_box')).toBe('-79.4,43.8,-78.9,44.1');
    expect(second!.has('polygon')).toBe(false);
    expect(second!.has('temporal')).toBe(false);
  });

  it('pages with CMR-Search-After, sending identical parameters, and reports CMR-Hits as total', async () => {
    const server = await fake({ count: 25 });
    const iterator = cmr(server).scenes({
      platformName: 'MODIS Terra',
      limit: 4,
      sortKey: 'start_date',
    });
    const scenes = await iterator.toArray();
    expect(scenes.map((scene) => scene.sceneId)).toEqual(
      server.granules.map((g) => g.producerGranuleId),
    );
    expect(iterator.total).toBe(25);
    expect(iterator.pagesFetched).toBe(7);
    const requests = searches(server);
    expect(requests).toHaveLength(7);
    expect(new Set(requests.map((request) => request.url)).size).toBe(1);
    expect(paramsOf(requests[0]!.url).get('page_size')).toBe('4');
    expect(requests[0]!.headers['cmr-search-after']).toBeUndefined();
    const cursors = requests.slice(1).map((request) => request.headers['cmr-search-after']);
    expect(cursors.every((value) => typeof value === 'string' && value.startsWith('['))).toBe(true);
    expect(new Set(cursors).size).toBe(6);
    expect(server.state.pageNumUsed).toBe(0);
  });

  it('stops at maxItems without changing page_size on the way', async () => {
    const server = await fake({ count: 25 });
    const iterator = cmr(server).scenes({ platformName: 'MODIS Terra', limit: 4, maxItems: 6 });
    const scenes = await iterator.toArray();
    expect(scenes).toHaveLength(6);
    expect(iterator.total).toBe(25);
    const requests = searches(server);
    expect(requests).toHaveLength(2);
    expect(requests.map((request) => paramsOf(request.url).get('page_size'))).toEqual(['4', '4']);
  });

  it('never asks for more than 2000 per page', async () => {
    const server = await fake({ count: 3 });
    const scenes = await cmr(server).scenes({ platformName: 'MODIS Terra', limit: 5000 }).toArray();
    expect(scenes).toHaveLength(3);
    expect(paramsOf(searches(server)[0]!.url).get('page_size')).toBe('2000');
  });

  it('parses an entry: lat/lon footprint to GeoJSON lon/lat, string numbers, data links only', async () => {
    const server = await fake({ count: 5 });
    const scenes = await cmr(server).scenes({ platformName: 'MODIS Terra' }).toArray();
    const granule = server.granules[2]!;
    const scene = scenes.find((found) => found.sceneId === granule.producerGranuleId)!;
    const [w, s, e, n] = granule.bbox;
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
    // The raw entry has them as strings.
    const raw = scene.raw as { cloud_cover: string; granule_size: string };
    expect(typeof raw.cloud_cover).toBe('string');
    expect(scene.cloudCoverPercentage).toBe(granule.cloudCover);
    expect(typeof raw.granule_size).toBe('string');
    expect(scene.size).toBe(granule.file.size);
    expect(scene.acqDate.toISOString()).toBe(granule.timeStart);
    // Not the s3:// link, the browse image or the inherited documentation link.
    expect(scene.downloadLinks).toEqual([`${server.dataUrl}/${granule.path}`]);
    expect(scene.filenames).toEqual([granule.producerGranuleId]);
    expect(scene.provider).toBe('CMR');
  });

  it('reads real CMR spatial shapes: LAADS lat/lon polygons and S W N E boxes', () => {
    const laads = entryFootprint({
      id: 'G1593453400-LAADS',
      polygons: [
        [
          '62.328467 -51.923123 56.577721 -10.377255 69.099596 19.845911 80.417613 -60.901471 62.328467 -51.923123',
        ],
      ],
    });
    expect(laads).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [-51.923123, 62.328467],
          [-10.377255, 56.577721],
          [19.845911, 69.099596],
          [-60.901471, 80.417613],
          [-51.923123, 62.328467],
        ],
      ],
    });
    expect(entryFootprint({ id: 'G1', boxes: ['-89.5 0.5 89.5 180'] })).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [0.5, -89.5],
          [180, -89.5],
          [180, 89.5],
          [0.5, 89.5],
          [0.5, -89.5],
        ],
      ],
    });
    expect(entryFootprint({ id: 'G2' })).toBeNull();
  });

  it('searches several platforms one collection after the other, with the total of both', async () => {
    const server = await fake({
      granules: [...makeCmrGranules({ count: 5 }), ...otherCollection(4, 'MYD09GA')],
    });
    const iterator = cmr(server).scenes({ platformName: ['MODIS Terra', 'MODIS Aqua'], limit: 3 });
    const seen: (number | undefined)[] = [];
    const scenes: Scene[] = [];
    for await (const scene of iterator) {
      scenes.push(scene);
      seen.push(iterator.total);
    }
    expect(seen[0]).toBe(9);
    expect(scenes.map((scene) => scene.platformName)).toEqual([
      ...Array(5).fill('MODIS Terra'),
      ...Array(4).fill('MODIS Aqua'),
    ]);
    expect(
      scenes
        .filter((scene) => scene.platformName === 'MODIS Aqua')
        .every((scene) => scene.sceneId.startsWith('MYD09GA')),
    ).toBe(true);
  });

  it('targets any collection with shortName/version, provider and granule name patterns', async () => {
    const server = await fake({
      granules: [...makeCmrGranules({ count: 5 }), ...otherCollection(4, 'MYD09GA')],
    });
    const wanted = server.granules[6]!.producerGranuleId;
    const scenes = await cmr(server)
      .scenes({
        shortName: 'MYD09GA',
        version: '061',
        provider: 'FAKEDAAC',
        readableGranuleName: `${wanted.slice(0, 20)}*`,
      })
      .toArray();
    expect(scenes.map((scene) => scene.sceneId)).toEqual([wanted]);
    expect(scenes[0]!.platformName).toBe('MYD09GA');
    const params = paramsOf(searches(server)[0]!.url);
    expect(params.get('short_name')).toBe('MYD09GA');
    expect(params.get('provider')).toBe('FAKEDAAC');
    expect(params.get('options[readable_granule_name][pattern]')).toBe('true');
  });

  it('rejects unknown platforms and contradictory options before any request', async () => {
    const server = await fake({ count: 1 });
    const api = cmr(server);
    expect(() => api.scenes({ platformName: 'Sentinel-2' })).toThrow(SearchParameterError);
    expect(() => api.scenes({ platformName: 'MODIS Terra', shortName: 'MYD09GA' })).toThrow(
      SearchParameterError,
    );
    expect(() => api.scenes({ platformName: 'MODIS Terra', sortKey: 'cloud_cover' })).toThrow(
      SearchParameterError,
    );
    expect(searches(server)).toHaveLength(0);
    expect(Cmr.platformNames()).toContain('VIIRS VNP43IA4');
    expect(api.supportedPlatformNames()).toEqual(Cmr.platformNames());
    expect(Cmr.collection('Landsat HLS')).toMatchObject({ shortName: 'HLSL30', version: '2.0' });
  });
});

describe('Cmr downloads', () => {
  async function firstScenes(api: Cmr, count = 1): Promise<Scene[]> {
    return api
      .scenes({ platformName: 'MODIS Terra', sortKey: 'start_date', maxItems: count })
      .toArray();
  }

  it('token flow: Bearer to the data host, nothing to the signed host, file as the fake has it', async () => {
    const server = await fake({ count: 3 });
    const api = cmr(server, withPassword(server));
    const [scene] = await firstScenes(api);
    const downloader = scene!.downloader();
    expect(downloader.maxConcurrent).toBe(4);
    expect(await downloader.activate()).toBe(true);
    const result = await downloader.download(outdir());
    expect(result.ok).toBe(true);
    expect(md5(result.outFiles[0]!)).toBe(server.granules[0]!.file.md5);
    expect(server.state.tokenRequests).toBe(1);
    expect(server.state.signedRedirects).toBe(1);
    expect(server.state.signedHostSawAuthorization).toBe(false);
    expect(server.state.basicSentOutsideUrs).toBe(false);
    const data = server.requests.filter((request) => request.host === 'data');
    expect(data.map((request) => request.headers.authorization)).toEqual(['Bearer EDL-token-1']);
    // Searches are anonymous.
    expect(searches(server).every((request) => request.headers.authorization === undefined)).toBe(
      true,
    );
  });

  it('token flow with a given token: no Earthdata Login request', async () => {
    const server = await fake({ count: 2 });
    const minted = (await (
      await fetch(`${server.ursUrl}/api/users/find_or_create_token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
      })
    ).json()) as { access_token: string };
    const api = cmr(server, { token: minted.access_token });
    const [scene] = await firstScenes(api);
    const result = await scene!.downloader().download(outdir());
    expect(md5(result.outFiles[0]!)).toBe(server.granules[0]!.file.md5);
    expect(server.state.tokenRequests).toBe(1);
    expect(server.state.signedHostSawAuthorization).toBe(false);
  });

  it('cookie flow: HTTP Basic only to URS, one DAAC session for every download', async () => {
    const server = await fake({ count: 3 });
    const api = cmr(server, { ...withPassword(server), authFlow: 'cookie' });
    const scenes = await firstScenes(api, 2);
    const dir = outdir();
    for (const scene of scenes) {
      const result = await scene.downloader().download(dir);
      expect(md5(result.outFiles[0]!)).toBe(server.granuleByFile(scene.sceneId)!.file.md5);
    }
    expect(server.state.tokenRequests).toBe(0);
    expect(server.state.codesIssued).toBe(1);
    expect(server.state.sessionsCreated).toBe(1);
    expect(server.state.basicSentOutsideUrs).toBe(false);
    expect(server.state.signedHostSawAuthorization).toBe(false);
    const authorize = server.requests.filter((request) => request.host === 'urs');
    expect(authorize.every((request) => request.headers.authorization?.startsWith('Basic '))).toBe(
      true,
    );
  });

  it('falls back from a refused token to the cookie flow when it has the password, once', async () => {
    const server = await fake({ count: 3, refuseTokens: true });
    const api = cmr(server, withPassword(server));
    const scenes = await firstScenes(api, 2);
    const dir = outdir();
    for (const scene of scenes) {
      const result = await scene.downloader().download(dir);
      expect(result.ok).toBe(true);
      expect(md5(result.outFiles[0]!)).toBe(server.granuleByFile(scene.sceneId)!.file.md5);
    }
    // The token was tried on the first download only (asked again once after its 401, as an
    // expired one would be: Earthdata Login gives the same live token); then one DAAC session
    // served both downloads.
    const bearers = server.requests.filter(
      (request) => request.host === 'data' && request.headers.authorization?.startsWith('Bearer'),
    );
    expect(bearers.map((request) => request.headers.authorization)).toEqual([
      'Bearer EDL-token-1',
      'Bearer EDL-token-1',
    ]);
    expect(server.state.tokensIssued).toBe(1);
    expect(bearers.every((request) => request.url.includes(scenes[0]!.sceneId))).toBe(true);
    expect(server.state.sessionsCreated).toBe(1);
    // Besides the one-byte request that logs in, one transfer per file.
    const transfers = server.requests.filter(
      (request) => request.host === 'signed' && request.headers.range !== 'bytes=0-0',
    );
    expect(transfers).toHaveLength(2);
    expect(server.state.basicSentOutsideUrs).toBe(false);
    expect(server.state.signedHostSawAuthorization).toBe(false);
  });

  it('fails clearly when a DAAC refuses the token and there is no password to fall back on', async () => {
    const server = await fake({ count: 1, refuseTokens: true });
    const minted = (await (
      await fetch(`${server.ursUrl}/api/users/find_or_create_token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
      })
    ).json()) as { access_token: string };
    const [scene] = await firstScenes(cmr(server, { token: minted.access_token }));
    const refused = scene!.downloader().download(outdir());
    await expect(refused).rejects.toThrow(DownloadError);
    await expect(refused).rejects.toThrow(/401/);
    expect(server.state.sessionsCreated).toBe(0);
    expect(server.state.signedDownloads).toBe(0);
  });

  it('renews the token once it expired (TTL), and after expireTokens()', async () => {
    const clock = manualClock();
    const server = await fake({ count: 3, tokenTtlMs: 300, now: clock.now });
    const api = cmr(server, withPassword(server));
    const [a, b, c] = await firstScenes(api, 3);
    const dir = outdir();
    await a!.downloader().download(dir);
    clock.advance(300);
    await b!.downloader().download(dir);
    expect(server.state.tokensIssued).toBe(2);
    server.expireTokens();
    const result = await c!.downloader().download(dir);
    expect(md5(result.outFiles[0]!)).toBe(server.granuleByFile(c!.sceneId)!.file.md5);
    expect(server.state.tokensIssued).toBe(3);
    const bearers = server.requests
      .filter((request) => request.host === 'data')
      .map((request) => request.headers.authorization);
    expect(bearers).toEqual([
      'Bearer EDL-token-1',
      'Bearer EDL-token-1',
      'Bearer EDL-token-2',
      'Bearer EDL-token-2',
      'Bearer EDL-token-3',
    ]);
  });

  it('resumes after the connection drops, from a freshly signed URL', async () => {
    const server = await fake({ count: 1, sizeRange: [300_000, 300_000] });
    server.setFaults(server.granules[0]!.id, { dropAtByte: 150_000 });
    const api = cmr(server, withPassword(server));
    const [scene] = await firstScenes(api);
    const result = await scene!.downloader().download(outdir());
    expect(result.bytes).toBe(300_000);
    expect(md5(result.outFiles[0]!)).toBe(server.granules[0]!.file.md5);
    const signed = server.requests.filter((request) => request.host === 'signed');
    expect(signed).toHaveLength(2);
    expect(signed[1]!.headers.range).toMatch(/^bytes=\d+-$/);
    expect(server.state.signedRedirects).toBe(2);
    expect(server.state.signedHostSawAuthorization).toBe(false);
  });

  it('fails clearly on wrong credentials and without any', async () => {
    const server = await fake({ count: 1 });
    const [scene] = await firstScenes(cmr(server, { username: 'user', password: 'wrong' }));
    const wrong = scene!.downloader().download(outdir());
    await expect(wrong).rejects.toThrow(DownloadError);
    await expect(wrong).rejects.toThrow(/refused the username and password/);
    expect(server.state.basicSentOutsideUrs).toBe(false);
    const [anonymous] = await firstScenes(cmr(server));
    await expect(anonymous!.downloader().download(outdir())).rejects.toThrow(
      /need Earthdata Login credentials/,
    );
    const skipped = await anonymous!.downloader().download(outdir(), { skipError: true });
    expect(skipped.ok).toBe(false);
  });
});
