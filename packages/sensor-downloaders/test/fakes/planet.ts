// A faithful local fake of the Planet Data API v1 and of its download host (signed asset
// locations), for the sensor-downloaders tests. It is a real HTTP server: test the provider
// through `fetch`, never by mocking our own code. See /work/shared/specs/sensors.md §0 and §4.
//
// ─── Servers ────────────────────────────────────────────────────────────────────────────────
//   const fake = await startPlanetFake({ count: 12 });
//   fake.url          `http://127.0.0.1:<port>`   (API host: the provider's base URL, in place of
//                                                  https://api.planet.com)
//   fake.downloadUrl  `http://127.0.0.1:<other>`  (download host, a SECOND server)
//   await fake.close()                             (closes both)
//
// ─── Auth ───────────────────────────────────────────────────────────────────────────────────
// Every API request needs `Authorization: Basic base64("<apiKey>:")` (the key as username, an
// EMPTY password) or `Authorization: api-key <apiKey>`; option `apiKey` (default
// 'PLAK-test-key'). Missing/wrong → 401 JSON {"message":…,"errors":[]} with
// `WWW-Authenticate: Basic realm="Planet"`. The download host needs no auth.
//
// ─── Rate limit ─────────────────────────────────────────────────────────────────────────────
// Knob `rateLimitEvery` (0 = off): while > 0, every Nth API request, counted from when it became
// > 0 (auth failures included, download host excluded), answers 429 with `Retry-After: 1` and
// {"message":"Too Many Requests","errors":[]} without doing anything.
//
// ─── Endpoints (all JSON) ───────────────────────────────────────────────────────────────────
// POST /data/v1/quick-search?_sort=acquired%20desc&_page_size=N
//      body {"item_types":["PSScene"], "filter": F}. `_sort` ∈ acquired|published × asc|desc
//      (default 'published desc'; anything else → 400); `_page_size` default 250, clamped to
//      1..250 (non-numeric → 400). item_types must be a non-empty array containing only known
//      item types (the fake's `itemType`, default PSScene) → else 400. Filters (F), recursively:
//        AndFilter/OrFilter {config:[F…]}, NotFilter {config:F},
//        GeometryFilter {field_name:'geometry', config: Polygon|MultiPolygon|Point} — bbox
//          intersection with the item footprint,
//        DateRangeFilter {field_name:'acquired'|'published', config{gte,gt,lte,lt} ISO 8601},
//        RangeFilter {field_name: a numeric property e.g. cloud_cover (0–1 FRACTION),
//          clear_percent, gsd…, config{gte,gt,lte,lt}},
//        StringInFilter {field_name:'id' or a string property, config:[…]},
//        PermissionFilter {config:['assets:download']} — items with a downloadable asset.
//      Unknown filter type or bad config → 400 {"field":{},"general":[{"message":…}]}.
//      → 200 {"type":"FeatureCollection","_links":{"_self","_first","_next"?},"features":[…]}.
//      The results are frozen at search time. `_next` is an opaque GET URL
//      `${url}/data/v1/searches/<searchId>/results?_page=<token>` and is ABSENT on the last
//      page (also when the last page is full). `_first`/`_self` have the same shape.
// GET  /data/v1/searches/<searchId>/results?_page=<token> → the next page (same shape);
//      unknown search/token → 404.
// GET  /data/v1/item-types/PSScene/items/<id> → the feature; unknown → 404.
// Feature: {type:'Feature', id (e.g. '20190513_155012_00_1061'), geometry (Polygon),
//      _links{_self:`${url}/data/v1/item-types/PSScene/items/<id>`, assets: same + '/assets/',
//      thumbnail: same + '/thumb'}, _permissions (['assets.<type>:download', …], [] for
//      `noDownloadPermission` items), assets [asset types], properties{acquired (ISO with
//      microseconds, Z), cloud_cover (0–1 fraction, 2 decimals), cloud_percent (0–100 int),
//      clear_percent, item_type, instrument 'PSB.SD', gsd 3.7, pixel_resolution 3, published,
//      updated, satellite_id, strip_id, provider 'planetscope', quality_category 'standard',
//      ground_control true, sun_azimuth, sun_elevation, view_angle, visible_percent}}.
// GET  /data/v1/item-types/PSScene/items/<id>/assets (trailing slash optional) → {"<type>":
//      ASSET, …} for the item's asset types (default ortho_analytic_4b, ortho_udm2,
//      ortho_visual). This COUNTS AS ONE POLL of every asset of the item.
// GET  /data/v1/assets/<b64>  (= ASSET._links._self; also reachable as
//      /data/v1/item-types/PSScene/items/<id>/assets/<type>) → ASSET; counts as a poll.
// GET|POST /data/v1/assets/<b64>/activate (= ASSET._links.activate; also
//      …/items/<id>/assets/<type>/activate) → 202 (empty) if it was inactive (status becomes
//      'activating', or 'active' straight away when activationPolls is 0), 204 if already
//      activating/active, 403 {"message":…} when the item lacks download permission.
// ASSET: {_links{_self, activate, type:`${url}/data/v1/asset-types/<type>`}, _permissions
//      (['download'] or []), md5_digest (null until active), status, type} plus, once active,
//      location (`${downloadUrl}/download/<b64>?token=<sig>`), expires_at (ISO, now +
//      `locationTtlMs`, default 1 h, set at activation-complete time) and md5_digest (the real
//      MD5 of the served file, or a WRONG one (md5 of 'wrong') while knob `wrongMd5` is true
//      at the poll).
// Activation state machine: after a 202, the first `activationPolls` polls (knob, default 2,
//      read at activation) report 'activating'; the next poll reports 'active'.
//
// ─── Download host ──────────────────────────────────────────────────────────────────────────
// GET|HEAD `${downloadUrl}/download/<b64>?token=<sig>` → the asset file (SyntheticFile of a few
// hundred KB), content-type image/tiff, `Content-Disposition: attachment; filename=
// "<id>_3B_AnalyticMS_SR.tif" | "<id>_3B_udm2.tif" | "<id>_3B_Visual.tif"`, Range + the http.ts
// faults (`downloadFaults`). Wrong/missing token or asset not active → 403; past expires_at →
// 403 "Request has expired". Any Authorization header sent there is recorded in
// `downloadAuthHeaders`.
//
// ─── Items ──────────────────────────────────────────────────────────────────────────────────
// `count` (default 12) deterministic items acquired at 15:50:12+index×37 s UTC on days spread
// evenly over [startDate, endDate] (defaults '2019-05-01' .. '2019-06-30'); footprints (~0.24° ×
// 0.1° quads) around the centre of `bbox` (default [-79.4, 43.8, -79.3, 43.9] =
// [west, south, east, north]) EXCEPT index % 4 === 3, which lies 2° east (no intersection);
// cloud_cover = ((index × 37 + 5) % 100) / 100. `items: Partial<PlanetItemInit>[]` overrides the
// item with the same index (and adds items beyond `count`).
//
// ─── Knobs (mutable) and recorded state ─────────────────────────────────────────────────────
// rateLimitEvery, activationPolls, wrongMd5, locationTtlMs, downloadFaults (see above);
// noDownloadPermission: Set<itemId>. activateForbidden: Set<itemId> (permission listed, activate 403). State: requests / downloadRequests (raw HTTP),
// items (PlanetFakeItem with per-asset status), activations ({itemId, assetType, method,
// status}[]), searches (Map), downloadAuthHeaders, authFailures (count of 401s),
// rateLimited (count of 429s).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  readBody,
  sendJson,
  sendText,
  serveFile,
  startFakeServer,
  SyntheticFile,
  type FakeServer,
  type FileFaults,
  type BBox,
  intersects,
} from './http.js';

