/**
 * Faithful local fake of NASA CMR search + Earthdata Login (URS) + a DAAC (TEA) data host +
 * the signed S3/CloudFront host, for the sensor-downloaders tests. Speaks the wire format of
 * /work/shared/specs/sensors.md §1. Four loopback servers, so "another host" is real:
 *
 *   searchUrl = http://127.0.0.1:<p1>/search   CMR search
 *   ursUrl    = http://127.0.0.1:<p2>          Earthdata Login
 *   dataUrl   = http://127.0.0.1:<p3>          DAAC / TEA data host
 *   signedUrl = http://127.0.0.1:<p4>          signed S3 / CloudFront host
 *
 * `url` is the search server's origin (searchUrl without `/search`).
 *
 * ## Search: `GET|HEAD <searchUrl>/granules.json`
 * Parameters (a `[]` suffix is accepted on each, e.g. `temporal[]`):
 * - `short_name`, `version`, `provider`, `collection_concept_id`, `concept_id`: exact match.
 * - `readable_granule_name`: matches producer_granule_id or title; `*`/`?` wildcards only with
 *   `options[readable_granule_name][pattern]=true`.
 * - `temporal=start,end` (ISO; either side may be empty): granules whose [time_start,time_end]
 *   overlaps it. Several `temporal` values are ANDed.
 * - `bounding_box=W,S,E,N`: granules whose bbox intersects it (edges touching count).
 * - `polygon=lon,lat,...`: at least 4 points, closed (first == last) and counter-clockwise, else
 *   400. Filtering uses the polygon's bbox.
 * - `cloud_cover=min,max` (either side may be empty): inclusive; granules without a cloud cover
 *   are excluded.
 * - `page_size`: default 10, integer 0..2000; anything else → 400
 *   `{"errors":["page_size must be a number between 0 and 2000"]}`.
 * - `sort_key`: `start_date`, `-start_date`, `end_date`, `-end_date`, `+...` forms too (default:
 *   start_date ascending; ties broken by concept id). Other keys → 400 `{"errors":[...]}`.
 * - `page_num` (1-based) and `offset` (0-based) work but are deprecated: each use increments
 *   `state.pageNumUsed`. Combined with a `CMR-Search-After` header → 400.
 * - Any other parameter (except `options[...]`) → 400 `{"errors":["Parameter [x] was not recognized."]}`.
 * - `Authorization: Bearer <token>` is optional, but if sent it must be a live EDL token from this
 *   fake, else 401 `{"errors":["Token does not exist"]}` / `{"errors":["Token ... has expired"]}`.
 * Response: `200 {"feed":{"updated","id","title","entry":[...]}}`, content-type
 * `application/json;charset=utf-8`, headers `CMR-Hits: <total matching>`, `CMR-Took`,
 * `CMR-Request-Id`, and `CMR-Search-After: ["fake",<time_start ms of the page's last entry>,<n>]`
 * ONLY when more results remain after this page (the last page has no such header).
 * Paging: send that value back unchanged in the `CMR-Search-After` request header with exactly
 * the same query parameters (compared as a multiset; order does not matter). Different
 * parameters → 400 `{"errors":["The search parameters ... do not match ..."]}`; an unknown value
 * → 400 `{"errors":["Invalid CMR-Search-After header value [...]"]}`. Cursors never expire.
 * Entries (see `toEntry`): id, title, producer_granule_id, time_start, time_end, updated,
 * dataset_id, data_center, collection_concept_id, coordinate_system, day_night_flag,
 * granule_size (MB, a string), original_format, browse_flag, online_access_flag,
 * polygons `[["lat lon lat lon ..."]]` (LATITUDE FIRST, closed CCW ring of the granule bbox),
 * cloud_cover (a string like "19.0"; absent when the granule has none), and links:
 *   rel `http://esipfed.org/ns/fedsearch/1.1/data#`  href `<dataUrl>/<granule.path>` (the file),
 *   rel `.../s3#`            href `s3://fake-protected/<granule.path>`,
 *   rel `.../browse#`        href `<dataUrl>/browse/<id>.jpg` (served: a small JPEG-ish blob),
 *   rel `.../documentation#` href `https://doi.org/...`, `"inherited": true`.
 *
 * ## EDL token: `POST <ursUrl>/api/users/find_or_create_token`
 * HTTP Basic `username:password` (options, default `user`/`pass`); missing/wrong → 401
 * `{"error":"invalid_credentials","error_description":"Invalid user credentials"}`.
 * → 200 `{"access_token":"EDL-token-N","token_type":"Bearer","expiration_date":"MM/DD/YYYY"}`.
 * "Find or create": while the last token is live it is returned again; once expired (after
 * `tokenTtlMs`, default 60 days) or after `expireTokens()`, a new `EDL-token-<N+1>` is made.
 *
 * ## Data host (TEA): `GET|HEAD <dataUrl>/<granule.path>`
 * - `Authorization: Bearer <live token>` → 307 `Location: <signedUrl>/<granule.path>?X-Amz-...&X-Amz-Signature=<hex>`.
 *   Unknown/expired bearer token → 401 `{"error":"invalid_token",...}`; with `refuseTokens`,
 *   every bearer token → 401 `{"error":"invalid_token","error_description":"Bearer tokens are not accepted here"}`.
 * - Cookie `daac_session=<valid>` (no Authorization) → the same 307.
 * - Otherwise → 302 `Location: <ursUrl>/oauth/authorize?client_id=fake&response_type=code&redirect_uri=<dataUrl>/login&state=<original path, URL-encoded>`.
 * - Basic auth sent here → `state.basicSentOutsideUrs = true`, and it is ignored (→ the 302).
 * - Unknown path → 404 text.
 * `GET <dataUrl>/login?code=<code>&state=<path>`: a code issued by URS (single use) → 302
 * `Location: <dataUrl><path>` with `Set-Cookie: daac_session=<id>; Path=/; HttpOnly`; bad code → 401.
 *
 * ## URS: `GET <ursUrl>/oauth/authorize?client_id=fake&response_type=code&redirect_uri=...&state=...`
 * No Basic auth → 401 with `WWW-Authenticate: Basic realm="Please enter your Earthdata Login credentials"`;
 * wrong Basic → 401; client_id ≠ fake or redirect_uri not under dataUrl → 400; correct Basic →
 * 302 `Location: <redirect_uri>?code=<code>&state=<state>`.
 *
 * ## Signed host: `GET|HEAD <signedUrl>/<granule.path>?X-Amz-...`
 * Serves the granule's SyntheticFile with `serveFile` (Range → 206, the granule's `faults`).
 * Any `Authorization` header → 400 (S3 XML, "Only one auth mechanism allowed; ...") and
 * `state.signedHostSawAuthorization = true` (Basic also sets `state.basicSentOutsideUrs`).
 * Missing/wrong signature → 403 (S3 XML AccessDenied); older than `signedUrlTtlMs` (default 1 h)
 * → 403 "Request has expired" (a resuming client must ask the data host for a fresh URL).
 *
 * Knobs: `granules` (mutable: set `granule.faults` at any time), `setFaults(idOrFileName, faults)`,
 * `expireTokens()`, `state` counters, `requests` (every request to any of the four hosts, in order,
 * labelled by `host`), `granuleByFile(name)`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type FakeServer,
  type FileFaults,
  type Handler,
  readBody,
  sendJson,
  sendText,
  serveFile,
  startFakeServer,
  SyntheticFile,
  type BBox,
  intersects,
  roundTo,
  seededRandom,
  scatteredBox,
} from './http.js';

export type { BBox };

export interface CmrGranule {
  /** Concept id, e.g. `G1000000001-FAKEDAAC`. */
  id: string;
  /** e.g. `FAKEDAAC:1000000001`. */
  title: string;
  /** The file name, e.g. `MOD09GA.A2019131.h12v04.061.2019133030000.hdf`. */
  producerGranuleId: string;
  /** Path of the file under dataUrl / signedUrl, e.g. `MOD09GA/061/<producerGranuleId>`. */
  path: string;
  shortName: string;
  version: string;
  /** ISO instants, e.g. `2019-05-11T16:05:00.000Z`. */
  timeStart: string;
  timeEnd: string;
  bbox: BBox;
  /** 0..100, or undefined when the granule has none. */
  cloudCover: number | undefined;
  file: SyntheticFile;
  faults?: FileFaults;
}

