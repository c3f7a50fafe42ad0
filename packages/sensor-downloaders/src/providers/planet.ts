// Planet Data API v1 (https://api.planet.com/data/v1): quick-search with a structured filter,
// paging through `_links._next`, and the asset activation state machine
// (inactive → activating → active) before a download from a signed `location`.
//
// Choices (see /work/shared/specs/sensors.md §4):
// - Auth is HTTP Basic with the API key as user and an empty password. The header is only sent
//   to the API's own origin: `_next` and `activate` links come from the server, and the signed
//   download `location` (another host) must never receive the key.
// - Platforms are kept small: 'PlanetScope' = item type PSScene, 'SkySat' = SkySatCollect.
//   Item types searched: the `itemTypes` option of `scenes()`, else those of the platforms the
//   query names, else the constructor's `itemTypes` (default ['PSScene']) — so a query without
//   a platform (as the aggregate search sends) does not ask for SkySat by surprise.
// - One asset type per scene (`assetType`, default 'ortho_analytic_4b'), saved as
//   `<itemId>_<assetType>.tif` (`.xml` for `*_xml` assets, `.txt` for `*_rpc`) rather than the
//   Content-Disposition name: a name known before the transfer lets a rerun skip a complete
//   file and matches `scene.filenames` from the search.
// - Cloud cover: Planet's `cloud_cover` is a 0–1 fraction; queries and scenes use percent.
// - Planet reports no total, so `SearchIterator.total` stays undefined.
// - maxConcurrent 8: Planet publishes no cap on parallel downloads from the signed host, only
//   API request rates (429 with Retry-After, retried by HttpClient); 8 transfers stay well
//   within them while using the bandwidth.
import type { Geometry } from 'geojson';
import { Downloader, type DownloaderOptions } from '../download.js';
import {
  AuthenticationError,
  DownloadError,
  NotActivatableError,
  ProviderError,
  redactUrl,
  SearchParameterError,
} from '../errors.js';
import { HttpClient, type RetryPolicy } from '../http/client.js';
import type { RemoteFile } from '../http/download.js';
import { Scene, type PageFetcher, type SceneQuery } from '../search.js';
import { SensorApi, type NormalizedQuery } from '../sensor-api.js';

const PROVIDER = 'Planet';

/** Canonical platform name → Planet item type. */
const PLATFORM_ITEM_TYPES: Record<string, string> = {
  PlanetScope: 'PSScene',
  SkySat: 'SkySatCollect',
};

const SORTS = /^(acquired|published) (asc|desc)$/;

/** A signed location this close to its expiry is fetched again before a transfer starts. */
const EXPIRY_MARGIN_MS = 60_000;

export interface PlanetOptions {
  apiKey: string;
  /** Data API base URL (default https://api.planet.com/data/v1). */
  apiUrl?: string;
  /** Item types searched when the query names no platform (default ['PSScene']). */
  itemTypes?: string[];
  /** Asset downloaded for each scene (default 'ortho_analytic_4b'). */
  assetType?: string;
  http?: { retry?: Partial<RetryPolicy>; timeoutMs?: number };
}

/** The options `Planet.scenes()` accepts besides the common ones. */
export interface PlanetSceneOptions {
  /** Item types to search (an array, or a comma-separated string as the CLI gives). */
  itemTypes?: string[] | string;
  /** Asset the scenes of this search download. */
  assetType?: string;
  /** `acquired|published` + `asc|desc` (default 'acquired desc'). */
  sort?: string;
}

interface PlanetFeature {
  id: string;
  geometry?: Geometry | null;
  _links?: { _self?: string; assets?: string };
  properties?: { acquired?: string; cloud_cover?: unknown; item_type?: string };
}

interface PlanetPage {
  _links?: { _next?: string };
  features?: PlanetFeature[];
}

interface PlanetAsset {
  _links?: { _self?: string; activate?: string };
  _permissions?: string[];
  status?: string;
  location?: string;
  expires_at?: string;
  md5_digest?: string | null;
  type?: string;
}

/** The requests to the Data API, with the key sent to the API origin only. */
class PlanetTransport {
  readonly client: HttpClient;
  readonly apiUrl: string;
  readonly #origin: string;
  readonly #authorization: string;

  constructor(apiKey: string, apiUrl: string, http: PlanetOptions['http']) {
    this.apiUrl = apiUrl.replace(/\/+$/, '');
    this.#origin = new URL(this.apiUrl).origin;
    this.#authorization = `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`;
    this.client = new HttpClient({
      provider: PROVIDER,
      ...(http?.retry === undefined ? {} : { retry: http.retry }),
      ...(http?.timeoutMs === undefined ? {} : { timeoutMs: http.timeoutMs }),
    });
  }