/** [west, south, east, north] in degrees. */
export type Bbox = BBox;

export const PLANET_ASSET_TYPES = ['ortho_analytic_4b', 'ortho_udm2', 'ortho_visual'] as const;

const ASSET_FILENAME: Record<string, string> = {
  ortho_analytic_4b: '3B_AnalyticMS_SR.tif',
  ortho_udm2: '3B_udm2.tif',
  ortho_visual: '3B_Visual.tif',
};

export interface PlanetItemInit {
  id: string;
  /** ISO 8601 with microseconds, e.g. `2019-05-13T15:50:12.123456Z`. */
  acquired: string;
  published: string;
  /** 0–1 fraction. */
  cloudCover: number;
  /** Footprint ring as [lon, lat] pairs, closed. */
  footprint: [number, number][];
  satelliteId: string;
  assetTypes: string[];
  /** Size in bytes of the ortho_analytic_4b file (default 300 000 + index × 1000). */
  analyticSize: number;
}

export type AssetStatus = 'inactive' | 'activating' | 'active';

export interface PlanetFakeAsset {
  type: string;
  key: string;
  file: SyntheticFile;
  filename: string;
  status: AssetStatus;
  /** Polls left reporting 'activating'. */
  pollsLeft: number;
  expiresAt: number | undefined;
  signature: string | undefined;
}

