/**
 * NASA Common Metadata Repository (CMR): granule search over `granules.json`, and downloads from
 * the DAACs with Earthdata Login (EDL). Wire formats: /work/shared/specs/sensors.md §1.
 *
 * Choices, and why:
 * - Platforms are a small table of CMR collections (below). Any other collection is reachable
 *   with the `shortName` (+ `version`) or `collectionConceptId` options; the scenes' platformName
 *   is then that short name (or concept id).
 * - VIIRS: CATALYST 2.2 added VNP43IA2/IA4/MA2/MA4, then at version 001. LP DAAC has since
 *   published Collection 2 (version 002, which fixes the C1 aerosol-flag problem of VNP09 that
 *   degraded VNP43) and is retiring 001, so the table says 002; `version: '001'` still reaches
 *   the old collection wherever it is served.
 * - Several platforms are searched one collection after the other (each with its own
 *   Search-After paging, since a cursor belongs to one query); the order is by date within a
 *   collection, not across them. `total` is the sum of every collection's `CMR-Hits` (the other
 *   collections are counted with `page_size=0` when the search starts).
 * - A cursor keeps the exact query string and page size of its first page: CMR only accepts
 *   `CMR-Search-After` with identical parameters, so `maxItems` never shrinks a later page.
 * - AOI: a Polygon goes as `polygon=` (its exterior ring, lon,lat, counter-clockwise, closed; CMR
 *   has no holes in queries, so holes are ignored and only widen the search). A MultiPolygon,
 *   or a polygon of more than 300 vertices (the query must fit in a URL), goes as its
 *   `bounding_box=W,S,E,N`.
 * - An `endDate` at exactly 00:00:00 UTC includes that whole day (as Copernicus does, and as in
 *   the seed's "May 11-21" example); any other instant is the end as given.
 * - `cloud_cover` makes CMR drop granules without a cloud cover: the VIIRS VNP43 products have
 *   none, so a cloud filter finds no VIIRS granule.
 * - Searches are anonymous (these collections are public); only downloads authenticate.
 * - Downloads, "token flow first": with `token`, or with username/password (a token made by
 *   `POST {ursUrl}/api/users/find_or_create_token`), each data URL is asked with
 *   `Authorization: Bearer`; the DAAC answers 307 to a signed S3/CloudFront URL, and the
 *   Authorization header never follows it (same-origin rule of HttpClient). The token is renewed
 *   before its `expiration_date` and on a 401. The cookie flow (`authFlow: 'cookie'`, or as a
 *   fallback when a token download is refused and username/password are known, for DAACs that
 *   only speak the OAuth redirect) asks the data URL, follows the 302 to `{ursUrl}/oauth/authorize`
 *   with HTTP Basic sent to the URS host only, and back with a cookie jar; the DAAC's session
 *   cookie then opens every later request. After such a fallback, later downloads from that data
 *   host start with cookies. A refused download in the cookie flow logs in again once (session
 *   expired).
 * - `granule_size` (MB) gives `scene.size`, but it is rounded metadata and covers every data link
 *   together, so it is not passed as the expected size of a file (the integrity check would
 *   reject correct files).
 * - CMR data is online: `activate` is true at once, except for a granule without any https data
 *   link, which can never be downloaded (NotActivatableError).
 * - maxConcurrent is 4: the DAACs and EDL throttle aggressive clients (429), and four parallel
 *   transfers already fill a typical link; it matches the other providers and earthaccess users'
 *   experience.
 * - The EDL token is sent to the hosts CMR lists as data links (as earthaccess does); it never
 *   reaches the signed host a DAAC redirects to.
 */
import type { Geometry, Position } from 'geojson';
import type { Aoi } from '../aoi.js';
import { InvalidInputError } from '@geoworks/errors';
import {
  Downloader,
  type DownloadOptions,
  type DownloaderOptions,
  DownloadResult,
} from '../download.js';
import {
  AuthenticationError,
  DownloadCancelled,
  DownloadError,
  NotActivatableError,
  ProviderError,
  redactUrl,
  SearchParameterError,
} from '../errors.js';
import { HttpClient, type AuthProvider, type RetryPolicy } from '../http/client.js';
import type { RemoteFile } from '../http/download.js';
import { Scene, type PageFetcher, type SceneQuery } from '../search.js';
import { SensorApi, type NormalizedQuery } from '../sensor-api.js';