  /** The Authorization header, for URLs of the API host only. */
  headersFor(url: string): Record<string, string> {
    return new URL(url).origin === this.#origin ? { authorization: this.#authorization } : {};
  }

  /** A JSON answer; 401 is an AuthenticationError naming the key, other failures ProviderError. */
  async json<T>(url: string, options: { json?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    const { response, text } = await this.client.fetchText(url, {
      ...(options.json === undefined ? {} : { method: 'POST', json: options.json }),
      headers: { accept: 'application/json', ...this.headersFor(url) },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (response.status === 401) throw this.refused(url);
    if (!response.ok) throw this.client.statusError(response, text, url);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ProviderError(PROVIDER, `${redactUrl(url)} did not answer JSON`, {
        status: response.status,
        cause: error,
        url: redactUrl(url),
      });
    }
  }

  refused(url: string): AuthenticationError {
    return new AuthenticationError(
      PROVIDER,
      `the API key was refused (401 from ${redactUrl(url)}); check the Planet API key`,
    );
  }
}

/** The Planet Data API: PlanetScope and SkySat scenes, activated then downloaded. */
export class Planet extends SensorApi {
  readonly name = PROVIDER;
  protected readonly maxPageSize = 250;
  protected readonly defaultPageSize = 250;
  readonly #transport: PlanetTransport;
  readonly #itemTypes: string[];
  readonly #assetType: string;
  /** Normalized queries whose platforms the caller named (not the "all platforms" default). */
  readonly #namedPlatforms = new WeakSet<NormalizedQuery>();

  constructor(options: PlanetOptions) {
    super();
    if (typeof options?.apiKey !== 'string' || options.apiKey === '') {
      throw new AuthenticationError(PROVIDER, 'an API key is required');
    }
    this.#transport = new PlanetTransport(
      options.apiKey,
      options.apiUrl ?? 'https://api.planet.com/data/v1',
      options.http,
    );
    this.#itemTypes = options.itemTypes ?? ['PSScene'];
    if (this.#itemTypes.length === 0) throw new SearchParameterError('Planet itemTypes is empty');
    this.#assetType = options.assetType ?? 'ortho_analytic_4b';
  }

  static platformNames(): string[] {
    return Object.keys(PLATFORM_ITEM_TYPES);
  }

  supportedPlatformNames(): string[] {
    return Planet.platformNames();
  }

  protected override platformAliases(): Record<string, string> {
    return { psscene: 'PlanetScope', skysatcollect: 'SkySat' };
  }

  protected override normalize(query: SceneQuery): NormalizedQuery {
    const normalized = super.normalize(query);
    if ([query.platformName ?? []].flat().length > 0) this.#namedPlatforms.add(normalized);
    return normalized;
  }

  protected pageFetcher(query: NormalizedQuery): PageFetcher<unknown> {
    const { itemTypes, assetType, sort } = this.#searchOptions(query);
    const transport = this.#transport;
    let body: Promise<unknown> | undefined;
    return async (cursor, pageSize, signal) => {
      let page: PlanetPage;
      if (typeof cursor === 'string') {
        // `_next` is an opaque GET URL; the page size was fixed by the first request.
        page = await transport.json<PlanetPage>(cursor, signal === undefined ? {} : { signal });
      } else {
        body ??= this.#searchBody(query, itemTypes);
        const url = `${transport.apiUrl}/quick-search?_sort=${encodeURIComponent(sort)}&_page_size=${pageSize}`;
        page = await transport.json<PlanetPage>(url, {
          json: await body,
          ...(signal === undefined ? {} : { signal }),
        });
      }
      const scenes = (page.features ?? []).map((feature) =>
        this.#scene(feature, itemTypes[0]!, assetType),
      );
      const next = page._links?._next;
      return { scenes, next: typeof next === 'string' && next !== '' ? next : undefined };
    };
  }

  /** Item types, asset type and sort of a query; wrong values fail at `scenes()` time. */
  #searchOptions(query: NormalizedQuery): { itemTypes: string[]; assetType: string; sort: string } {
    const {
      itemTypes: rawTypes,
      assetType = this.#assetType,
      sort = 'acquired desc',
    } = query.options;
    let itemTypes: string[];
    if (rawTypes !== undefined) {
      const list = typeof rawTypes === 'string' ? rawTypes.split(',') : rawTypes;
      if (!Array.isArray(list) || list.some((type) => typeof type !== 'string')) {
        throw new SearchParameterError('Planet itemTypes must be a list of item type names');
      }
      itemTypes = list.map((type: string) => type.trim()).filter((type) => type !== '');
      if (itemTypes.length === 0) throw new SearchParameterError('Planet itemTypes is empty');
    } else if (this.#namedPlatforms.has(query)) {
      itemTypes = query.platformNames.map((name) => PLATFORM_ITEM_TYPES[name]!);
    } else {
      itemTypes = [...this.#itemTypes];
    }
    if (typeof assetType !== 'string' || assetType === '') {
      throw new SearchParameterError('Planet assetType must be an asset type name');
    }
    if (typeof sort !== 'string' || !SORTS.test(sort)) {
      throw new SearchParameterError(
        `Planet sort must be 'acquired' or 'published' then 'asc' or 'desc', not ${JSON.stringify(sort)}`,
      );
    }
    return { itemTypes: [...new Set(itemTypes)], assetType, sort };
  }

  /** The quick-search body: an AndFilter of the AOI, dates, cloud fraction and permission. */
  async #searchBody(query: NormalizedQuery, itemTypes: string[]): Promise<unknown> {
    const config: unknown[] = [];
    const aoi = await query.aoi();
    // Planet takes GeoJSON Polygon and MultiPolygon as they are.
    if (aoi !== undefined)
      config.push({ type: 'GeometryFilter', field_name: 'geometry', config: aoi.geometry });
    const dates: Record<string, string> = {};
    if (query.startDate !== undefined) dates.gte = isoSeconds(query.startDate);
    if (query.endDate !== undefined) dates.lte = isoSeconds(query.endDate);
    if (Object.keys(dates).length > 0)
      config.push({ type: 'DateRangeFilter', field_name: 'acquired', config: dates });
    const cloud: Record<string, number> = {};
    if (query.cloudMin !== undefined) cloud.gte = query.cloudMin / 100;
    if (query.cloudMax !== undefined) cloud.lte = query.cloudMax / 100;
    if (Object.keys(cloud).length > 0)
      config.push({ type: 'RangeFilter', field_name: 'cloud_cover', config: cloud });
    // Only items the key may download: anything else could never be activated.
    config.push({ type: 'PermissionFilter', config: ['assets:download'] });
    return { item_types: itemTypes, filter: { type: 'AndFilter', config } };
  }

  #scene(feature: PlanetFeature, fallbackItemType: string, assetType: string): Scene {
    const properties = feature.properties ?? {};
    const acqDate = new Date(properties.acquired ?? NaN);
    if (typeof feature.id !== 'string' || Number.isNaN(acqDate.getTime())) {
      throw new ProviderError(PROVIDER, 'a search result has no id or no acquired date');
    }
    const itemType = properties.item_type ?? fallbackItemType;
    const platformName =
      Object.keys(PLATFORM_ITEM_TYPES).find((name) => PLATFORM_ITEM_TYPES[name] === itemType) ??
      itemType;
    const cloud = properties.cloud_cover;
    const assetsUrl =
      feature._links?.assets ??
      `${this.#transport.apiUrl}/item-types/${encodeURIComponent(itemType)}/items/${encodeURIComponent(feature.id)}/assets/`;
    const transport = this.#transport;
    return new Scene(
      {
        provider: PROVIDER,
        platformName,
        sceneId: feature.id,
        footprint: feature.geometry ?? null,
        acqDate,
        // A 0–1 fraction; rounded so 0.15 gives 15, not 15.000000000000002.
        cloudCoverPercentage:
          typeof cloud === 'number' ? Math.round(cloud * 100 * 1e6) / 1e6 : null,
        downloadLinks: [assetsUrl],
        filenames: [assetFileName(feature.id, assetType)],
        raw: feature,
      },
      (scene, options) => new PlanetDownloader(scene, transport, options, assetsUrl, assetType),
    );
  }
}