export interface PlanetFakeItem extends PlanetItemInit {
  index: number;
  assets: Map<string, PlanetFakeAsset>;
}

export interface PlanetFakeOptions {
  apiKey?: string;
  itemType?: string;
  count?: number;
  startDate?: string;
  endDate?: string;
  bbox?: Bbox;
  items?: Partial<PlanetItemInit>[];
  activationPolls?: number;
  rateLimitEvery?: number;
  wrongMd5?: boolean;
  noDownloadPermission?: Iterable<string>;
  /** Items whose assets list the download permission but whose activation answers 403. */
  activateForbidden?: Iterable<string>;
  locationTtlMs?: number;
  downloadFaults?: FileFaults;
}

export interface PlanetSearch {
  id: string;
  itemIds: string[];
  pageSize: number;
  sort: string;
}

export interface PlanetFake {
  readonly url: string;
  readonly downloadUrl: string;
  readonly apiKey: string;
  readonly requests: FakeServer['requests'];
  readonly downloadRequests: FakeServer['requests'];
  readonly items: PlanetFakeItem[];
  readonly activations: { itemId: string; assetType: string; method: string; status: number }[];
  readonly searches: Map<string, PlanetSearch>;
  readonly downloadAuthHeaders: { url: string; value: string }[];
  authFailures: number;
  rateLimited: number;
  rateLimitEvery: number;
  activationPolls: number;
  wrongMd5: boolean;
  locationTtlMs: number;
  noDownloadPermission: Set<string>;
  activateForbidden: Set<string>;
  downloadFaults: FileFaults;
  /** The Basic auth header value for the configured key. */
  readonly authorization: string;
  close(): Promise<void>;
}

const DAY = 86_400_000;
const pad = (value: number, width: number) => String(value).padStart(width, '0');