export interface CmrOptions {
  /** Earthdata Login user name (with `password`: token and cookie flows). */
  username?: string;
  password?: string;
  /** An EDL bearer token (renewed from username/password when those are given too). */
  token?: string;
  /** Default https://cmr.earthdata.nasa.gov/search */
  searchUrl?: string;
  /** Earthdata Login, default https://urs.earthdata.nasa.gov */
  ursUrl?: string;
  /**
   * How downloads authenticate: `token` (default when a token or username/password is given)
   * or `cookie` (the OAuth redirect flow; needs username/password).
   */
  authFlow?: 'token' | 'cookie';
  http?: { retry?: Partial<RetryPolicy>; timeoutMs?: number };
}

/** A CMR collection a platform name stands for. */
export interface CmrCollection {
  shortName: string;
  version: string;
  description: string;
}

/** The platforms, by canonical name. */
const COLLECTIONS: Readonly<Record<string, CmrCollection>> = {
  'MODIS Terra': {
    shortName: 'MOD09GA',
    version: '061',
    description: 'Terra MODIS surface reflectance, daily L2G 500 m/1 km',
  },
  'MODIS Aqua': {
    shortName: 'MYD09GA',
    version: '061',
    description: 'Aqua MODIS surface reflectance, daily L2G 500 m/1 km',
  },
  'VIIRS VNP43IA2': {
    shortName: 'VNP43IA2',
    version: '002',
    description: 'VIIRS/NPP BRDF/Albedo quality, daily L3 500 m',
  },
  'VIIRS VNP43IA4': {
    shortName: 'VNP43IA4',
    version: '002',
    description: 'VIIRS/NPP nadir BRDF-adjusted reflectance, daily L3 500 m',
  },
  'VIIRS VNP43MA2': {
    shortName: 'VNP43MA2',
    version: '002',
    description: 'VIIRS/NPP BRDF/Albedo quality, daily L3 1 km',
  },
  'VIIRS VNP43MA4': {
    shortName: 'VNP43MA4',
    version: '002',
    description: 'VIIRS/NPP nadir BRDF-adjusted reflectance, daily L3 1 km',
  },
  'Landsat HLS': {
    shortName: 'HLSL30',
    version: '2.0',
    description: 'Harmonized Landsat Sentinel-2, Landsat 8/9 OLI 30 m',
  },
  'Sentinel HLS': {
    shortName: 'HLSS30',
    version: '2.0',
    description: 'Harmonized Landsat Sentinel-2, Sentinel-2 MSI 30 m',
  },
};

/** Other spellings: the short names themselves, and the plain sensor names. */
const ALIASES: Readonly<Record<string, string>> = {
  mod09ga: 'MODIS Terra',
  terra: 'MODIS Terra',
  myd09ga: 'MODIS Aqua',
  aqua: 'MODIS Aqua',
  vnp43ia2: 'VIIRS VNP43IA2',
  vnp43ia4: 'VIIRS VNP43IA4',
  vnp43ma2: 'VIIRS VNP43MA2',
  vnp43ma4: 'VIIRS VNP43MA4',
  hlsl30: 'Landsat HLS',
  hlss30: 'Sentinel HLS',
};

/** Provider-specific options of `scenes({...})`. */
export interface CmrQueryOptions {
  /** Any collection by short name (instead of platformName). */
  shortName?: string;
  /** The collection version (with `shortName`, or replacing the table's for every platform). */
  version?: string;
  /** Any collection by concept id, e.g. `C2021957657-LPCLOUD` (instead of platformName). */
  collectionConceptId?: string;
  /** CMR provider (data centre) id, e.g. `LPCLOUD`. */
  provider?: string;
  /** Granule name(s); `*` and `?` wildcards turn on pattern matching. */
  readableGranuleName?: string | string[];
  /** `-start_date` (newest first, default) or `start_date`; also `end_date`, `-end_date`. */
  sortKey?: string;
}

/** One `granules.json` entry (the fields read here; numbers come as strings). */
export interface CmrEntry {
  id: string;
  title?: string;
  producer_granule_id?: string;
  time_start?: string;
  time_end?: string;
  updated?: string;
  collection_concept_id?: string;
  granule_size?: string | number;
  cloud_cover?: string | number;
  polygons?: string[][];
  boxes?: string[];
  points?: string[];
  links?: { rel?: string; href?: string; inherited?: boolean; type?: string }[];
  [field: string]: unknown;
}

interface CmrFeed {
  feed?: { entry?: CmrEntry[] };
}

/** One collection to search, with the query parameters naming it. */
interface Target {
  platformName: string;
  params: [string, string][];
}

interface Cursor {
  /** Index of the collection in the search's targets. */
  target: number;
  /**
   * Where the collection's paging stands: the exact query string of its first page and the last
   * `CMR-Search-After` response header; absent when the collection is yet to start.
   */
  resume?: { query: string; searchAfter: string };
}