export interface MakeCmrGranulesOptions {
  /** Number of granules (default 25). */
  count?: number;
  shortName?: string;
  version?: string;
  /** Date range the granules are spread over, evenly (default 2019-05-01 .. 2019-06-01). */
  start?: string;
  end?: string;
  /** Footprints are boxes near this bbox (default [-79.4, 43.8, -79.3, 43.9]). */
  bbox?: BBox;
  /** File sizes are drawn from [min, max] bytes (default [200_000, 400_000]). */
  sizeRange?: [number, number];
  seed?: number;
}

export interface CmrFakeOptions extends MakeCmrGranulesOptions {
  /** Explicit granules; otherwise `makeCmrGranules(options)`. */
  granules?: CmrGranule[];
  username?: string;
  password?: string;
  /** EDL token lifetime (default 60 days). */
  tokenTtlMs?: number;
  /** Signed URL lifetime (default 1 hour). */
  signedUrlTtlMs?: number;
  /** The clock tokens and signed URLs expire on, in ms (default `Date.now`). */
  now?: () => number;
  /**
   * A DAAC that does not take EDL bearer tokens (hosts not behind TEA): any `Authorization:
   * Bearer` on the data host gets 401 `{"error":"invalid_token"}`; only the cookie flow works.
   */
  refuseTokens?: boolean;
}