/** `2019-05-11T00:00:00Z` (milliseconds only when there are some). */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

function assetFileName(itemId: string, assetType: string): string {
  const extension = assetType.endsWith('_xml') ? 'xml' : assetType.endsWith('_rpc') ? 'txt' : 'tif';
  return `${itemId}_${assetType}.${extension}`;
}

interface ActiveAsset {
  location: string;
  md5: string | undefined;
  /** Epoch ms, or undefined when Planet gave no expiry. */
  expiresAt: number | undefined;
}

/** Activates one asset of a Planet item, then downloads it from its signed location. */
export class PlanetDownloader extends Downloader {
  readonly maxConcurrent = 8;
  readonly assetType: string;
  readonly #transport: PlanetTransport;
  readonly #assetsUrl: string;
  #active: ActiveAsset | undefined;
  /** The asset's own URL, once known (a cheaper poll than the item's listing). */
  #self: string | undefined;

  constructor(
    scene: Scene,
    transport: PlanetTransport,
    options: DownloaderOptions,
    assetsUrl: string,
    assetType: string,
  ) {
    super(scene, transport.client, options);
    this.#transport = transport;
    this.#assetsUrl = assetsUrl;
    this.assetType = assetType;
  }

  /**
   * Polls the asset: active → true; activating → false; inactive → asks Planet to activate it
   * (GET `_links.activate`, as the official SDK does) and answers false. No such asset, or no
   * download permission → NotActivatableError.
   */
  async activate(signal?: AbortSignal): Promise<boolean> {
    if (this.#active !== undefined) return true;
    const asset = await this.#poll(signal);
    switch (asset.status) {
      case 'active':
        return this.#remember(asset);
      case 'activating':
        return false;
      case 'inactive':
        await this.#requestActivation(asset, signal);
        return false;
      default:
        throw new ProviderError(
          PROVIDER,
          `asset ${this.assetType} of ${this.sceneId} has an unknown status ${JSON.stringify(asset.status)}`,
        );
    }
  }

  protected async remoteFiles(signal?: AbortSignal): Promise<RemoteFile[]> {
    if (this.#active === undefined && !(await this.activate(signal))) {
      throw new DownloadError(
        this.sceneId,
        `Planet is still activating asset ${this.assetType}; call activate() until it answers true`,
        { code: 'SCENE_NOT_ACTIVE' },
      );
    }
    let active = this.#active!;
    if (active.expiresAt !== undefined && active.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) {
      // The signed location expired (or is about to): ask Planet for the asset again.
      this.#active = undefined;
      const asset = await this.#poll(signal);
      if (asset.status !== 'active' || !this.#remember(asset)) {
        throw new DownloadError(
          this.sceneId,
          `the download link of asset ${this.assetType} expired and Planet reports it ${String(asset.status)}; activate it again`,
          { code: 'SCENE_NOT_ACTIVE' },
        );
      }
      active = this.#active!;
    }
    return [
      {
        url: active.location,
        filename: assetFileName(this.sceneId, this.assetType),
        key: `${this.sceneId}_${this.assetType}`,
        ...(active.md5 === undefined ? {} : { md5: active.md5 }),
        // Signed URL on another host: the API key must not go there.
        auth: false,
      },
    ];
  }

  /** The asset's current description (one poll of Planet's state machine). */
  async #poll(signal?: AbortSignal): Promise<PlanetAsset> {
    const options = signal === undefined ? {} : { signal };
    let asset: PlanetAsset | undefined;
    if (this.#self !== undefined) {
      asset = await this.#transport.json<PlanetAsset>(this.#self, options);
    } else {
      const listing = await this.#transport.json<Record<string, PlanetAsset>>(
        this.#assetsUrl,
        options,
      );
      asset = listing[this.assetType];
      if (asset === undefined) {
        const available = Object.keys(listing).join(', ') || 'none';
        throw new NotActivatableError(
          this.sceneId,
          `Planet item has no ${this.assetType} asset (it has: ${available})`,
        );
      }
    }
    if (!(asset._permissions ?? []).includes('download')) {
      throw new NotActivatableError(
        this.sceneId,
        `the Planet API key has no download permission for asset ${this.assetType}`,
      );
    }
    this.#self = asset._links?._self ?? this.#self;
    return asset;
  }

  #remember(asset: PlanetAsset): boolean {
    if (typeof asset.location !== 'string' || asset.location === '') return false;
    const expiresAt = asset.expires_at === undefined ? NaN : Date.parse(asset.expires_at);
    this.#active = {
      location: asset.location,
      md5:
        typeof asset.md5_digest === 'string' && asset.md5_digest !== ''
          ? asset.md5_digest
          : undefined,
      expiresAt: Number.isNaN(expiresAt) ? undefined : expiresAt,
    };
    return true;
  }

  async #requestActivation(asset: PlanetAsset, signal?: AbortSignal): Promise<void> {
    const url = asset._links?.activate;
    if (url === undefined) {
      throw new NotActivatableError(
        this.sceneId,
        `Planet gives no activation link for asset ${this.assetType}`,
      );
    }
    const { response, text } = await this.#transport.client.fetchText(url, {
      method: 'GET',
      headers: this.#transport.headersFor(url),
      ...(signal === undefined ? {} : { signal }),
    });
    // 202: activation started; 204 (or 200): already under way or done.
    if (response.ok) return;
    if (response.status === 401) throw this.#transport.refused(url);
    if (response.status === 403) {
      throw new NotActivatableError(
        this.sceneId,
        `Planet refused to activate asset ${this.assetType} (403: ${planetMessage(text)})`,
      );
    }
    throw this.#transport.client.statusError(response, text, url);
  }
}

/** The `message` of a Planet error body, else its start. */
function planetMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  } catch {
    // Not JSON: fall through.
  }
  return text.replace(/\s+/g, ' ').slice(0, 200) || 'no reason given';
}