const PROVIDER = 'CMR';
const MAX_PAGE_SIZE = 2000;
/** Vertices above which a polygon AOI is sent as its bounding box (URL length). */
const MAX_POLYGON_VERTICES = 300;
const SORT_KEYS = new Set([
  'start_date',
  '-start_date',
  '+start_date',
  'end_date',
  '-end_date',
  '+end_date',
]);
const CLIENT_ID = 'geoworks-sensor-downloaders';

export class Cmr extends SensorApi {
  readonly name = PROVIDER;
  protected readonly maxPageSize = MAX_PAGE_SIZE;
  protected readonly defaultPageSize = 200;
  readonly searchUrl: string;
  readonly ursUrl: string;
  readonly #search: HttpClient;
  readonly #access: DownloadAccess;

  constructor(options: CmrOptions = {}) {
    super();
    this.searchUrl = (options.searchUrl ?? 'https://cmr.earthdata.nasa.gov/search').replace(
      /\/+$/,
      '',
    );
    this.ursUrl = (options.ursUrl ?? 'https://urs.earthdata.nasa.gov').replace(/\/+$/, '');
    const http = {
      ...(options.http?.retry === undefined ? {} : { retry: options.http.retry }),
      ...(options.http?.timeoutMs === undefined ? {} : { timeoutMs: options.http.timeoutMs }),
    };
    this.#search = new HttpClient({ provider: PROVIDER, ...http });
    const hasPassword = options.username !== undefined && options.password !== undefined;
    if (options.authFlow === 'cookie' && !hasPassword) {
      throw new InvalidInputError('CMR: the cookie flow needs a username and a password', {
        code: 'CREDENTIALS_MISSING',
      });
    }
    const basic = hasPassword
      ? `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`
      : undefined;
    const cookie = (): DownloadAccess =>
      new CookieAccess(
        new HttpClient({ provider: PROVIDER, cookies: true, ...http }),
        this.ursUrl,
        basic!,
      );
    if (options.authFlow !== 'cookie' && (options.token !== undefined || hasPassword)) {
      const urs = new HttpClient({ provider: PROVIDER, ...http });
      const auth = new EdlTokenAuth(urs, this.ursUrl, basic, options.token);
      this.#access = new TokenAccess(
        new HttpClient({ provider: PROVIDER, auth, ...http }),
        hasPassword ? cookie : undefined,
      );
    } else if (hasPassword) {
      this.#access = cookie();
    } else {
      this.#access = new AnonymousAccess(new HttpClient({ provider: PROVIDER, ...http }));
    }
  }

  static platformNames(): string[] {
    return Object.keys(COLLECTIONS);
  }

  /** The CMR collection a platform name stands for (canonical names only). */
  static collection(platformName: string): CmrCollection | undefined {
    return COLLECTIONS[platformName];
  }

  supportedPlatformNames(): string[] {
    return Cmr.platformNames();
  }

  protected override platformAliases(): Record<string, string> {
    return { ...ALIASES };
  }

  /** Checks the CMR options at once, so a wrong one fails `scenes()` rather than the first page. */
  protected override normalize(query: SceneQuery): NormalizedQuery {
    const normalized = super.normalize(query);
    const options = cmrOptions(normalized.options);
    if (
      (options.shortName !== undefined || options.collectionConceptId !== undefined) &&
      query.platformName !== undefined
    ) {
      throw new SearchParameterError(
        'CMR: give either platformName or shortName/collectionConceptId, not both',
      );
    }
    if (
      options.version !== undefined &&
      options.shortName === undefined &&
      options.collectionConceptId !== undefined
    ) {
      throw new SearchParameterError(
        'CMR: version goes with shortName or platformName, not with collectionConceptId',
      );
    }
    return normalized;
  }

  protected pageFetcher(query: NormalizedQuery): PageFetcher<unknown> {
    const options = cmrOptions(query.options);
    const targets = this.#targets(query, options);
    let common: Promise<[string, string][]> | undefined;
    /** CMR-Hits of each collection, as learnt. */
    const hits: (number | undefined)[] = targets.map(() => undefined);
    const total = () =>
      hits.every((value) => value !== undefined)
        ? hits.reduce<number>((sum, value) => sum + value!, 0)
        : undefined;
    const queryOf = async (target: Target, pageSize: number) => {
      common ??= commonParams(query, options);
      const params = new URLSearchParams([
        ...target.params,
        ...(await common),
        ['page_size', String(pageSize)],
      ]);
      return params.toString();
    };
    return async (cursor, pageSize, signal) => {
      const size = Math.max(1, Math.min(MAX_PAGE_SIZE, pageSize));
      let current = cursor as Cursor | undefined;
      if (current === undefined && targets.length > 1) {
        // The search is starting: count the other collections, so `total` is known at once.
        await Promise.all(
          targets.slice(1).map(async (target, index) => {
            hits[index + 1] = (await this.#page(await queryOf(target, 0), undefined, signal)).hits;
          }),
        );
      }
      for (let index = current?.target ?? 0; index < targets.length; index++) {
        const target = targets[index]!;
        const resume = current?.target === index ? current.resume : undefined;
        const queryString = resume?.query ?? (await queryOf(target, size));
        const page = await this.#page(queryString, resume?.searchAfter, signal);
        if (page.hits !== undefined) hits[index] = page.hits;
        current = undefined;
        const scenes = page.entries.map((entry) => this.#scene(entry, target.platformName));
        let next: Cursor | undefined;
        if (page.searchAfter !== undefined && scenes.length > 0)
          next = { target: index, resume: { query: queryString, searchAfter: page.searchAfter } };
        else if (index + 1 < targets.length) {
          if (scenes.length === 0) continue;
          next = { target: index + 1 };
        }
        const known = total();
        return { scenes, next, ...(known === undefined ? {} : { total: known }) };
      }
      const known = total();
      return { scenes: [], next: undefined, ...(known === undefined ? {} : { total: known }) };
    };
  }

  /** The collections a query searches. */
  #targets(query: NormalizedQuery, options: CmrQueryOptions): Target[] {
    const extra: [string, string][] = [];
    if (options.provider !== undefined) extra.push(['provider', options.provider]);
    if (options.shortName !== undefined || options.collectionConceptId !== undefined) {
      const params: [string, string][] = [];
      if (options.shortName !== undefined) params.push(['short_name', options.shortName]);
      if (options.version !== undefined) params.push(['version', options.version]);
      if (options.collectionConceptId !== undefined)
        params.push(['collection_concept_id', options.collectionConceptId]);
      return [
        {
          platformName: options.shortName ?? options.collectionConceptId!,
          params: [...params, ...extra],
        },
      ];
    }
    return query.platformNames.map((platformName) => {
      const collection = COLLECTIONS[platformName];
      if (collection === undefined)
        throw new SearchParameterError(`CMR has no platform "${platformName}"`);
      return {
        platformName,
        params: [
          ['short_name', collection.shortName],
          ['version', options.version ?? collection.version],
          ...extra,
        ],
      };
    });
  }

  /** One page: its entries, `CMR-Hits` and `CMR-Search-After`. */
  async #page(
    queryString: string,
    searchAfter: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ entries: CmrEntry[]; hits: number | undefined; searchAfter: string | undefined }> {
    const url = `${this.searchUrl}/granules.json?${queryString}`;
    const { response, text } = await this.#search.fetchText(url, {
      headers: {
        accept: 'application/json',
        'client-id': CLIENT_ID,
        ...(searchAfter === undefined ? {} : { 'cmr-search-after': searchAfter }),
      },
      ...(signal === undefined ? {} : { signal }),
    });
    if (!response.ok) {
      let errors: string | undefined;
      try {
        const body = JSON.parse(text) as { errors?: unknown[] };
        if (Array.isArray(body.errors)) errors = body.errors.map(String).join('; ');
      } catch {
        // Not JSON: the status error below quotes the text.
      }
      if (errors === undefined) throw this.#search.statusError(response, text, url);
      throw new ProviderError(PROVIDER, `search failed (${response.status}): ${errors}`, {
        status: response.status,
        url: redactUrl(url),
      });
    }
    let body: CmrFeed;
    try {
      body = JSON.parse(text) as CmrFeed;
    } catch (error) {
      throw new ProviderError(PROVIDER, `the search did not answer JSON (${text.slice(0, 120)})`, {
        cause: error,
        url: redactUrl(url),
      });
    }
    const hitsHeader = response.headers.get('cmr-hits');
    const hits =
      hitsHeader === null || !/^\d+$/.test(hitsHeader.trim()) ? undefined : Number(hitsHeader);
    return {
      entries: body.feed?.entry ?? [],
      hits,
      searchAfter: response.headers.get('cmr-search-after') ?? undefined,
    };
  }

  #scene(entry: CmrEntry, platformName: string): Scene {
    const scene = parseEntry(entry, platformName);
    return new Scene(
      scene,
      (found, options) =>
        new CmrDownloader(found, this.#access.forUrls(found.downloadLinks), options),
    );
  }
}