export interface CmrFakeState {
  /** POSTs to find_or_create_token (any outcome) and tokens minted. */
  tokenRequests: number;
  tokensIssued: number;
  searchRequests: number;
  /** Searches that used the deprecated page_num/offset. */
  pageNumUsed: number;
  /** /oauth/authorize hits and successful ones (codes issued). */
  authorizeRequests: number;
  codesIssued: number;
  /** daac_session cookies set by /login. */
  sessionsCreated: number;
  /** 307s from the data host to the signed host. */
  signedRedirects: number;
  /** GETs on the signed host answered 200/206 (counted when the response ends or is cut). */
  signedDownloads: number;
  /** True once any request reached the signed host with an Authorization header. */
  signedHostSawAuthorization: boolean;
  /** True once HTTP Basic credentials reached the search, data or signed host. */
  basicSentOutsideUrs: boolean;
}

export interface CmrFakeRequest {
  host: 'search' | 'urs' | 'data' | 'signed';
  method: string;
  /** Path with query. */
  url: string;
  headers: IncomingMessage['headers'];
}

export interface CmrFake {
  url: string;
  searchUrl: string;
  ursUrl: string;
  dataUrl: string;
  signedUrl: string;
  username: string;
  password: string;
  granules: CmrGranule[];
  state: CmrFakeState;
  requests: CmrFakeRequest[];
  /** The granule whose producer_granule_id, path or id is `name`. */
  granuleByFile(name: string): CmrGranule | undefined;
  setFaults(idOrFileName: string, faults: FileFaults): void;
  /** Make every EDL token issued so far expired. */
  expireTokens(): void;
  close(): Promise<void>;
}

const REL = 'http://esipfed.org/ns/fedsearch/1.1/';
const PROVIDER = 'FAKEDAAC';
const COLLECTION_ID = `C1000000000-${PROVIDER}`;

/** Deterministic PRNG (mulberry32). */