function defaultItem(
  index: number,
  count: number,
  startDate: string,
  endDate: string,
  bbox: Bbox,
): PlanetItemInit {
  const start = Date.parse(`${startDate}T00:00:00Z`);
  const end = Date.parse(`${endDate}T00:00:00Z`);
  const days = Math.round((end - start) / DAY);
  const dayOffset = count > 1 ? Math.round((index * days) / (count - 1)) : 0;
  const ms = start + dayOffset * DAY + (15 * 3600 + 50 * 60 + 12 + index * 37) * 1000;
  const date = new Date(ms);
  const micro = pad((index * 123457) % 1_000_000, 6);
  const acquired = `${date.toISOString().slice(0, 19)}.${micro}Z`;
  const satelliteId = ['1061', '2262', '105d', '2419'][index % 4]!;
  const compact = date.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '_');
  const centerLon = (bbox[0] + bbox[2]) / 2 + ((index % 3) - 1) * 0.03 + (index % 4 === 3 ? 2 : 0);
  const centerLat = (bbox[1] + bbox[3]) / 2 + ((index % 5) - 2) * 0.01;
  const r = (value: number) => Math.round(value * 1e6) / 1e6;
  const footprint: [number, number][] = [
    [r(centerLon - 0.12), r(centerLat - 0.05 + 0.01)],
    [r(centerLon + 0.12 - 0.01), r(centerLat - 0.05)],
    [r(centerLon + 0.12), r(centerLat + 0.05 - 0.01)],
    [r(centerLon - 0.12 + 0.01), r(centerLat + 0.05)],
  ];
  footprint.push(footprint[0]!);
  return {
    id: `${compact}_${micro.slice(0, 2)}_${satelliteId}`,
    acquired,
    published: new Date(ms + 7200_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    cloudCover: ((index * 37 + 5) % 100) / 100,
    footprint,
    satelliteId,
    assetTypes: [...PLANET_ASSET_TYPES],
    analyticSize: 300_000 + index * 1000,
  };
}