/** The CMR options of a query, type-checked. */
function cmrOptions(options: Record<string, unknown>): CmrQueryOptions {
  const text = (name: string): string | undefined => {
    const value = options[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '')
      throw new SearchParameterError(`CMR: ${name} must be a non-empty string`);
    return value.trim();
  };
  const names = options.readableGranuleName;
  if (
    names !== undefined &&
    !(
      typeof names === 'string' ||
      (Array.isArray(names) && names.length > 0 && names.every((name) => typeof name === 'string'))
    )
  ) {
    throw new SearchParameterError(
      'CMR: readableGranuleName must be a string or a list of strings',
    );
  }
  const sortKey = text('sortKey');
  if (sortKey !== undefined && !SORT_KEYS.has(sortKey)) {
    throw new SearchParameterError(
      `CMR: sortKey must be one of ${[...SORT_KEYS].join(', ')}, not "${sortKey}"`,
    );
  }
  const result: CmrQueryOptions = {};
  for (const name of ['shortName', 'version', 'collectionConceptId', 'provider'] as const) {
    const value = text(name);
    if (value !== undefined) result[name] = value;
  }
  if (names !== undefined) result.readableGranuleName = names as string | string[];
  if (sortKey !== undefined) result.sortKey = sortKey;
  return result;
}