function dayOfYear(date: Date): number {
  return Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

/** `count` granules evenly spread over [start, end), footprints near `bbox`, seeded. */
export function makeCmrGranules(options: MakeCmrGranulesOptions = {}): CmrGranule[] {
  const count = options.count ?? 25;
  const shortName = options.shortName ?? 'MOD09GA';
  const version = options.version ?? '061';
  const start = Date.parse(options.start ?? '2019-05-01T00:00:00Z');
  const end = Date.parse(options.end ?? '2019-06-01T00:00:00Z');
  const [w, s, e, n] = options.bbox ?? [-79.4, 43.8, -79.3, 43.9];
  const [minSize, maxSize] = options.sizeRange ?? [200_000, 400_000];
  const seed = options.seed ?? 1;
  const rand = seededRandom(seed);
  const granules: CmrGranule[] = [];
  for (let index = 0; index < count; index++) {
    const t0 = start + Math.floor(((end - start) * index) / Math.max(1, count));
    const date = new Date(t0);
    const bbox = scatteredBox(rand, [w, s, e, n]);
    const cloudCover = roundTo(rand() * 100, 1);
    const size = minSize + Math.floor(rand() * (maxSize - minSize + 1));
    const number = 1_000_000_001 + index;
    const stamp = `A${date.getUTCFullYear()}${String(dayOfYear(date)).padStart(3, '0')}`;
    const hhmm = `${String(date.getUTCHours()).padStart(2, '0')}${String(date.getUTCMinutes()).padStart(2, '0')}`;
    const producerGranuleId = `${shortName}.${stamp}.${hhmm}.${version}.${String(number)}.hdf`;
    granules.push({
      id: `G${number}-${PROVIDER}`,
      title: `${PROVIDER}:${number}`,
      producerGranuleId,
      path: `${shortName}/${version}/${producerGranuleId}`,
      shortName,
      version,
      timeStart: date.toISOString(),
      timeEnd: new Date(t0 + 5 * 60_000).toISOString(),
      bbox,
      cloudCover,
      file: new SyntheticFile(size, seed * 1000 + index),
    });
  }
  return granules;
}

function formatCloud(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** The `granules.json` entry for a granule, as CMR returns it. */
export function toEntry(granule: CmrGranule, dataUrl: string): Record<string, unknown> {
  const [w, s, e, n] = granule.bbox;
  const ring = [
    [s, w],
    [s, e],
    [n, e],
    [n, w],
    [s, w],
  ]
    .map(([lat, lon]) => `${lat} ${lon}`)
    .join(' ');
  const entry: Record<string, unknown> = {
    id: granule.id,
    title: granule.title,
    producer_granule_id: granule.producerGranuleId,
    time_start: granule.timeStart,
    time_end: granule.timeEnd,
    updated: granule.timeEnd,
    dataset_id: `Fake ${granule.shortName} V${granule.version}`,
    data_center: PROVIDER,
    collection_concept_id: COLLECTION_ID,
    coordinate_system: 'GEODETIC',
    day_night_flag: 'DAY',
    granule_size: String(granule.file.size / 1048576),
    original_format: 'ECHO10',
    browse_flag: true,
    online_access_flag: true,
    polygons: [[ring]],
  };
  if (granule.cloudCover !== undefined) entry.cloud_cover = formatCloud(granule.cloudCover);
  entry.links = [
    {
      rel: `${REL}data#`,
      type: 'application/x-hdfeos',
      title: `Download ${granule.producerGranuleId}`,
      hreflang: 'en-US',
      href: `${dataUrl}/${granule.path}`,
    },
    {
      rel: `${REL}s3#`,
      title: 'This link provides direct download access via S3 to the granule',
      hreflang: 'en-US',
      href: `s3://fake-protected/${granule.path}`,
    },
    {
      rel: `${REL}browse#`,
      type: 'image/jpeg',
      hreflang: 'en-US',
      href: `${dataUrl}/browse/${granule.id}.jpg`,
    },
    {
      rel: `${REL}documentation#`,
      hreflang: 'en-US',
      href: `https://doi.org/10.5067/FAKE/${granule.shortName}.${granule.version}`,
      inherited: true,
    },
  ];
  return entry;
}

class BadRequest extends Error {}

const KNOWN_PARAMS = new Set([
  'short_name',
  'version',
  'provider',
  'collection_concept_id',
  'concept_id',
  'readable_granule_name',
  'temporal',
  'bounding_box',
  'polygon',
  'cloud_cover',
  'page_size',
  'page_num',
  'offset',
  'sort_key',
]);

function numbers(text: string, what: string): number[] {
  const parts = text.split(',').map((part) => Number(part.trim()));
  if (parts.some((value) => !Number.isFinite(value)))
    throw new BadRequest(`${what} [${text}] is not a list of numbers.`);
  return parts;
}

function rangeOf(text: string, what: string, parse: (part: string) => number): [number, number] {
  const parts = text.split(',');
  if (parts.length < 2 || parts.length > 3) throw new BadRequest(`${what} [${text}] is invalid.`);
  const lo = parts[0]!.trim() === '' ? -Infinity : parse(parts[0]!.trim());
  const hi = parts[1]!.trim() === '' ? Infinity : parse(parts[1]!.trim());
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new BadRequest(`${what} [${text}] is invalid.`);
  return [lo, hi];
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Canonical form of a query for cursor matching (multiset of name=value). */
function queryKey(params: URLSearchParams): string {
  return [...params.entries()]
    .map(([name, value]) => `${name}=${value}`)
    .sort()
    .join('&');
}

function basicCredentials(req: IncomingMessage): [string, string] | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match === null ? undefined : match[1];
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function usDate(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getUTCMonth() + 1).padStart(2, '0')}/${String(date.getUTCDate()).padStart(2, '0')}/${date.getUTCFullYear()}`;
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>FAKE</RequestId></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
  });
  res.end(xml);
}

export async function startCmrFake(options: CmrFakeOptions = {}): Promise<CmrFake> {
  const granules = options.granules ?? makeCmrGranules(options);
  const username = options.username ?? 'user';
  const password = options.password ?? 'pass';
  const tokenTtlMs = options.tokenTtlMs ?? 60 * 86_400_000;
  const signedUrlTtlMs = options.signedUrlTtlMs ?? 3_600_000;
  const clock = options.now ?? Date.now;
  const secret = 'fake-signing-secret';
  const state: CmrFakeState = {
    tokenRequests: 0,
    tokensIssued: 0,
    searchRequests: 0,
    pageNumUsed: 0,
    authorizeRequests: 0,
    codesIssued: 0,
    sessionsCreated: 0,
    signedRedirects: 0,
    signedDownloads: 0,
    signedHostSawAuthorization: false,
    basicSentOutsideUrs: false,
  };
  const requests: CmrFakeRequest[] = [];
  /** token → expiry (ms). */
  const tokens = new Map<string, number>();
  let lastToken: string | undefined;
  const codes = new Set<string>();
  const sessions = new Set<string>();
  /** CMR-Search-After value → the query it continues and the index of the next entry. */
  const cursors = new Map<string, { key: string; next: number }>();
  let counter = 0;

  const granuleByFile = (name: string) =>
    granules.find((g) => g.producerGranuleId === name || g.path === name || g.id === name);

  const tokenState = (token: string): 'live' | 'expired' | 'unknown' => {
    const expiry = tokens.get(token);
    if (expiry === undefined) return 'unknown';
    return clock() < expiry ? 'live' : 'expired';
  };

  const track =
    (host: CmrFakeRequest['host'], handler: Handler): Handler =>
    (req, res, url) => {
      requests.push({
        host,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
      });
      if (host !== 'urs' && basicCredentials(req) !== undefined) state.basicSentOutsideUrs = true;
      return handler(req, res, url);
    };

  // --- search -------------------------------------------------------------------------------
  const search = await startFakeServer(
    track('search', (req, res, url) => {
      if (
        url.pathname !== '/search/granules.json' ||
        (req.method !== 'GET' && req.method !== 'HEAD')
      ) {
        sendJson(res, 404, { errors: [`Not found: ${req.method} ${url.pathname}`] });
        return;
      }
      state.searchRequests++;
      const token = bearer(req);
      if (token !== undefined) {
        const status = tokenState(token);
        if (status === 'unknown') return sendJson(res, 401, { errors: ['Token does not exist'] });
        if (status === 'expired')
          return sendJson(res, 401, { errors: [`Token [${token}] has expired.`] });
      }
      try {
        handleSearch(req, res, url);
      } catch (error) {
        if (error instanceof BadRequest) sendJson(res, 400, { errors: [error.message] });
        else throw error;
      }
    }),
  );
  const searchUrl = `${search.url}/search`;

  const handleSearch = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const params = url.searchParams;
    const get = (name: string) => [...params.getAll(name), ...params.getAll(`${name}[]`)];
    const options = (name: string, option: string) =>
      params.get(`options[${name}][${option}]`) === 'true';
    for (const name of new Set(params.keys())) {
      const base = name.replace(/\[\]$/, '');
      if (!KNOWN_PARAMS.has(base) && !name.startsWith('options['))
        throw new BadRequest(`Parameter [${name}] was not recognized.`);
    }
    const pageSizeText = params.get('page_size');
    const pageSize = pageSizeText === null ? 10 : Number(pageSizeText);
    if (!/^\d+$/.test(pageSizeText ?? '10') || pageSize > 2000)
      throw new BadRequest('page_size must be a number between 0 and 2000');
    let filtered = granules.filter((g) => {
      const exact: [string, string][] = [
        ['short_name', g.shortName],
        ['version', g.version],
        ['provider', PROVIDER],
        ['collection_concept_id', COLLECTION_ID],
        ['concept_id', g.id],
      ];
      for (const [name, value] of exact) {
        const wanted = get(name);
        if (wanted.length > 0 && !wanted.includes(value)) return false;
      }
      const names = get('readable_granule_name');
      if (names.length > 0) {
        const pattern = options('readable_granule_name', 'pattern');
        const ok = names.some((name) =>
          pattern
            ? wildcard(name).test(g.producerGranuleId) || wildcard(name).test(g.title)
            : name === g.producerGranuleId || name === g.title,
        );
        if (!ok) return false;
      }
      const start = Date.parse(g.timeStart);
      const end = Date.parse(g.timeEnd);
      for (const temporal of get('temporal')) {
        const [lo, hi] = rangeOf(temporal, 'temporal', (part) => Date.parse(part));
        if (end < lo || start > hi) return false;
      }
      for (const box of get('bounding_box')) {
        const values = numbers(box, 'bounding_box');
        if (values.length !== 4) throw new BadRequest(`bounding_box [${box}] must have 4 values.`);
        if (!intersects(values as BBox, g.bbox)) return false;
      }
      for (const polygon of get('polygon')) {
        const values = numbers(polygon, 'polygon');
        if (values.length % 2 !== 0 || values.length < 8)
          throw new BadRequest(`Polygon [${polygon}] must have at least 4 points (lon,lat pairs).`);
        const n = values.length;
        if (values[0] !== values[n - 2] || values[1] !== values[n - 1])
          throw new BadRequest(
            'The polygon boundary is not closed: the first and last points must be equal.',
          );
        let area = 0;
        for (let i = 0; i < n - 2; i += 2)
          area += values[i]! * values[i + 3]! - values[i + 2]! * values[i + 1]!;
        if (area < 0)
          throw new BadRequest(
            'The polygon boundary points are listed in the wrong order (clockwise vs counter clockwise). Please reverse the order of points.',
          );
        const lons = values.filter((_, i) => i % 2 === 0);
        const lats = values.filter((_, i) => i % 2 === 1);
        const box: BBox = [
          Math.min(...lons),
          Math.min(...lats),
          Math.max(...lons),
          Math.max(...lats),
        ];
        if (!intersects(box, g.bbox)) return false;
      }
      for (const cloud of get('cloud_cover')) {
        const [lo, hi] = rangeOf(cloud, 'cloud_cover', Number);
        if (g.cloudCover === undefined || g.cloudCover < lo || g.cloudCover > hi) return false;
      }
      return true;
    });
    const sortKeys = get('sort_key');
    const sortKey = sortKeys[0] ?? 'start_date';
    const match = /^([+-]?)(start_date|end_date)$/.exec(sortKey);
    if (match === null || sortKeys.length > 1)
      throw new BadRequest(`The sort key [${sortKey}] is not a valid field for sorting granules.`);
    const direction = match[1] === '-' ? -1 : 1;
    const field = match[2] === 'start_date' ? 'timeStart' : 'timeEnd';
    filtered = [...filtered].sort(
      (a, b) =>
        direction * (Date.parse(a[field]) - Date.parse(b[field])) || a.id.localeCompare(b.id),
    );

    let from = 0;
    const searchAfter = req.headers['cmr-search-after'];
    const pageNum = params.get('page_num');
    const offset = params.get('offset');
    if (pageNum !== null || offset !== null) {
      state.pageNumUsed++;
      if (searchAfter !== undefined)
        throw new BadRequest(
          'page_num and offset are not allowed with the CMR-Search-After header.',
        );
      if (pageNum !== null) {
        if (!/^[1-9]\d*$/.test(pageNum))
          throw new BadRequest('page_num must be a number greater than 0');
        from = (Number(pageNum) - 1) * pageSize;
      } else {
        if (!/^\d+$/.test(offset!)) throw new BadRequest('offset must be a number of 0 or more');
        from = Number(offset);
      }
    }
    const key = queryKey(params);
    if (searchAfter !== undefined) {
      const value = String(searchAfter);
      const cursor = cursors.get(value);
      if (cursor === undefined)
        throw new BadRequest(`Invalid CMR-Search-After header value [${value}]`);
      if (cursor.key !== key)
        throw new BadRequest(
          `The search parameters of this request do not match the search parameters of the CMR-Search-After value [${value}].`,
        );
      from = cursor.next;
    }
    const page = filtered.slice(from, from + pageSize);
    const headers: Record<string, string> = {
      'content-type': 'application/json;charset=utf-8',
      'cmr-hits': String(filtered.length),
      'cmr-took': '3',
      'cmr-request-id': `fake-${++counter}`,
    };
    const next = from + page.length;
    if (page.length > 0 && next < filtered.length) {
      const last = page[page.length - 1]!;
      const value = JSON.stringify(['fake', Date.parse(last.timeStart), next]);
      cursors.set(value, { key, next });
      headers['cmr-search-after'] = value;
    }
    const body = {
      feed: {
        updated: new Date().toISOString(),
        id: `${searchUrl}/granules.json?${params.toString()}`,
        title: 'ECHO granule metadata',
        entry: page.map((g) => toEntry(g, dataUrl)),
      },
    };
    const text = JSON.stringify(body);
    res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
    res.end(req.method === 'HEAD' ? undefined : text);
  };

  // --- URS (EDL) ----------------------------------------------------------------------------
  const urs = await startFakeServer(
    track('urs', async (req, res, url) => {
      const credentials = basicCredentials(req);
      const good =
        credentials !== undefined && credentials[0] === username && credentials[1] === password;
      if (url.pathname === '/api/users/find_or_create_token' && req.method === 'POST') {
        await readBody(req);
        state.tokenRequests++;
        if (!good)
          return sendJson(res, 401, {
            error: 'invalid_credentials',
            error_description: 'Invalid user credentials',
          });
        let token = lastToken;
        if (token === undefined || tokenState(token) !== 'live') {
          token = `EDL-token-${++state.tokensIssued}`;
          tokens.set(token, clock() + tokenTtlMs);
          lastToken = token;
        }
        return sendJson(res, 200, {
          access_token: token,
          token_type: 'Bearer',
          expiration_date: usDate(tokens.get(token)!),
        });
      }
      if (url.pathname === '/oauth/authorize' && req.method === 'GET') {
        state.authorizeRequests++;
        const redirectUri = url.searchParams.get('redirect_uri') ?? '';
        if (
          url.searchParams.get('client_id') !== 'fake' ||
          url.searchParams.get('response_type') !== 'code' ||
          !redirectUri.startsWith(`${dataUrl}/`)
        )
          return sendJson(res, 400, {
            error: 'invalid_request',
            error_description: 'Bad client_id, response_type or redirect_uri',
          });
        if (!good)
          return sendJson(
            res,
            401,
            { error: 'invalid_credentials', error_description: 'Invalid user credentials' },
            { 'www-authenticate': 'Basic realm="Please enter your Earthdata Login credentials"' },
          );
        const code = `code-${++state.codesIssued}`;
        codes.add(code);
        const target = new URL(redirectUri);
        target.searchParams.set('code', code);
        target.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(302, { location: target.toString(), 'content-length': '0' });
        res.end();
        return;
      }
      sendJson(res, 404, { error: 'not_found' });
    }),
  );
  const ursUrl = urs.url;

  // --- signed host --------------------------------------------------------------------------
  const sign = (path: string, date: number) =>
    createHash('sha256').update(`${secret}|${path}|${date}`).digest('hex');

  const signed = await startFakeServer(
    track('signed', async (req, res, url) => {
      if (req.headers.authorization !== undefined) {
        state.signedHostSawAuthorization = true;
        return s3Error(
          res,
          400,
          'InvalidArgument',
          'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
        );
      }
      const path = decodeURIComponent(url.pathname.slice(1));
      const granule = granules.find((g) => g.path === path);
      const date = Number(url.searchParams.get('X-Amz-Date-Ms'));
      if (
        granule === undefined ||
        url.searchParams.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' ||
        url.searchParams.get('X-Amz-Signature') !== sign(path, date)
      )
        return s3Error(res, 403, 'AccessDenied', 'Access Denied');
      if (clock() - date > signedUrlTtlMs)
        return s3Error(res, 403, 'AccessDenied', 'Request has expired');
      await serveFile(req, res, granule.file, {
        faults: granule.faults ?? (granule.faults = {}),
        filename: granule.producerGranuleId,
      });
      if (req.method === 'GET' && (res.statusCode === 200 || res.statusCode === 206))
        state.signedDownloads++;
    }),
  );
  const signedUrl = signed.url;

  // --- data host (TEA) ----------------------------------------------------------------------
  const data = await startFakeServer(
    track('data', (req, res, url) => {
      if (url.pathname === '/login') {
        const code = url.searchParams.get('code') ?? '';
        const back = url.searchParams.get('state') ?? '/';
        if (!codes.delete(code)) return sendJson(res, 401, { error: 'invalid_code' });
        const session = createHash('md5')
          .update(`session-${++state.sessionsCreated}`)
          .digest('hex');
        sessions.add(session);
        res.writeHead(302, {
          location: `${dataUrl}${back.startsWith('/') ? back : `/${back}`}`,
          'set-cookie': `daac_session=${session}; Path=/; HttpOnly`,
          'content-length': '0',
        });
        res.end();
        return;
      }
      if (url.pathname.startsWith('/browse/')) {
        const blob = Buffer.from([
          0xff,
          0xd8,
          0xff,
          0xe0,
          ...Buffer.from('fake browse'),
          0xff,
          0xd9,
        ]);
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': blob.length });
        res.end(req.method === 'HEAD' ? undefined : blob);
        return;
      }
      const path = decodeURIComponent(url.pathname.slice(1));
      const granule = granules.find((g) => g.path === path);
      if (granule === undefined) return sendText(res, 404, 'Not Found');
      const token = bearer(req);
      let authorized = false;
      if (token !== undefined && options.refuseTokens === true) {
        return sendJson(res, 401, {
          error: 'invalid_token',
          error_description: 'Bearer tokens are not accepted here',
        });
      }
      if (token !== undefined) {
        const status = tokenState(token);
        if (status !== 'live')
          return sendJson(res, 401, {
            error: 'invalid_token',
            error_description: status === 'expired' ? 'Token has expired' : 'Token is not valid',
          });
        authorized = true;
      } else {
        const session = cookie(req, 'daac_session');
        authorized = session !== undefined && sessions.has(session);
      }
      if (!authorized) {
        const target = new URL(`${ursUrl}/oauth/authorize`);
        target.searchParams.set('client_id', 'fake');
        target.searchParams.set('response_type', 'code');
        target.searchParams.set('redirect_uri', `${dataUrl}/login`);
        target.searchParams.set('state', url.pathname + url.search);
        res.writeHead(302, { location: target.toString(), 'content-length': '0' });
        res.end();
        return;
      }
      state.signedRedirects++;
      const now = clock();
      const target = new URL(`${signedUrl}/${granule.path}`);
      target.searchParams.set('A-userid', username);
      target.searchParams.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA256');
      target.searchParams.set('X-Amz-Credential', 'FAKEKEY/20190511/us-west-2/s3/aws4_request');
      target.searchParams.set('X-Amz-Date-Ms', String(now));
      target.searchParams.set('X-Amz-Expires', String(Math.floor(signedUrlTtlMs / 1000)));
      target.searchParams.set('X-Amz-SignedHeaders', 'host');
      target.searchParams.set('X-Amz-Signature', sign(granule.path, now));
      res.writeHead(307, { location: target.toString(), 'content-length': '0' });
      res.end();
    }),
  );
  const dataUrl = data.url;

  const servers: FakeServer[] = [search, urs, data, signed];
  return {
    url: search.url,
    searchUrl,
    ursUrl,
    dataUrl,
    signedUrl,
    username,
    password,
    granules,
    state,
    requests,
    granuleByFile,
    setFaults(idOrFileName, faults) {
      const granule = granuleByFile(idOrFileName);
      if (granule === undefined) throw new Error(`No granule ${idOrFileName}`);
      granule.faults = faults;
    },
    expireTokens() {
      for (const token of tokens.keys()) tokens.set(token, 0);
    },
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}