function bboxOf(geometry: unknown): Bbox {
  const g = geometry as { type?: string; coordinates?: unknown } | null;
  if (g === null || typeof g !== 'object') throw new Error('geometry is not an object');
  const points: number[][] = [];
  if (g.type === 'Point') points.push(g.coordinates as number[]);
  else if (g.type === 'Polygon')
    for (const ring of g.coordinates as number[][][]) points.push(...ring);
  else if (g.type === 'MultiPolygon')
    for (const polygon of g.coordinates as number[][][][])
      for (const ring of polygon) points.push(...ring);
  else throw new Error(`unsupported geometry type ${String(g.type)}`);
  if (points.length === 0 || points.some((p) => !Number.isFinite(p[0]) || !Number.isFinite(p[1])))
    throw new Error('bad coordinates');
  const lons = points.map((p) => p[0]!);
  const lats = points.map((p) => p[1]!);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startPlanetFake(options: PlanetFakeOptions = {}): Promise<PlanetFake> {
  const apiKey = options.apiKey ?? 'PLAK-test-key';
  const itemType = options.itemType ?? 'PSScene';
  const bbox = options.bbox ?? [-79.4, 43.8, -79.3, 43.9];
  const count = options.count ?? 12;
  const total = Math.max(count, options.items?.length ?? 0);
  const items: PlanetFakeItem[] = [];
  for (let index = 0; index < total; index++) {
    const init: PlanetItemInit = {
      ...defaultItem(
        index,
        count,
        options.startDate ?? '2019-05-01',
        options.endDate ?? '2019-06-30',
        bbox,
      ),
      ...options.items?.[index],
    };
    const assets = new Map<string, PlanetFakeAsset>();
    init.assetTypes.forEach((type, n) => {
      const size =
        type === 'ortho_analytic_4b'
          ? init.analyticSize
          : type === 'ortho_udm2'
            ? 60_000 + index * 100
            : 200_000 + index * 500;
      assets.set(type, {
        type,
        key: Buffer.from(JSON.stringify({ i: init.id, c: itemType, t: type })).toString(
          'base64url',
        ),
        file: new SyntheticFile(size, 5000 + index * 10 + n),
        filename: `${init.id}_${ASSET_FILENAME[type] ?? `${type}.tif`}`,
        status: 'inactive',
        pollsLeft: 0,
        expiresAt: undefined,
        signature: undefined,
      });
    });
    items.push({ ...init, index, assets });
  }

  let rateCounter = 0;
  let searchCounter = 0;
  const authorization = `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`;

  const fake: PlanetFake = {
    url: '',
    downloadUrl: '',
    apiKey,
    requests: [],
    downloadRequests: [],
    items,
    activations: [],
    searches: new Map(),
    downloadAuthHeaders: [],
    authFailures: 0,
    rateLimited: 0,
    rateLimitEvery: options.rateLimitEvery ?? 0,
    activationPolls: options.activationPolls ?? 2,
    wrongMd5: options.wrongMd5 ?? false,
    locationTtlMs: options.locationTtlMs ?? 3600_000,
    noDownloadPermission: new Set(options.noDownloadPermission ?? []),
    activateForbidden: new Set(options.activateForbidden ?? []),
    downloadFaults: options.downloadFaults ?? {},
    authorization,
    close: async () => {
      await Promise.all([api.close(), downloadServer.close()]);
    },
  };

  const canDownload = (item: PlanetFakeItem) => !fake.noDownloadPermission.has(item.id);
  const itemUrl = (item: PlanetFakeItem) =>
    `${fake.url}/data/v1/item-types/${itemType}/items/${item.id}`;

  const feature = (item: PlanetFakeItem) => {
    const cloudPercent = Math.round(item.cloudCover * 100);
    return {
      type: 'Feature',
      id: item.id,
      geometry: { type: 'Polygon', coordinates: [item.footprint] },
      _links: {
        _self: itemUrl(item),
        assets: `${itemUrl(item)}/assets/`,
        thumbnail: `${itemUrl(item)}/thumb`,
      },
      _permissions: canDownload(item) ? item.assetTypes.map((t) => `assets.${t}:download`) : [],
      assets: [...item.assetTypes],
      properties: {
        acquired: item.acquired,
        anomalous_pixels: 0,
        clear_confidence_percent: 95,
        clear_percent: 100 - cloudPercent,
        cloud_cover: item.cloudCover,
        cloud_percent: cloudPercent,
        ground_control: true,
        gsd: 3.7,
        instrument: 'PSB.SD',
        item_type: itemType,
        pixel_resolution: 3,
        provider: 'planetscope',
        published: item.published,
        publishing_stage: 'finalized',
        quality_category: 'standard',
        satellite_azimuth: 100.5,
        satellite_id: item.satelliteId,
        strip_id: String(5321496 + item.index),
        sun_azimuth: 140 + item.index,
        sun_elevation: 55 - item.index / 2,
        updated: item.published,
        view_angle: 3.2,
        visible_confidence_percent: 80,
        visible_percent: 100,
      },
    };
  };

  const assetUrl = (asset: PlanetFakeAsset) => `${fake.url}/data/v1/assets/${asset.key}`;

  /** A poll: advances the state machine, then describes the asset. */
  const pollAsset = (item: PlanetFakeItem, asset: PlanetFakeAsset) => {
    if (asset.status === 'activating') {
      if (asset.pollsLeft > 0) asset.pollsLeft--;
      else {
        asset.status = 'active';
        asset.expiresAt = Date.now() + fake.locationTtlMs;
        asset.signature = createHash('sha256')
          .update(`${asset.key}:${asset.expiresAt}`)
          .digest('hex')
          .slice(0, 32);
      }
    }
    const described: Record<string, unknown> = {
      _links: {
        _self: assetUrl(asset),
        activate: `${assetUrl(asset)}/activate`,
        type: `${fake.url}/data/v1/asset-types/${asset.type}`,
      },
      _permissions: canDownload(item) ? ['download'] : [],
      md5_digest: null,
      status: asset.status,
      type: asset.type,
    };
    if (asset.status === 'active') {
      described.location = `${fake.downloadUrl}/download/${asset.key}?token=${asset.signature}`;
      described.expires_at = new Date(asset.expiresAt!).toISOString().replace(/\.\d{3}Z$/, 'Z');
      described.md5_digest = fake.wrongMd5
        ? createHash('md5').update('wrong').digest('hex')
        : asset.file.md5;
    }
    return described;
  };

  const findAssetByKey = (key: string) => {
    for (const item of items)
      for (const asset of item.assets.values()) if (asset.key === key) return { item, asset };
    return undefined;
  };

  const matches = (item: PlanetFakeItem, filter: unknown): boolean => {
    const f = filter as { type?: unknown; field_name?: unknown; config?: unknown } | null;
    if (f === null || typeof f !== 'object') throw new HttpError(400, 'filter must be an object');
    const config = f.config;
    const range = (
      value: number,
      bounds: Record<string, unknown>,
      parse: (v: unknown) => number,
    ) => {
      for (const key of Object.keys(bounds))
        if (!['gte', 'gt', 'lte', 'lt'].includes(key))
          throw new HttpError(400, `${String(f.type)}: unknown bound ${key}`);
      const at = (key: string) => (bounds[key] === undefined ? undefined : parse(bounds[key]));
      const gte = at('gte');
      const gt = at('gt');
      const lte = at('lte');
      const lt = at('lt');
      return (
        (gte === undefined || value >= gte) &&
        (gt === undefined || value > gt) &&
        (lte === undefined || value <= lte) &&
        (lt === undefined || value < lt)
      );
    };
    const properties = feature(item).properties as Record<string, unknown>;
    switch (f.type) {
      case 'AndFilter':
      case 'OrFilter': {
        if (!Array.isArray(config)) throw new HttpError(400, `${f.type} config must be an array`);
        const results = config.map((sub: unknown) => matches(item, sub));
        return f.type === 'AndFilter' ? results.every(Boolean) : results.some(Boolean);
      }
      case 'NotFilter':
        return !matches(item, config);
      case 'GeometryFilter': {
        if (f.field_name !== 'geometry')
          throw new HttpError(400, 'GeometryFilter field_name must be geometry');
        let area: Bbox;
        try {
          area = bboxOf(config);
        } catch (error) {
          throw new HttpError(400, `GeometryFilter: ${(error as Error).message}`);
        }
        return intersects(area, bboxOf({ type: 'Polygon', coordinates: [item.footprint] }));
      }
      case 'DateRangeFilter': {
        if (
          f.field_name !== 'acquired' &&
          f.field_name !== 'published' &&
          f.field_name !== 'updated'
        )
          throw new HttpError(400, `DateRangeFilter: unknown field ${String(f.field_name)}`);
        if (config === null || typeof config !== 'object')
          throw new HttpError(400, 'DateRangeFilter config');
        const parse = (v: unknown) => {
          const t = typeof v === 'string' ? Date.parse(v) : NaN;
          if (Number.isNaN(t)) throw new HttpError(400, `DateRangeFilter: bad date ${String(v)}`);
          return t;
        };
        return range(
          Date.parse(properties[f.field_name] as string),
          config as Record<string, unknown>,
          parse,
        );
      }
      case 'RangeFilter': {
        const value = properties[String(f.field_name)];
        if (typeof value !== 'number')
          throw new HttpError(400, `RangeFilter: unknown numeric field ${String(f.field_name)}`);
        if (config === null || typeof config !== 'object')
          throw new HttpError(400, 'RangeFilter config');
        const parse = (v: unknown) => {
          if (typeof v !== 'number')
            throw new HttpError(400, `RangeFilter: bound ${String(v)} is not a number`);
          return v;
        };
        return range(value, config as Record<string, unknown>, parse);
      }
      case 'StringInFilter': {
        if (!Array.isArray(config))
          throw new HttpError(400, 'StringInFilter config must be an array');
        const value = f.field_name === 'id' ? item.id : properties[String(f.field_name)];
        return config.includes(value);
      }
      case 'PermissionFilter': {
        if (!Array.isArray(config))
          throw new HttpError(400, 'PermissionFilter config must be an array');
        return config.every((permission) => permission !== 'assets:download' || canDownload(item));
      }
      default:
        throw new HttpError(400, `Unknown filter type ${String(f.type)}`);
    }
  };

  const pageUrl = (search: PlanetSearch, offset: number) =>
    `${fake.url}/data/v1/searches/${search.id}/results?_page=${Buffer.from(`${search.id}:${offset}`).toString('base64url')}`;

  const sendPage = (res: ServerResponse, search: PlanetSearch, offset: number) => {
    const ids = search.itemIds.slice(offset, offset + search.pageSize);
    const links: Record<string, string> = {
      _self: pageUrl(search, offset),
      _first: pageUrl(search, 0),
    };
    if (offset + search.pageSize < search.itemIds.length)
      links._next = pageUrl(search, offset + search.pageSize);
    sendJson(res, 200, {
      type: 'FeatureCollection',
      _links: links,
      features: ids.map((id) => feature(items.find((item) => item.id === id)!)),
    });
  };

  const quickSearch = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const sort = url.searchParams.get('_sort') ?? 'published desc';
    const sortMatch = /^(acquired|published) (asc|desc)$/.exec(sort);
    if (sortMatch === null) throw new HttpError(400, `Invalid _sort: ${sort}`);
    const sizeParam = url.searchParams.get('_page_size');
    let pageSize = 250;
    if (sizeParam !== null) {
      if (!/^\d+$/.test(sizeParam)) throw new HttpError(400, `Invalid _page_size: ${sizeParam}`);
      pageSize = Math.min(250, Math.max(1, Number(sizeParam)));
    }
    let body: { item_types?: unknown; filter?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      throw new HttpError(400, 'Request body is not valid JSON');
    }
    if (
      !Array.isArray(body.item_types) ||
      body.item_types.length === 0 ||
      body.item_types.some((type) => type !== itemType)
    )
      throw new HttpError(400, `item_types must list known item types (${itemType})`);
    if (body.filter === undefined) throw new HttpError(400, 'filter is required');
    const found = items.filter((item) => matches(item, body.filter));
    const field = sortMatch[1] as 'acquired' | 'published';
    const direction = sortMatch[2] === 'asc' ? 1 : -1;
    found.sort((a, b) =>
      a[field] === b[field]
        ? a.id.localeCompare(b.id)
        : a[field] < b[field]
          ? -direction
          : direction,
    );
    const search: PlanetSearch = {
      id: createHash('md5').update(`search:${++searchCounter}`).digest('hex'),
      itemIds: found.map((item) => item.id),
      pageSize,
      sort,
    };
    fake.searches.set(search.id, search);
    sendPage(res, search, 0);
  };

  const activate = (
    res: ServerResponse,
    item: PlanetFakeItem,
    asset: PlanetFakeAsset,
    method: string,
  ) => {
    let status: number;
    if (!canDownload(item) || fake.activateForbidden.has(item.id)) status = 403;
    else if (asset.status === 'inactive') {
      status = 202;
      asset.status = 'activating';
      asset.pollsLeft = fake.activationPolls;
      if (fake.activationPolls === 0) pollAsset(item, asset);
    } else status = 204;
    fake.activations.push({ itemId: item.id, assetType: asset.type, method, status });
    if (status === 403) {
      sendJson(res, 403, {
        message: 'You do not have download permission for this asset',
        errors: [],
      });
      return;
    }
    res.writeHead(status, status === 202 ? { 'content-length': '0' } : {});
    res.end();
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    try {
      if (fake.rateLimitEvery > 0 && ++rateCounter % fake.rateLimitEvery === 0) {
        fake.rateLimited++;
        sendJson(res, 429, { message: 'Too Many Requests', errors: [] }, { 'retry-after': '1' });
        return;
      }
      const header = req.headers.authorization ?? '';
      if (header !== authorization && header !== `api-key ${apiKey}`) {
        fake.authFailures++;
        sendJson(
          res,
          401,
          { message: 'Please enter your API key, or email and password.', errors: [] },
          { 'www-authenticate': 'Basic realm="Planet"' },
        );
        return;
      }
      const path = url.pathname;
      const method = req.method ?? 'GET';
      if (path === '/data/v1/quick-search') {
        if (method !== 'POST') throw new HttpError(405, 'Method not allowed');
        await quickSearch(req, res, url);
        return;
      }
      let match = /^\/data\/v1\/searches\/([0-9a-f]+)\/results\/?$/.exec(path);
      if (match !== null && method === 'GET') {
        const search = fake.searches.get(match[1]!);
        const token = url.searchParams.get('_page');
        const decoded =
          token === null ? `${match[1]}:0` : Buffer.from(token, 'base64url').toString('utf8');
        const [id, offsetText] = decoded.split(':');
        const offset = Number(offsetText);
        if (search === undefined || id !== search.id || !Number.isInteger(offset) || offset < 0)
          throw new HttpError(404, 'Search or page not found');
        sendPage(res, search, offset);
        return;
      }
      const itemPrefix = `/data/v1/item-types/${itemType}/items/`;
      let target: { item: PlanetFakeItem; asset: PlanetFakeAsset } | undefined;
      let action: string | undefined;
      match = /^\/data\/v1\/assets\/([A-Za-z0-9_-]+)(\/activate)?\/?$/.exec(path);
      if (match !== null) {
        target = findAssetByKey(match[1]!);
        if (target === undefined) throw new HttpError(404, 'Asset not found');
        action = match[2];
      } else if (path.startsWith(itemPrefix)) {
        const parts = path
          .slice(itemPrefix.length)
          .split('/')
          .filter((p) => p !== '');
        const item = items.find((candidate) => candidate.id === parts[0]);
        if (item === undefined) throw new HttpError(404, `Item ${parts[0]} not found`);
        if (parts.length === 1 && method === 'GET') {
          sendJson(res, 200, feature(item));
          return;
        }
        if (parts[1] === 'assets' && parts.length === 2 && method === 'GET') {
          const listing: Record<string, unknown> = {};
          for (const asset of item.assets.values()) listing[asset.type] = pollAsset(item, asset);
          sendJson(res, 200, listing);
          return;
        }
        if (
          parts[1] === 'assets' &&
          (parts.length === 3 || (parts.length === 4 && parts[3] === 'activate'))
        ) {
          const asset = item.assets.get(parts[2]!);
          if (asset === undefined) throw new HttpError(404, `Asset ${parts[2]} not found`);
          target = { item, asset };
          action = parts[3] === undefined ? undefined : `/${parts[3]}`;
        }
      }
      if (target !== undefined) {
        if (action === '/activate' && (method === 'GET' || method === 'POST')) {
          activate(res, target.item, target.asset, method);
          return;
        }
        if (action === undefined && method === 'GET') {
          sendJson(res, 200, pollAsset(target.item, target.asset));
          return;
        }
        throw new HttpError(405, 'Method not allowed');
      }
      throw new HttpError(404, `Not found: ${path}`);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      const message = error.message;
      sendJson(
        res,
        error.status,
        error.status === 400 ? { field: {}, general: [{ message }] } : { message, errors: [] },
      );
    }
  };

  const api = await startFakeServer(handleApi);
  const downloadServer = await startFakeServer(async (req, res, url) => {
    const auth = req.headers.authorization;
    if (typeof auth === 'string')
      fake.downloadAuthHeaders.push({ url: req.url ?? '', value: auth });
    const match = /^\/download\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || match === null) {
      sendText(res, 404, 'Not Found');
      return;
    }
    const target = findAssetByKey(match[1]!);
    if (
      target === undefined ||
      target.asset.status !== 'active' ||
      url.searchParams.get('token') !== target.asset.signature
    ) {
      sendText(res, 403, 'Invalid signature');
      return;
    }
    if (Date.now() > target.asset.expiresAt!) {
      sendText(res, 403, 'Request has expired');
      return;
    }
    await serveFile(req, res, target.asset.file, {
      filename: target.asset.filename,
      contentType: 'image/tiff',
      faults: fake.downloadFaults,
    });
  });
  const writable = fake as { -readonly [K in keyof PlanetFake]: PlanetFake[K] };
  writable.url = api.url;
  writable.downloadUrl = downloadServer.url;
  writable.requests = api.requests;
  writable.downloadRequests = downloadServer.requests;
  return fake;
}