/** Query parameters every collection of a search shares: time, space, cloud, names, order. */
async function commonParams(
  query: NormalizedQuery,
  options: CmrQueryOptions,
): Promise<[string, string][]> {
  const params: [string, string][] = [];
  if (query.startDate !== undefined || query.endDate !== undefined) {
    params.push([
      'temporal',
      `${query.startDate === undefined ? '' : isoSeconds(query.startDate)},${query.endDate === undefined ? '' : isoEnd(query.endDate)}`,
    ]);
  }
  const aoi = await query.aoi();
  if (aoi !== undefined) params.push(spatialParam(aoi));
  if (query.cloudMin !== undefined || query.cloudMax !== undefined) {
    params.push(['cloud_cover', `${query.cloudMin ?? ''},${query.cloudMax ?? ''}`]);
  }
  if (options.readableGranuleName !== undefined) {
    const names = [options.readableGranuleName].flat();
    for (const name of names) params.push(['readable_granule_name[]', name]);
    if (names.some((name) => /[*?]/.test(name)))
      params.push(['options[readable_granule_name][pattern]', 'true']);
  }
  params.push(['sort_key', options.sortKey ?? '-start_date']);
  return params;
}

/** `polygon=` (lon,lat pairs of the CCW exterior ring) for a Polygon, else `bounding_box=`. */
function spatialParam(aoi: Aoi): [string, string] {
  const geometry = aoi.geometry;
  if (geometry.type === 'Polygon' && geometry.coordinates[0]!.length <= MAX_POLYGON_VERTICES + 1) {
    // The AOI's rings are closed and their exteriors counter-clockwise (RFC 7946), as CMR wants.
    return ['polygon', geometry.coordinates[0]!.map(([lon, lat]) => `${lon},${lat}`).join(',')];
  }
  return ['bounding_box', aoi.bbox.join(',')];
}

