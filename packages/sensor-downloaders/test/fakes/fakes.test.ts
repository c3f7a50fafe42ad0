// Exercises the fake CMR and Copernicus servers with plain fetch, so the provider tests can
// trust that the fakes speak the wire format of /work/shared/specs/sensors.md.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type CmrFake, startCmrFake } from './cmr.js';
import { type CopernicusFake, startCopernicusFake } from './copernicus.js';
import { manualClock } from '../helpers.js';

const md5 = (bytes: ArrayBuffer) => createHash('md5').update(Buffer.from(bytes)).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

interface Entry {
  id: string;
  producer_granule_id: string;
  time_start: string;
  polygons: string[][];
  cloud_cover?: string;
  granule_size: string;
  links: { rel: string; href: string; inherited?: boolean }[];
}
interface Feed {
  feed: { entry: Entry[] };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function cmr(options: Parameters<typeof startCmrFake>[0] = {}): Promise<CmrFake> {
  const fake = await startCmrFake(options);
  closers.push(() => fake.close());
  return fake;
}

async function cdse(
  options: Parameters<typeof startCopernicusFake>[0] = {},
): Promise<CopernicusFake> {
  const fake = await startCopernicusFake(options);
  closers.push(() => fake.close());
  return fake;
}

describe('CMR fake', () => {
  it('serves granules.json entries in the real shape', async () => {
    const fake = await cmr({ count: 3 });
    const res = await fetch(`${fake.searchUrl}/granules.json?short_name=MOD09GA&version=061`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cmr-hits')).toBe('3');
    expect(res.headers.get('cmr-search-after')).toBeNull();
    const body = (await res.json()) as Feed;
    const entry = body.feed.entry[0]!;
    const granule = fake.granules[0]!;
    expect(entry.id).toBe('G1000000001-FAKEDAAC');
    expect(entry.producer_granule_id).toBe(granule.producerGranuleId);
    expect(entry.time_start).toBe('2019-05-01T00:00:00.000Z');
    expect(typeof entry.cloud_cover).toBe('string');
    expect(Number(entry.cloud_cover)).toBe(granule.cloudCover);
    expect(Number(entry.granule_size) * 1048576).toBeCloseTo(granule.file.size, 3);
    // polygons: lat lon pairs, latitude first.
    const [w, s, e, n] = granule.bbox;
    expect(entry.polygons[0]![0]).toBe(`${s} ${w} ${s} ${e} ${n} ${e} ${n} ${w} ${s} ${w}`);
    const data = entry.links.filter(
      (l) => l.rel.endsWith('/data#') && l.href.startsWith('http') && l.inherited !== true,
    );
    expect(data.map((l) => l.href)).toEqual([`${fake.dataUrl}/${granule.path}`]);
    expect(entry.links.some((l) => l.rel.endsWith('/s3#') && l.href.startsWith('s3://'))).toBe(
      true,
    );
    expect(entry.links.some((l) => l.inherited === true)).toBe(true);
    // Every granule gets a distinct deterministic file.
    const again = await startCmrFake({ count: 3 });
    await again.close();
    expect(again.granules.map((g) => g.file.md5)).toEqual(fake.granules.map((g) => g.file.md5));
    expect(new Set(fake.granules.map((g) => g.file.md5)).size).toBe(3);
  });

  it('pages with CMR-Search-After until the last page, which has no header', async () => {
    const fake = await cmr({ count: 25 });
    const query = 'short_name=MOD09GA&page_size=10&sort_key=-start_date';
    const ids: string[] = [];
    const cursors: (string | null)[] = [];
    let cursor: string | null = null;
    do {
      const res: Response = await fetch(`${fake.searchUrl}/granules.json?${query}`, {
        headers: cursor === null ? {} : { 'CMR-Search-After': cursor },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('cmr-hits')).toBe('25');
      const body = (await res.json()) as Feed;
      ids.push(...body.feed.entry.map((e) => e.id));
      cursor = res.headers.get('cmr-search-after');
      cursors.push(cursor);
    } while (cursor !== null);
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(ids[0]).toBe('G1000000025-FAKEDAAC'); // -start_date: newest first
    expect(cursors).toHaveLength(3);
    expect(JSON.parse(cursors[0]!)).toEqual(['fake', expect.any(Number), 10]);
    expect(cursors[2]).toBeNull();
    expect(fake.state.pageNumUsed).toBe(0);

    // The same cursor with different parameters is refused.
    const bad = await fetch(`${fake.searchUrl}/granules.json?short_name=MOD09GA&page_size=10`, {
      headers: { 'CMR-Search-After': cursors[0]! },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: string[] }).errors[0]).toMatch(/do not match/);
    // page_num still works but is counted.
    const old = await fetch(`${fake.searchUrl}/granules.json?page_size=10&page_num=3`);
    expect(((await old.json()) as Feed).feed.entry).toHaveLength(5);
    expect(fake.state.pageNumUsed).toBe(1);
  });

  it('validates page_size, polygon and parameters like CMR', async () => {
    const fake = await cmr({ count: 5 });
    const res = await fetch(`${fake.searchUrl}/granules.json?page_size=2001`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: ['page_size must be a number between 0 and 2000'] });
    const cw = await fetch(
      `${fake.searchUrl}/granules.json?polygon=-79.4,43.8,-79.4,43.9,-79.3,43.9,-79.3,43.8,-79.4,43.8`,
    );
    expect(cw.status).toBe(400);
    const open = await fetch(
      `${fake.searchUrl}/granules.json?polygon=-79.4,43.8,-79.3,43.8,-79.3,43.9,-79.4,43.9`,
    );
    expect(open.status).toBe(400);
    const unknown = await fetch(`${fake.searchUrl}/granules.json?cloudcover=0,10`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({
      errors: ['Parameter [cloudcover] was not recognized.'],
    });
  });

  it('filters by temporal, bounding_box, polygon and cloud_cover', async () => {
    const fake = await cmr({ count: 30 });
    const search = async (query: string) => {
      const res = await fetch(`${fake.searchUrl}/granules.json?page_size=2000&${query}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as Feed).feed.entry.map((e) => e.id);
    };
    const byCloud = fake.granules
      .filter((g) => g.cloudCover! >= 0 && g.cloudCover! <= 20)
      .map((g) => g.id);
    expect(byCloud.length).toBeGreaterThan(0);
    expect(await search('cloud_cover=0,20')).toEqual(byCloud);
    const from = Date.parse('2019-05-11T00:00:00Z');
    const to = Date.parse('2019-05-21T23:59:59Z');
    const byTime = fake.granules
      .filter((g) => Date.parse(g.timeEnd) >= from && Date.parse(g.timeStart) <= to)
      .map((g) => g.id);
    expect(await search('temporal=2019-05-11T00:00:00Z,2019-05-21T23:59:59Z')).toEqual(byTime);
    expect(byTime.length).toBeGreaterThan(5);
    // A box far away matches nothing; the default box matches everything near it.
    expect(await search('bounding_box=10,10,11,11')).toEqual([]);
    const box = [-79.36, 43.84, -79.34, 43.86] as const;
    const byBox = fake.granules
      .filter(
        (g) =>
          g.bbox[0] <= box[2] && box[0] <= g.bbox[2] && g.bbox[1] <= box[3] && box[1] <= g.bbox[3],
      )
      .map((g) => g.id);
    expect(await search(`bounding_box=${box.join(',')}`)).toEqual(byBox);
    const [w, s, e, n] = box;
    expect(await search(`polygon=${[w, s, e, s, e, n, w, n, w, s].join(',')}`)).toEqual(byBox);
    expect(await search('short_name=OTHER')).toEqual([]);
  });

  it('issues EDL tokens with Basic auth and expires them', async () => {
    const clock = manualClock();
    const fake = await cmr({ count: 1, tokenTtlMs: 300, now: clock.now });
    const url = `${fake.ursUrl}/api/users/find_or_create_token`;
    const wrong = await fetch(url, {
      method: 'POST',
      headers: { authorization: basic('user', 'nope'), accept: 'application/json' },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_credentials' });
    const ok = await fetch(url, {
      method: 'POST',
      headers: { authorization: basic(fake.username, fake.password), accept: 'application/json' },
    });
    const body = (await ok.json()) as Record<string, string>;
    expect(body.access_token).toBe('EDL-token-1');
    expect(body.token_type).toBe('Bearer');
    expect(body.expiration_date).toMatch(/^\d\d\/\d\d\/\d{4}$/);
    const granule = fake.granules[0]!;
    const data = (token: string) =>
      fetch(`${fake.dataUrl}/${granule.path}`, {
        headers: { authorization: `Bearer ${token}` },
        redirect: 'manual',
      });
    expect((await data('EDL-token-1')).status).toBe(307);
    clock.advance(299);
    expect((await data('EDL-token-1')).status).toBe(307);
    clock.advance(1);
    const expired = await data('EDL-token-1');
    expect(expired.status).toBe(401);
    const renewed = await fetch(url, {
      method: 'POST',
      headers: { authorization: basic(fake.username, fake.password) },
    });
    expect(((await renewed.json()) as Record<string, string>).access_token).toBe('EDL-token-2');
    expect(fake.state.tokenRequests).toBe(3);
    expect(fake.state.tokensIssued).toBe(2);
  });

  it('redirects a Bearer download to the signed host, which refuses Authorization and serves Range', async () => {
    const fake = await cmr({ count: 2 });
    const token = (await (
      await fetch(`${fake.ursUrl}/api/users/find_or_create_token`, {
        method: 'POST',
        headers: { authorization: basic(fake.username, fake.password) },
      })
    ).json()) as { access_token: string };
    const granule = fake.granules[1]!;
    const first = await fetch(`${fake.dataUrl}/${granule.path}`, {
      headers: { authorization: `Bearer ${token.access_token}` },
      redirect: 'manual',
    });
    expect(first.status).toBe(307);
    const location = first.headers.get('location')!;
    expect(location.startsWith(`${fake.signedUrl}/${granule.path}?`)).toBe(true);
    expect(new URL(location).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    const leaked = await fetch(location, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(leaked.status).toBe(400);
    expect(await leaked.text()).toContain('Only one auth mechanism allowed');
    expect(fake.state.signedHostSawAuthorization).toBe(true);

    const whole = await fetch(location);
    expect(whole.status).toBe(200);
    expect(md5(await whole.arrayBuffer())).toBe(granule.file.md5);
    const part = await fetch(location, { headers: { range: 'bytes=1000-' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(
      `bytes 1000-${granule.file.size - 1}/${granule.file.size}`,
    );
    expect(
      Buffer.from(await part.arrayBuffer()).equals(granule.file.slice(1000, granule.file.size)),
    ).toBe(true);
    const tampered = await fetch(
      location.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=00'),
    );
    expect(tampered.status).toBe(403);

    fake.setFaults(granule.producerGranuleId, { tooManyRequests: 1, retryAfterSeconds: 2 });
    const limited = await fetch(location);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await fetch(location)).status).toBe(200);
    expect(fake.state.signedDownloads).toBe(3);
    expect(fake.state.basicSentOutsideUrs).toBe(false);
  });

  it('runs the cookie (URS OAuth) flow and flags Basic sent outside URS', async () => {
    const fake = await cmr({ count: 1 });
    const granule = fake.granules[0]!;
    const original = `${fake.dataUrl}/${granule.path}`;
    const r1 = await fetch(original, { redirect: 'manual' });
    expect(r1.status).toBe(302);
    const authorize = new URL(r1.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe(`${fake.ursUrl}/oauth/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe('fake');
    expect(authorize.searchParams.get('response_type')).toBe('code');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${fake.dataUrl}/login`);
    expect(authorize.searchParams.get('state')).toBe(`/${granule.path}`);

    const r2 = await fetch(authorize, { redirect: 'manual' });
    expect(r2.status).toBe(401);
    expect(r2.headers.get('www-authenticate')).toMatch(/^Basic/);
    const r3 = await fetch(authorize, {
      redirect: 'manual',
      headers: { authorization: basic(fake.username, fake.password) },
    });
    expect(r3.status).toBe(302);
    const login = new URL(r3.headers.get('location')!);
    expect(login.origin + login.pathname).toBe(`${fake.dataUrl}/login`);
    expect(login.searchParams.get('code')).toBe('code-1');

    const r4 = await fetch(login, { redirect: 'manual' });
    expect(r4.status).toBe(302);
    expect(r4.headers.get('location')).toBe(original);
    const setCookie = r4.headers.getSetCookie();
    expect(setCookie[0]).toMatch(/^daac_session=[0-9a-f]+; Path=\/; HttpOnly$/);
    // The code is single use.
    expect((await fetch(login, { redirect: 'manual' })).status).toBe(401);

    const r5 = await fetch(original, {
      redirect: 'manual',
      headers: { cookie: setCookie[0]!.split(';')[0]! },
    });
    expect(r5.status).toBe(307);
    const file = await fetch(r5.headers.get('location')!);
    expect(md5(await file.arrayBuffer())).toBe(granule.file.md5);
    expect(fake.state.basicSentOutsideUrs).toBe(false);
    expect(fake.state.sessionsCreated).toBe(1);

    // Basic sent to the data host is ignored (→ URS) and recorded.
    const leak = await fetch(original, {
      redirect: 'manual',
      headers: { authorization: basic(fake.username, fake.password) },
    });
    expect(leak.status).toBe(302);
    expect(fake.state.basicSentOutsideUrs).toBe(true);
    expect(fake.requests.map((r) => r.host)).toEqual([
      'data',
      'urs',
      'urs',
      'data',
      'data',
      'data',
      'signed',
      'data',
    ]);
  });
});

describe('Copernicus fake', () => {
  async function login(fake: CopernicusFake): Promise<Record<string, string | number>> {
    const res = await fetch(fake.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        username: fake.username,
        password: fake.password,
        client_id: 'cdse-public',
      }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, string | number>;
  }

  const refresh = (fake: CopernicusFake, token: string) =>
    fetch(fake.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: token,
        client_id: 'cdse-public',
      }),
    });

  it('searches with the spec filter, counts and pages with @odata.nextLink', async () => {
    const fake = await cdse({ count: 30 });
    const filter = [
      "Collection/Name eq 'SENTINEL-2'",
      "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((-79.4 43.8,-79.3 43.8,-79.3 43.9,-79.4 43.9,-79.4 43.8))')",
      'ContentDate/Start ge 2019-05-05T00:00:00.000Z and ContentDate/Start lt 2019-05-28T00:00:00.000Z',
      "Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and att/OData.CSC.DoubleAttribute/Value le 70.00)",
      "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and att/OData.CSC.StringAttribute/Value eq 'S2MSI2A')",
    ].join(' and ');
    const expected = fake.products
      .filter((p) => {
        const t = Date.parse(p.start);
        const cloud = p.attributes.find((a) => a.Name === 'cloudCover')!.Value as number;
        const type = p.attributes.find((a) => a.Name === 'productType')!.Value;
        return (
          t >= Date.parse('2019-05-05T00:00:00Z') &&
          t < Date.parse('2019-05-28T00:00:00Z') &&
          cloud <= 70 &&
          type === 'S2MSI2A'
        );
      })
      .map((p) => p.id);
    expect(expected.length).toBeGreaterThan(4);

    const params = new URLSearchParams({
      $filter: filter,
      $orderby: 'ContentDate/Start asc',
      $top: '4',
      $count: 'True',
    });
    params.append('$expand', 'Attributes');
    params.append('$expand', 'Assets');
    let next: string | undefined = `${fake.catalogueUrl}/odata/v1/Products?${params.toString()}`;
    const ids: string[] = [];
    let pages = 0;
    while (next !== undefined) {
      const res = await fetch(next);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        '@odata.count': number;
        '@odata.nextLink'?: string;
        '@odata.context': string;
        value: Record<string, unknown>[];
      };
      expect(body['@odata.count']).toBe(expected.length);
      expect(body['@odata.context']).toBe('$metadata#Products(Attributes(),Assets())');
      ids.push(...body.value.map((p) => p.Id as string));
      if (pages === 0) {
        const first = body.value[0]!;
        const product = fake.product(first.Id as string)!;
        expect(first.Name).toMatch(
          /^S2[AB]_MSIL2A_\d{8}T\d{6}_N0500_R\d{3}_T\w{5}_\d{8}T\d{6}\.SAFE$/,
        );
        expect(first.ContentLength).toBe(product.file.size);
        expect(first.Online).toBe(true);
        expect((first.Checksum as { Algorithm: string; Value: string }[])[0]).toMatchObject({
          Algorithm: 'MD5',
          Value: product.file.md5,
        });
        expect(first.Footprint).toMatch(/^geography'SRID=4326;POLYGON \(\(-?[\d.]+ [\d.]+, /);
        expect((first.GeoFootprint as { type: string }).type).toBe('Polygon');
        expect((first.ContentDate as { Start: string }).Start).toMatch(/\.\d{6}Z$/);
        expect(first.Attributes).toContainEqual(
          expect.objectContaining({
            '@odata.type': '#OData.CSC.DoubleAttribute',
            Name: 'cloudCover',
          }),
        );
        expect((first.Assets as { Type: string; DownloadLink: string }[])[0]!.Type).toBe(
          'QUICKLOOK',
        );
        const quicklook = await fetch(
          (first.Assets as { DownloadLink: string }[])[0]!.DownloadLink,
        );
        expect(quicklook.headers.get('content-type')).toBe('image/jpeg');
      }
      next = body['@odata.nextLink'];
      if (next !== undefined) {
        expect(next.startsWith(`${fake.catalogueUrl}/odata/v1/Products?`)).toBe(true);
        expect(new URL(next).searchParams.get('$skip')).toBe(String((pages + 1) * 4));
        expect(new URL(next).searchParams.get('$filter')).toBe(filter);
      }
      pages++;
    }
    expect(ids).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 4));

    // Without $expand there are no Attributes/Assets; $top defaults to 20.
    const plain = (await (await fetch(`${fake.catalogueUrl}/odata/v1/Products`)).json()) as {
      value: Record<string, unknown>[];
      '@odata.nextLink'?: string;
      '@odata.count'?: number;
    };
    expect(plain.value).toHaveLength(20);
    expect(plain.value[0]!.Attributes).toBeUndefined();
    expect(plain['@odata.count']).toBeUndefined();
    expect(new URL(plain['@odata.nextLink']!).searchParams.get('$skip')).toBe('20');
  });

  it('refuses what CDSE refuses', async () => {
    const fake = await cdse({ count: 3 });
    const status = async (query: Record<string, string>) => {
      const res = await fetch(
        `${fake.catalogueUrl}/odata/v1/Products?${new URLSearchParams(query).toString()}`,
      );
      const body = (await res.json()) as { detail?: string };
      return [res.status, body.detail === undefined ? 'ok' : 'detail'];
    };
    expect(await status({ $top: '1000' })).toEqual([200, 'ok']);
    expect(await status({ $top: '1001' })).toEqual([400, 'detail']);
    expect(await status({ $skip: '10001' })).toEqual([400, 'detail']);
    expect(
      await status({
        $filter:
          "OData.CSC.Intersects(area=geography'SRID=4326;MULTIPOLYGON(((0 0,1 0,1 1,0 0))))')",
      }),
    ).toEqual([400, 'detail']);
    expect(
      await status({
        $filter: "OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((0 0,1 0,1 1,0 1))')",
      }),
    ).toEqual([400, 'detail']);
    expect(await status({ $filter: 'cloudCover lt 10' })).toEqual([400, 'detail']);
    expect(await status({ $filter: "Collection/Name eq 'SENTINEL-2' and" })).toEqual([
      400,
      'detail',
    ]);
    expect(await status({ $orderby: 'Name asc' })).toEqual([400, 'detail']);
  });

  it('issues, refreshes and expires Keycloak tokens and counts sessions', async () => {
    const clock = manualClock();
    const fake = await cdse({
      count: 1,
      accessTtlSeconds: 1,
      refreshTtlSeconds: 60,
      maxSessions: 2,
      now: clock.now,
    });
    const wrong = await fetch(fake.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        username: fake.username,
        password: 'x',
        client_id: 'cdse-public',
      }),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid user credentials',
    });
    const tokens = await login(fake);
    expect(tokens).toMatchObject({
      expires_in: 1,
      refresh_expires_in: 60,
      token_type: 'Bearer',
      'not-before-policy': 0,
    });
    expect(Object.keys(tokens).sort()).toEqual([
      'access_token',
      'expires_in',
      'not-before-policy',
      'refresh_expires_in',
      'refresh_token',
      'scope',
      'session_state',
      'token_type',
    ]);
    expect(fake.state.sessions).toBe(1);
    const product = fake.products[0]!;
    const value = `${fake.catalogueUrl}/odata/v1/Products(${product.id})/$value`;
    const get = (token: string) =>
      fetch(value, { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
    expect((await get(tokens.access_token as string)).status).toBe(307);
    clock.advance(999);
    expect((await get(tokens.access_token as string)).status).toBe(307);
    clock.advance(1);
    const expired = await get(tokens.access_token as string);
    expect(expired.status).toBe(401);
    const refreshed = await refresh(fake, tokens.refresh_token as string);
    expect(refreshed.status).toBe(200);
    const fresh = (await refreshed.json()) as Record<string, string>;
    expect(fresh.session_state).toBe(tokens.session_state);
    expect((await get(fresh.access_token!)).status).toBe(307);
    expect(fake.state.sessions).toBe(1);
    expect(fake.state.refreshGrants).toBe(1);

    await login(fake);
    expect(fake.state.sessions).toBe(2);
    const third = await fetch(fake.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        username: fake.username,
        password: fake.password,
        client_id: 'cdse-public',
      }),
    });
    expect(third.status).toBe(401);
    expect(await third.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'Too many sessions',
    });

    expect((await refresh(fake, 'garbage')).status).toBe(400);
    fake.expireRefreshTokens();
    const dead = await refresh(fake, fresh.refresh_token!);
    expect(dead.status).toBe(400);
    expect(await dead.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'Token is not active',
    });
    expect(fake.state.sessions).toBe(0);
  });

  it('expires refresh tokens on the clock', async () => {
    const clock = manualClock();
    const fake = await cdse({ count: 1, refreshTtlSeconds: 1, now: clock.now });
    const tokens = await login(fake);
    clock.advance(1000);
    expect((await refresh(fake, tokens.refresh_token as string)).status).toBe(400);
  });

  it('redirects $value to the download host, which needs Authorization and serves Range', async () => {
    const fake = await cdse({ count: 3, offline: [2] });
    const { access_token: token } = (await login(fake)) as { access_token: string };
    const product = fake.products[0]!;
    const value = `${fake.catalogueUrl}/odata/v1/Products(${product.id})/$value`;
    expect((await fetch(value, { redirect: 'manual' })).status).toBe(401);
    const redirect = await fetch(value, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    expect(redirect.status).toBe(307);
    const location = redirect.headers.get('location')!;
    expect(location).toBe(`${fake.downloadUrl}/odata/v1/Products(${product.id})/$value`);

    const bare = await fetch(location);
    expect(bare.status).toBe(401);
    expect(fake.state.downloadsWithoutAuthorization).toBe(1);
    const file = await fetch(location, { headers: { authorization: `Bearer ${token}` } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/zip');
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="${product.name}.zip"`,
    );
    expect(md5(await file.arrayBuffer())).toBe(product.file.md5);
    const part = await fetch(location, {
      headers: { authorization: `Bearer ${token}`, range: 'bytes=5000-' },
    });
    expect(part.status).toBe(206);
    expect(
      Buffer.from(await part.arrayBuffer()).equals(product.file.slice(5000, product.file.size)),
    ).toBe(true);

    const offline = fake.products[2]!;
    const refused = await fetch(`${fake.catalogueUrl}/odata/v1/Products(${offline.id})/$value`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/offline/);

    fake.expireAccessTokens();
    expect((await fetch(location, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      401,
    );
    expect(fake.state.downloads).toBe(2);
  });

  it('shows why plain fetch redirect-following is not enough for CDSE (but is for CMR)', async () => {
    // Node 20's fetch drops Authorization on a cross-origin redirect: right for the CMR signed
    // host, wrong for the CDSE zipper (the spec's curl --location-trusted).
    const fake = await cdse({ count: 1 });
    const { access_token: token } = (await login(fake)) as { access_token: string };
    const followed = await fetch(
      `${fake.catalogueUrl}/odata/v1/Products(${fake.products[0]!.id})/$value`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(followed.status).toBe(401);
    expect(fake.state.downloadsWithoutAuthorization).toBe(1);

    const nasa = await cmr({ count: 1 });
    const edl = (await (
      await fetch(`${nasa.ursUrl}/api/users/find_or_create_token`, {
        method: 'POST',
        headers: { authorization: basic(nasa.username, nasa.password) },
      })
    ).json()) as { access_token: string };
    const granule = nasa.granules[0]!;
    const file = await fetch(`${nasa.dataUrl}/${granule.path}`, {
      headers: { authorization: `Bearer ${edl.access_token}` },
    });
    expect(file.status).toBe(200);
    expect(md5(await file.arrayBuffer())).toBe(granule.file.md5);
    expect(nasa.state.signedHostSawAuthorization).toBe(false);
  });

  it('allows 4 concurrent downloads and answers the 5th with 429 + Retry-After', async () => {
    const fake = await cdse({ count: 5, retryAfterSeconds: 3 });
    const { access_token: token } = (await login(fake)) as { access_token: string };
    const headers = { authorization: `Bearer ${token}` };
    const controllers: AbortController[] = [];
    for (const product of fake.products.slice(0, 4)) {
      fake.setFaults(product.id, { stallAtByte: 70_000 });
      const controller = new AbortController();
      controllers.push(controller);
      const res = await fetch(`${fake.downloadUrl}/odata/v1/Products(${product.id})/$value`, {
        headers,
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
    }
    expect(fake.state.inFlightDownloads).toBe(4);
    const fifth = await fetch(
      `${fake.downloadUrl}/odata/v1/Products(${fake.products[4]!.id})/$value`,
      { headers },
    );
    expect(fifth.status).toBe(429);
    expect(fifth.headers.get('retry-after')).toBe('3');
    expect(fake.state.maxConcurrentDownloads).toBe(4);
    expect(fake.state.concurrencyRejections).toBe(1);
    for (const controller of controllers) controller.abort();
    for (let i = 0; i < 50 && fake.state.inFlightDownloads > 0; i++) await sleep(20);
    expect(fake.state.inFlightDownloads).toBe(0);
    const after = await fetch(
      `${fake.downloadUrl}/odata/v1/Products(${fake.products[4]!.id})/$value`,
      { headers },
    );
    expect(after.status).toBe(200);
    expect(md5(await after.arrayBuffer())).toBe(fake.products[4]!.file.md5);
  });
});