/** ISO 8601 in UTC without milliseconds when they are zero (as CMR's examples write it). */
function isoSeconds(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

/** The end of the search: a date at midnight UTC includes its whole day. */
function isoEnd(date: Date): string {
  const midnight =
    date.getUTCHours() === 0 &&
    date.getUTCMinutes() === 0 &&
    date.getUTCSeconds() === 0 &&
    date.getUTCMilliseconds() === 0;
  return midnight ? `${date.toISOString().slice(0, 10)}T23:59:59Z` : isoSeconds(date);
}

// ---------------------------------------------------------------------------------------------
// Entries

/** A number CMR wrote as a string (or a number), or undefined. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** `"lat lon lat lon ..."` as lon/lat positions. */
function latLonPairs(text: string): Position[] {
  const values = text
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (
    values.length < 2 ||
    values.length % 2 !== 0 ||
    values.some((value) => !Number.isFinite(value))
  )
    return [];
  const positions: Position[] = [];
  for (let index = 0; index < values.length; index += 2)
    positions.push([values[index + 1]!, values[index]!]);
  return positions;
}

function signedArea(ring: Position[]): number {
  let sum = 0;
  for (let index = 0; index + 1 < ring.length; index++)
    sum += ring[index]![0]! * ring[index + 1]![1]! - ring[index + 1]![0]! * ring[index]![1]!;
  return sum / 2;
}

/** A closed ring wound as asked (counter-clockwise for exteriors, clockwise for holes). */
function ring(positions: Position[], counterClockwise: boolean): Position[] {
  const closed = [...positions];
  const first = closed[0]!;
  const last = closed[closed.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) closed.push([...first]);
  return signedArea(closed) > 0 === counterClockwise ? closed : closed.reverse();
}

/** The GeoJSON footprint of an entry (`polygons`, `boxes` or `points`), lon/lat; null when none. */
export function entryFootprint(entry: CmrEntry): Geometry | null {
  if (Array.isArray(entry.polygons) && entry.polygons.length > 0) {
    const polygons = entry.polygons
      .map((rings) =>
        (Array.isArray(rings) ? rings : [rings])
          .map((text) => latLonPairs(String(text)))
          .filter((positions) => positions.length >= 3),
      )
      .filter((rings) => rings.length > 0)
      .map((rings) => rings.map((positions, index) => ring(positions, index === 0)));
    if (polygons.length === 1) return { type: 'Polygon', coordinates: polygons[0]! };
    if (polygons.length > 1) return { type: 'MultiPolygon', coordinates: polygons };
  }
  if (Array.isArray(entry.boxes) && entry.boxes.length > 0) {
    const boxes: Position[][][] = [];
    for (const box of entry.boxes) {
      const values = String(box)
        .trim()
        .split(/[\s,]+/)
        .map(Number);
      if (values.length !== 4 || values.some((value) => !Number.isFinite(value))) continue;
      const [s, w, n, e] = values as [number, number, number, number];
      // A box whose west edge is east of its east edge crosses the antimeridian: two boxes.
      const spans: [number, number][] =
        w <= e
          ? [[w, e]]
          : [
              [w, 180],
              [-180, e],
            ];
      for (const [west, east] of spans) {
        boxes.push([
          [
            [west, s],
            [east, s],
            [east, n],
            [west, n],
            [west, s],
          ],
        ]);
      }
    }
    if (boxes.length === 1) return { type: 'Polygon', coordinates: boxes[0]! };
    if (boxes.length > 1) return { type: 'MultiPolygon', coordinates: boxes };
  }
  if (Array.isArray(entry.points) && entry.points.length > 0) {
    const points = entry.points.flatMap((text) => latLonPairs(String(text)));
    if (points.length === 1) return { type: 'Point', coordinates: points[0]! };
    if (points.length > 1) return { type: 'MultiPoint', coordinates: points };
  }
  return null;
}

/** Data links: rel ending in `/data#`, http(s), not inherited from the collection; no duplicates. */
export function entryDownloadLinks(entry: CmrEntry): string[] {
  const links = (entry.links ?? [])
    .filter((link) => typeof link.rel === 'string' && link.rel.endsWith('/data#'))
    .filter((link) => typeof link.href === 'string' && /^https?:\/\//i.test(link.href))
    .filter((link) => link.inherited !== true)
    .map((link) => link.href!);
  return [...new Set(links)];
}

/** The file name of a data link: the last part of its path. */
function linkFileName(href: string): string {
  const path = new URL(href).pathname;
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function parseEntry(entry: CmrEntry, platformName: string) {
  if (typeof entry !== 'object' || entry === null || typeof entry.id !== 'string') {
    throw new ProviderError(PROVIDER, 'the search returned an entry without an id');
  }
  const when = [entry.time_start, entry.time_end, entry.updated]
    .map((value) => (typeof value === 'string' ? new Date(value) : undefined))
    .find((date) => date !== undefined && !Number.isNaN(date.getTime()));
  if (when === undefined)
    throw new ProviderError(PROVIDER, `granule ${entry.id} has no time_start`);
  const downloadLinks = entryDownloadLinks(entry);
  const megabytes = numberOf(entry.granule_size);
  return {
    provider: PROVIDER,
    platformName,
    sceneId: entry.producer_granule_id ?? entry.title ?? entry.id,
    footprint: entryFootprint(entry),
    acqDate: when,
    cloudCoverPercentage: numberOf(entry.cloud_cover) ?? null,
    downloadLinks,
    filenames: downloadLinks.map(linkFileName),
    ...(megabytes === undefined ? {} : { size: Math.round(megabytes * 1024 * 1024) }),
    raw: entry,
  };
}

// ---------------------------------------------------------------------------------------------
// Earthdata Login and downloads

interface TokenResponse {
  access_token?: string;
  expiration_date?: string;
}

/**
 * Bearer tokens from `find_or_create_token` (or the token given). A token counts as expired from
 * the start (UTC) of its `expiration_date`, the day EDL gives; a token EDL hands back already
 * past that is used until a 401, since "find or create" returns the live token it has.
 */
class EdlTokenAuth implements AuthProvider {
  readonly #urs: HttpClient;
  readonly #ursUrl: string;
  readonly #basic: string | undefined;
  #token: { value: string; renewAfter: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(
    urs: HttpClient,
    ursUrl: string,
    basic: string | undefined,
    token: string | undefined,
  ) {
    this.#urs = urs;
    this.#ursUrl = ursUrl;
    this.#basic = basic;
    this.#token = token === undefined ? undefined : { value: token, renewAfter: Infinity };
  }

  async headers(signal?: AbortSignal): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.#current(signal)}` };
  }

  invalidate(): void {
    // A given token without credentials cannot be renewed: keep it, the 401 will surface.
    if (this.#basic !== undefined) this.#token = undefined;
  }

  async #current(signal: AbortSignal | undefined): Promise<string> {
    if (this.#token !== undefined && Date.now() < this.#token.renewAfter) return this.#token.value;
    if (this.#basic === undefined) return this.#token!.value;
    this.#pending ??= this.#request(signal).finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #request(signal: AbortSignal | undefined): Promise<string> {
    const url = `${this.#ursUrl}/api/users/find_or_create_token`;
    let body: TokenResponse;
    try {
      body = await this.#urs.json<TokenResponse>(url, {
        method: 'POST',
        headers: { authorization: this.#basic! },
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (error instanceof AuthenticationError) {
        throw new AuthenticationError(
          PROVIDER,
          'Earthdata Login refused the username and password',
          { cause: error },
        );
      }
      throw error;
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new ProviderError(PROVIDER, 'Earthdata Login answered without an access_token');
    }
    const expiry = usDate(body.expiration_date);
    // Already past the conservative expiry: the server still holds it live, so use it for a while.
    const renewAfter =
      expiry === undefined
        ? Date.now() + 3_600_000
        : expiry > Date.now()
          ? expiry
          : Date.now() + 600_000;
    this.#token = { value: body.access_token, renewAfter };
    return body.access_token;
  }
}

/** `MM/DD/YYYY` as the start of that day (UTC), in ms. */
function usDate(text: string | undefined): number | undefined {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text?.trim() ?? '');
  return match === null
    ? undefined
    : Date.UTC(Number(match[3]), Number(match[1]) - 1, Number(match[2]));
}

/** How a download reaches the files: a client, and what to do before and after a refusal. */
interface DownloadAccess {
  readonly client: HttpClient;
  /** Makes the client able to fetch these URLs (the cookie flow logs in once per host). */
  prepare(urls: string[], signal: AbortSignal | undefined): Promise<void>;
  /** After a refused download of `urls`: the access to try once more, or undefined for none. */
  retryAfterRefusal(urls: readonly string[]): DownloadAccess | undefined;
  /** The access to start a download of `urls` with. */
  forUrls(urls: readonly string[]): DownloadAccess;
}

class AnonymousAccess implements DownloadAccess {
  constructor(readonly client: HttpClient) {}
  async prepare(): Promise<void> {}
  retryAfterRefusal(): undefined {
    return undefined;
  }
  forUrls(): DownloadAccess {
    return this;
  }
}

/** Bearer token to the data hosts (never to the signed hosts they redirect to). */
class TokenAccess implements DownloadAccess {
  readonly client: HttpClient;
  readonly #cookie: (() => DownloadAccess) | undefined;
  #fallback: DownloadAccess | undefined;
  /** Data hosts that refused the token (some DAACs take no bearer tokens): cookies there. */
  readonly #refusingOrigins = new Set<string>();

  constructor(client: HttpClient, cookie: (() => DownloadAccess) | undefined) {
    this.client = client;
    this.#cookie = cookie;
  }

  async prepare(): Promise<void> {}

  retryAfterRefusal(urls: readonly string[]): DownloadAccess | undefined {
    if (this.#cookie === undefined) return undefined;
    for (const url of urls) this.#refusingOrigins.add(new URL(url).origin);
    return (this.#fallback ??= this.#cookie());
  }

  forUrls(urls: readonly string[]): DownloadAccess {
    const refusing = urls.some((url) => this.#refusingOrigins.has(new URL(url).origin));
    return refusing && this.#fallback !== undefined ? this.#fallback : this;
  }
}

/** The OAuth redirect flow: HTTP Basic to the URS host only, session cookies for the rest. */
class CookieAccess implements DownloadAccess {
  readonly client: HttpClient;
  readonly #ursOrigin: string;
  readonly #basic: string;
  /** Login per data host origin, shared by every download. */
  readonly #sessions = new Map<string, Promise<void>>();

  constructor(client: HttpClient, ursUrl: string, basic: string) {
    this.client = client;
    this.#ursOrigin = new URL(ursUrl).origin;
    this.#basic = basic;
  }

  async prepare(urls: string[], signal: AbortSignal | undefined): Promise<void> {
    const byOrigin = new Map(urls.map((url) => [new URL(url).origin, url]));
    await Promise.all(
      [...byOrigin].map(([origin, url]) => {
        let session = this.#sessions.get(origin);
        if (session === undefined) {
          session = this.#login(url, signal);
          this.#sessions.set(origin, session);
          session.catch(() => this.#sessions.delete(origin));
        }
        return session;
      }),
    );
  }

  retryAfterRefusal(): DownloadAccess {
    // The DAAC session may have expired: log in again on the next prepare.
    this.#sessions.clear();
    return this;
  }

  forUrls(): DownloadAccess {
    return this;
  }

  /**
   * Asks for the first byte of a data URL through the whole chain (data host → URS → data host
   * `/login` → data host → signed host), so the jar ends up with the DAAC's session cookie.
   */
  async #login(url: string, signal: AbortSignal | undefined): Promise<void> {
    const response = await this.client.fetch(url, {
      headers: { range: 'bytes=0-0' },
      redirectHeaders: (to) =>
        to.origin === this.#ursOrigin ? { authorization: this.#basic } : undefined,
      ...(signal === undefined ? {} : { signal }),
    });
    await response.body?.cancel();
    const at = response.url === '' ? undefined : new URL(response.url);
    if (response.status === 401 || response.status === 403) {
      const where =
        at?.origin === this.#ursOrigin
          ? 'Earthdata Login refused the username and password'
          : `${response.status} from ${redactUrl(response.url || url)}`;
      throw new AuthenticationError(PROVIDER, where);
    }
    if (response.status >= 400 && response.status !== 416) {
      throw new ProviderError(
        PROVIDER,
        `logging in to ${new URL(url).host} ended with ${response.status} at ${redactUrl(response.url || url)}`,
        {
          status: response.status,
          url: redactUrl(url),
        },
      );
    }
  }
}

/** Whether an error, or one of its causes, is an AuthenticationError. */
function refused(error: unknown): boolean {
  for (
    let current = error, depth = 0;
    current !== undefined && current !== null && depth < 8;
    depth++
  ) {
    if (current instanceof AuthenticationError) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

class CmrDownloader extends Downloader {
  /** DAACs and EDL throttle aggressive clients; four transfers already fill a typical link. */
  readonly maxConcurrent = 4;
  readonly #access: DownloadAccess;
  /** This is already the second try after a refusal. */
  readonly #retry: boolean;

  constructor(scene: Scene, access: DownloadAccess, options: DownloaderOptions, retry = false) {
    super(scene, access.client, options);
    this.#access = access;
    this.#retry = retry;
  }

  async activate(): Promise<boolean> {
    if (this.scene.downloadLinks.length === 0) {
      throw new NotActivatableError(this.sceneId, 'CMR lists no https data link for this granule');
    }
    return true;
  }

  protected async remoteFiles(signal?: AbortSignal): Promise<RemoteFile[]> {
    await this.activate();
    await this.#access.prepare(this.scene.downloadLinks, signal);
    return this.scene.downloadLinks.map((url, index) => ({
      url,
      filename: this.scene.filenames[index] ?? linkFileName(url),
      key: `${this.sceneId}-${index}`,
    }));
  }

  /**
   * Downloads; a refusal (401/403) is tried once more with the access's fallback: the cookie
   * flow after the token flow, a fresh login after an expired DAAC session. Partial files are
   * kept, so the second try resumes.
   */
  override async download(outdir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    try {
      return await super.download(outdir, { ...options, skipError: false });
    } catch (caught) {
      let error = caught as Error;
      if (refused(error) && !this.#retry) {
        const fallback = this.#access.retryAfterRefusal(this.scene.downloadLinks);
        if (fallback !== undefined) {
          const retry = new CmrDownloader(this.scene, fallback, this.options, true);
          retry.on('progress', (progress) => this.emit('progress', progress));
          return retry.download(outdir, options);
        }
      }
      if (refused(error) && this.#access instanceof AnonymousAccess) {
        error = new DownloadError(
          this.sceneId,
          'CMR downloads need Earthdata Login credentials (a token, or a username and password)',
          { cause: error },
        );
      }
      if (options.skipError === true && !(error instanceof DownloadCancelled)) {
        return new DownloadResult({ scene: this.scene, error });
      }
      throw error;
    }
  }
}
