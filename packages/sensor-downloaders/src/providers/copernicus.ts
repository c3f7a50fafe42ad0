/**
 * Copernicus Data Space Ecosystem (CDSE): Sentinel-1/2/3/5P through the OData catalogue, with
 * Keycloak tokens for downloads. Wire formats: /work/shared/specs/sensors.md §2.
 *
 * Choices, and why:
 * - Searches are anonymous: the CDSE catalogue is public, so a search opens no Keycloak session.
 *   Only downloads (and `activate`, which checks the credentials) log in.
 * - One password grant per instance; after it, access tokens are renewed with the refresh token
 *   (CDSE caps a user at 100 sessions and every password grant opens one). A new password grant
 *   happens only when the refresh token is expired or refused. Concurrent requests share one
 *   token request.
 * - The AOI goes into `OData.CSC.Intersects` as a POLYGON; CDSE does not accept MULTIPOLYGON, so
 *   a MultiPolygon AOI is searched with its bounding-box polygon (which may return scenes that
 *   touch the box but none of the parts).
 * - Cloud filters exist only for platforms with a cloudCover attribute (Sentinel-2, Sentinel-3);
 *   Sentinel-1 and Sentinel-5P scenes are not filtered by cloud, even when they are searched
 *   together with the others.
 * - An `endDate` at exactly 00:00:00 UTC includes that whole day (`lt` the next midnight), as in
 *   the seed's "May 11-21" example; any other instant is inclusive (`le`).
 * - `$skip` may not exceed 10000: a search that needs a page beyond it stops with a
 *   ProviderError (code SKIP_LIMIT) after the scenes it could page, asking to narrow the search
 *   (for instance to split it by date).
 * - `sceneId` is the product Name without its `.SAFE`/`.SEN3` container suffix (the old SciHub
 *   "title"); the `raw` record keeps `Id` and `Name`. The file is `<Name>.zip`.
 * - Offline products cannot be ordered through OData (only in the Data Workspace), so `activate`
 *   throws NotActivatableError for them.
 */
import type { Geometry } from 'geojson';
import wkx from 'wkx';
import type { Aoi } from '../aoi.js';
import {
  Downloader,
  type DownloadOptions,
  type DownloaderOptions,
  type DownloadResult,
} from '../download.js';
import {
  AuthenticationError,
  DownloadCancelled,
  NotActivatableError,
  ProviderError,
  redactUrl,
  SearchParameterError,
} from '../errors.js';
import { HttpClient, type AuthProvider, type RetryPolicy } from '../http/client.js';
import type { RemoteFile } from '../http/download.js';
import { Scene, type PageFetcher } from '../search.js';
import { SensorApi, type NormalizedQuery } from '../sensor-api.js';

export interface CopernicusOptions {
  username: string;
  password: string;
  /** One-time code for accounts with two-factor authentication. */
  totp?: string;
  /** Default https://catalogue.dataspace.copernicus.eu */
  catalogueUrl?: string;
  /** Keycloak server, default https://identity.dataspace.copernicus.eu */
  identityUrl?: string;
  /**
   * Hosts (`URL.host`, port included when not the default) the Authorization header may follow
   * a redirect to. Default: the catalogue's and the identity server's host names (any port: a
   * mirror serving downloads on another port of the same machine) and any host ending in
   * `.dataspace.copernicus.eu` (the download host is `zipper.dataspace.copernicus.eu`).
   */
  trustedHosts?: (host: string) => boolean;
  http?: { retry?: Partial<RetryPolicy>; timeoutMs?: number };
  /**
   * The clock token lifetimes are counted on, in ms (default `Date.now`): tests pass their
   * own, shared with the fake server, to expire tokens without waiting.
   */
  now?: () => number;
}

/** One OData product, as the catalogue returns it (the fields read here). */
export interface CopernicusProduct {
  Id: string;
  Name: string;
  ContentLength?: number;
  Online?: boolean;
  Checksum?: { Value: string; Algorithm: string }[];
  ContentDate?: { Start: string; End?: string };
  Footprint?: string;
  GeoFootprint?: Geometry;
  Attributes?: { Name: string; Value: unknown; ValueType?: string }[];
  [field: string]: unknown;
}

interface ProductsPage {
  value?: CopernicusProduct[];
  '@odata.count'?: number;
  '@odata.nextLink'?: string;
}

interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  refresh_expires_in?: number;
}

const PROVIDER = 'Copernicus';
const PLATFORMS = ['Sentinel-1', 'Sentinel-2', 'Sentinel-3', 'Sentinel-5P'];
/** Platforms whose products carry a cloudCover attribute. */
const CLOUDY = new Set(['Sentinel-2', 'Sentinel-3']);
const MAX_SKIP = 10_000;
/** The documented per-user limit of concurrent download connections. */
const MAX_CONNECTIONS = 4;
const ORDER_BY =
  /^(ContentDate\/Start|ContentDate\/End|PublicationDate|ModificationDate)( (asc|desc))?$/;

const collectionOf = (platform: string) => platform.toUpperCase();

/** The product identifier: the Name without the container suffix. */
export function copernicusSceneId(name: string): string {
  return name.replace(/\.(SAFE|SEN3)$/i, '');
}

/** An OData string literal (single quotes doubled). */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Keycloak tokens of one user: one password grant, then refresh grants. */
class KeycloakSession implements AuthProvider {
  readonly #tokenUrl: string;
  readonly #logoutUrl: string;
  readonly #credentials: { username: string; password: string; totp?: string };
  #client: HttpClient | undefined;
  #access: string | undefined;
  #accessRenewAt = 0;
  #refresh: string | undefined;
  #refreshExpiresAt = 0;
  #pending: Promise<string> | undefined;
  readonly #now: () => number;

  constructor(
    identityUrl: string,
    credentials: { username: string; password: string; totp?: string },
    now: () => number,
  ) {
    this.#now = now;
    const base = `${identityUrl.replace(/\/+$/, '')}/auth/realms/CDSE/protocol/openid-connect`;
    this.#tokenUrl = `${base}/token`;
    this.#logoutUrl = `${base}/logout`;
    this.#credentials = credentials;
  }

  /** The client token requests go through (set once; requests to Keycloak never carry auth). */
  bind(client: HttpClient): void {
    this.#client = client;
  }

  async headers(signal?: AbortSignal): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.token(signal)}` };
  }

  invalidate(): void {
    // The refresh token stays: a 401 means the access token died early, not the session.
    this.#accessRenewAt = 0;
  }

  /** A live access token; requests made meanwhile share the one token request. */
  async token(signal?: AbortSignal): Promise<string> {
    if (this.#access !== undefined && this.#now() < this.#accessRenewAt) return this.#access;
    // The shared request runs without any caller's signal, so one caller cancelling does not
    // fail the others; each caller stops waiting on its own signal.
    this.#pending ??= this.#renew().finally(() => (this.#pending = undefined));
    if (signal === undefined) return this.#pending;
    if (signal.aborted) throw new DownloadCancelled(undefined, { cause: signal.reason });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new DownloadCancelled(undefined, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.#pending, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  async #renew(): Promise<string> {
    if (this.#refresh !== undefined && this.#now() < this.#refreshExpiresAt) {
      const refreshed = await this.#grant({
        grant_type: 'refresh_token',
        refresh_token: this.#refresh,
      });
      if (refreshed !== undefined) return refreshed;
      // The server no longer knows the session (expired, logged out elsewhere): log in again.
    }
    const { username, password, totp } = this.#credentials;
    const token = await this.#grant({
      grant_type: 'password',
      username,
      password,
      ...(totp === undefined ? {} : { totp }),
    });
    // #grant only answers undefined for a refused refresh token.
    return token!;
  }

  /** Access token of a grant; undefined when a refresh grant is refused as invalid_grant. */
  async #grant(form: Record<string, string>): Promise<string | undefined> {
    const { response, text } = await this.#http().fetchText(this.#tokenUrl, {
      form: { ...form, client_id: 'cdse-public' },
      auth: false,
    });
    let body: Partial<TokenResponse> & { error?: string; error_description?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Reported below with the status.
    }
    if (!response.ok || typeof body.access_token !== 'string') {
      const reason =
        body.error_description ?? body.error ?? `${response.status} ${text.slice(0, 120)}`;
      if (
        form.grant_type === 'refresh_token' &&
        (body.error === 'invalid_grant' || response.status === 400)
      ) {
        this.#refresh = undefined;
        return undefined;
      }
      if (response.status === 400 || response.status === 401 || response.status === 403) {
        throw new AuthenticationError(PROVIDER, `login refused: ${reason}`);
      }
      throw new ProviderError(PROVIDER, `token request failed: ${reason}`, {
        status: response.status,
        ...(body.error === undefined ? {} : { providerCode: body.error }),
      });
    }
    const now = this.#now();
    const accessSeconds = Number(body.expires_in ?? 600);
    // Renew 60 s before expiry, or at 80 % of a short lifetime.
    this.#accessRenewAt = now + 1000 * (accessSeconds - Math.min(60, accessSeconds * 0.2));
    this.#access = body.access_token;
    if (typeof body.refresh_token === 'string') {
      const refreshSeconds = Number(body.refresh_expires_in ?? 0);
      this.#refresh = body.refresh_token;
      // Keycloak says 0 for tokens that do not expire; keep a small margin for clock skew.
      this.#refreshExpiresAt =
        refreshSeconds > 0
          ? now + 1000 * (refreshSeconds - Math.min(10, refreshSeconds * 0.1))
          : Infinity;
    }
    return body.access_token;
  }

  /** Ends the Keycloak session (best effort: it expires on its own anyway). */
  async logout(): Promise<void> {
    const refresh = this.#refresh;
    this.#access = undefined;
    this.#refresh = undefined;
    this.#accessRenewAt = 0;
    this.#refreshExpiresAt = 0;
    if (refresh === undefined) return;
    try {
      const response = await this.#http().fetch(this.#logoutUrl, {
        form: { client_id: 'cdse-public', refresh_token: refresh },
        auth: false,
        retry: false,
      });
      await response.body?.cancel();
    } catch {
      // The session ends by itself when the refresh token expires.
    }
  }

  #http(): HttpClient {
    if (this.#client === undefined) throw new Error('KeycloakSession used before bind()');
    return this.#client;
  }
}

/** A counting semaphore: the provider's connection limit, shared by all its downloaders. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#free++;
    }
  }
}

/** Search and download of Sentinel products from the Copernicus Data Space Ecosystem. */
export class Copernicus extends SensorApi {
  readonly name = PROVIDER;
  protected readonly maxPageSize = 1000;
  protected readonly defaultPageSize = 100;
  readonly catalogueUrl: string;
  readonly identityUrl: string;
  readonly #client: HttpClient;
  readonly #session: KeycloakSession;
  readonly #connections = new Slots(MAX_CONNECTIONS);

  constructor(options: CopernicusOptions) {
    super();
    if (
      typeof options?.username !== 'string' ||
      options.username === '' ||
      typeof options.password !== 'string' ||
      options.password === ''
    ) {
      throw new AuthenticationError(PROVIDER, 'a username and a password are required');
    }
    this.catalogueUrl = (
      options.catalogueUrl ?? 'https://catalogue.dataspace.copernicus.eu'
    ).replace(/\/+$/, '');
    this.identityUrl = (options.identityUrl ?? 'https://identity.dataspace.copernicus.eu').replace(
      /\/+$/,
      '',
    );
    const catalogueHost = new URL(this.catalogueUrl).hostname;
    const identityHost = new URL(this.identityUrl).hostname;
    const trusted =
      options.trustedHosts ??
      ((host: string) => {
        const hostname = new URL(`https://${host}`).hostname;
        return (
          hostname === catalogueHost ||
          hostname === identityHost ||
          hostname.endsWith('.dataspace.copernicus.eu')
        );
      });
    this.#session = new KeycloakSession(
      this.identityUrl,
      {
        username: options.username,
        password: options.password,
        ...(options.totp === undefined ? {} : { totp: options.totp }),
      },
      options.now ?? Date.now,
    );
    this.#client = new HttpClient({
      provider: PROVIDER,
      auth: this.#session,
      // The catalogue redirects $value to the download host, which needs the token too
      // (`curl --location-trusted`); never to another host, and never from https to http.
      keepAuthorization: (from, to) =>
        trusted(to.host) && !(from.protocol === 'https:' && to.protocol !== 'https:'),
      ...(options.http?.retry === undefined ? {} : { retry: options.http.retry }),
      ...(options.http?.timeoutMs === undefined ? {} : { timeoutMs: options.http.timeoutMs }),
    });
    this.#session.bind(this.#client);
  }

  static platformNames(): string[] {
    return [...PLATFORMS];
  }

  supportedPlatformNames(): string[] {
    return Copernicus.platformNames();
  }

  protected override platformAliases(): Record<string, string> {
    return {
      s1: 'Sentinel-1',
      s2: 'Sentinel-2',
      s3: 'Sentinel-3',
      s5p: 'Sentinel-5P',
      sentinel1: 'Sentinel-1',
      sentinel2: 'Sentinel-2',
      sentinel3: 'Sentinel-3',
      sentinel5p: 'Sentinel-5P',
      'sentinel 1': 'Sentinel-1',
      'sentinel 2': 'Sentinel-2',
      'sentinel 3': 'Sentinel-3',
      'sentinel 5p': 'Sentinel-5P',
    };
  }

  /** Logs in (or renews the token) now; throws AuthenticationError for refused credentials. */
  async login(signal?: AbortSignal): Promise<void> {
    await this.#session.token(signal);
  }

  /** Ends the Keycloak session. A later download logs in again. */
  override async close(): Promise<void> {
    await this.#session.logout();
  }

  /** The OData `$filter` of a query, clauses in the order of the CDSE documentation. */
  async #filter(query: NormalizedQuery): Promise<string> {
    const options = query.options;
    const clauses: string[] = [];
    const cloud: string[] = [];
    if (query.cloudMax !== undefined) cloud.push(cloudClause('le', query.cloudMax));
    if (query.cloudMin !== undefined) cloud.push(cloudClause('ge', query.cloudMin));
    const platforms = query.platformNames;
    if (platforms.length === 1) {
      clauses.push(`Collection/Name eq ${literal(collectionOf(platforms[0]!))}`);
    } else {
      const parts = platforms.map((platform) => {
        const collection = `Collection/Name eq ${literal(collectionOf(platform))}`;
        return CLOUDY.has(platform) && cloud.length > 0
          ? `(${[collection, ...cloud].join(' and ')})`
          : collection;
      });
      clauses.push(`(${parts.join(' or ')})`);
    }
    const aoi = await query.aoi();
    if (aoi !== undefined)
      clauses.push(`OData.CSC.Intersects(area=geography'SRID=4326;${polygonWkt(aoi)}')`);
    if (query.startDate !== undefined)
      clauses.push(`ContentDate/Start ge ${query.startDate.toISOString()}`);
    if (query.endDate !== undefined) {
      const end = query.endDate;
      const midnight = end.getTime() % 86_400_000 === 0;
      clauses.push(
        midnight
          ? `ContentDate/Start lt ${new Date(end.getTime() + 86_400_000).toISOString()}`
          : `ContentDate/Start le ${end.toISOString()}`,
      );
    }
    if (platforms.length === 1 && CLOUDY.has(platforms[0]!)) clauses.push(...cloud);
    const productTypes = stringList(options.productType, 'productType');
    if (productTypes.length > 0) {
      const parts = productTypes.map(
        (type) =>
          `Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and att/OData.CSC.StringAttribute/Value eq ${literal(type)})`,
      );
      clauses.push(parts.length === 1 ? parts[0]! : `(${parts.join(' or ')})`);
    }
    return clauses.join(' and ');
  }

  protected pageFetcher(query: NormalizedQuery): PageFetcher<unknown> {
    // Options of other providers are ignored, as every provider does: an aggregate search hands
    // the same query to all of them.
    const orderBy = query.options.orderBy ?? 'ContentDate/Start asc';
    if (typeof orderBy !== 'string' || !ORDER_BY.test(orderBy.trim().replace(/\s+/g, ' '))) {
      throw new SearchParameterError(
        `orderBy must be ContentDate/Start, ContentDate/End, PublicationDate or ModificationDate, then asc or desc; not ${String(orderBy)}`,
      );
    }
    // Checked now, so a wrong productType fails at scenes() rather than on the first page.
    stringList(query.options.productType, 'productType');
    const platforms = query.platformNames;
    return async (cursor, pageSize, signal) => {
      let url: string;
      if (typeof cursor === 'string') {
        url = cursor;
        const skip = Number(new URL(url).searchParams.get('$skip') ?? 0);
        if (skip > MAX_SKIP) {
          throw new ProviderError(
            PROVIDER,
            `the catalogue serves only the first ${MAX_SKIP} results of a search ($skip at most ${MAX_SKIP}); ` +
              `the next page starts at ${skip}. Narrow the search (shorter date ranges, a smaller AOI, productType, cloud cover) and run it in parts`,
            { providerCode: 'SKIP_LIMIT' },
          );
        }
      } else {
        const filter = await this.#filter(query);
        const params: [string, string][] = [
          ['$filter', filter],
          ['$orderby', orderBy.trim().replace(/\s+/g, ' ')],
          ['$top', String(Math.min(this.maxPageSize, pageSize))],
          ['$skip', '0'],
          ['$count', 'True'],
          ['$expand', 'Attributes'],
          ['$expand', 'Assets'],
        ];
        url = `${this.catalogueUrl}/odata/v1/Products?${params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&')}`;
      }
      const page = await this.#catalogue<ProductsPage>(url, signal);
      const scenes = (page.value ?? []).map((product) => this.#scene(product, platforms));
      const next = page['@odata.nextLink'];
      return {
        scenes,
        next: typeof next === 'string' && next !== '' ? next : undefined,
        ...(typeof page['@odata.count'] === 'number' ? { total: page['@odata.count'] } : {}),
      };
    };
  }

  /** One product from the catalogue (fresh `Online` flag). */
  async product(id: string, signal?: AbortSignal): Promise<CopernicusProduct> {
    return this.#catalogue<CopernicusProduct>(
      `${this.catalogueUrl}/odata/v1/Products(${encodeURIComponent(id)})?$expand=Attributes`,
      signal,
    );
  }

  /** A catalogue GET (anonymous: the catalogue is public), errors carrying CDSE's `detail`. */
  async #catalogue<T>(url: string, signal?: AbortSignal): Promise<T> {
    const { response, text } = await this.#client.fetchText(url, {
      auth: false,
      headers: { accept: 'application/json' },
      ...(signal === undefined ? {} : { signal }),
    });
    if (!response.ok) {
      let detail = text.replace(/\s+/g, ' ').slice(0, 300);
      try {
        const body = JSON.parse(text) as { detail?: unknown };
        if (body.detail !== undefined)
          detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
      } catch {
        // Not JSON: keep the text.
      }
      throw new ProviderError(PROVIDER, `${response.status} from ${redactUrl(url)}: ${detail}`, {
        status: response.status,
        url: redactUrl(url),
      });
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ProviderError(
        PROVIDER,
        `${redactUrl(url)} did not answer JSON (${text.slice(0, 120)})`,
        {
          status: response.status,
          cause: error,
          url: redactUrl(url),
        },
      );
    }
  }

  #scene(product: CopernicusProduct, platforms: string[]): Scene {
    const attributes = new Map(
      (product.Attributes ?? []).map((attribute) => [attribute.Name, attribute.Value]),
    );
    const cloud = attributes.get('cloudCover');
    const start =
      product.ContentDate?.Start ?? (attributes.get('beginningDateTime') as string | undefined);
    const acqDate = new Date(start ?? NaN);
    if (
      typeof product.Id !== 'string' ||
      typeof product.Name !== 'string' ||
      Number.isNaN(acqDate.getTime())
    ) {
      throw new ProviderError(
        PROVIDER,
        `the catalogue returned a product without Id, Name or ContentDate/Start (${JSON.stringify(product).slice(0, 160)})`,
      );
    }
    return new Scene(
      {
        provider: PROVIDER,
        platformName: platformOf(product, attributes, platforms),
        sceneId: copernicusSceneId(product.Name),
        footprint: footprintOf(product),
        acqDate,
        cloudCoverPercentage: typeof cloud === 'number' && Number.isFinite(cloud) ? cloud : null,
        downloadLinks: [this.#valueUrl(product.Id)],
        filenames: [`${product.Name}.zip`],
        ...(typeof product.ContentLength === 'number' && product.ContentLength > 0
          ? { size: product.ContentLength }
          : {}),
        raw: product,
      },
      (scene, options) => new CopernicusDownloader(scene, this.#client, options, this.#context()),
    );
  }

  #valueUrl(id: string): string {
    return `${this.catalogueUrl}/odata/v1/Products(${id})/$value`;
  }

  #context(): DownloadContext {
    return {
      session: this.#session,
      connections: this.#connections,
      valueUrl: (id) => this.#valueUrl(id),
      product: (id, signal) => this.product(id, signal),
    };
  }
}

/** What the downloaders of one Copernicus instance share. */
interface DownloadContext {
  session: KeycloakSession;
  connections: Slots;
  valueUrl(id: string): string;
  product(id: string, signal?: AbortSignal): Promise<CopernicusProduct>;
}

/** Downloads one CDSE product: `$value` on the catalogue, redirected (with the token) to the zipper. */
class CopernicusDownloader extends Downloader {
  readonly maxConcurrent = MAX_CONNECTIONS;
  readonly #api: DownloadContext;
  #online: boolean;

  constructor(scene: Scene, client: HttpClient, options: DownloaderOptions, api: DownloadContext) {
    super(scene, client, options);
    this.#api = api;
    this.#online = this.#product.Online !== false;
  }

  get #product(): CopernicusProduct {
    return this.scene.raw as CopernicusProduct;
  }

  /**
   * True for an online product (after checking the credentials, so a wrong password fails here
   * with AuthenticationError). An offline product is looked up again once, in case it came back
   * online since the search; if not, NotActivatableError: CDSE cannot order it through OData.
   */
  async activate(signal?: AbortSignal): Promise<boolean> {
    if (!this.#online) {
      const fresh = await this.#api.product(this.#product.Id, signal);
      this.#online = fresh.Online === true;
      if (!this.#online) {
        throw new NotActivatableError(
          this.sceneId,
          `${PROVIDER}: the product is offline (long-term archive); the Data Space cannot order offline products through OData, only in the Data Workspace (https://dataspace.copernicus.eu)`,
        );
      }
    }
    await this.#api.session.token(signal);
    return true;
  }

  /** Holds one of the provider's 4 connections for the transfer, whoever calls it. */
  override download(outdir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    return this.#api.connections.run(() => super.download(outdir, options));
  }

  protected async remoteFiles(signal?: AbortSignal): Promise<RemoteFile[]> {
    await this.activate(signal);
    const product = this.#product;
    const md5 = product.Checksum?.find(
      (checksum) => checksum.Algorithm.toUpperCase() === 'MD5',
    )?.Value;
    return [
      {
        url: this.#api.valueUrl(product.Id),
        filename: `${product.Name}.zip`,
        key: product.Id,
        ...(typeof product.ContentLength === 'number' && product.ContentLength > 0
          ? { size: product.ContentLength }
          : {}),
        ...(md5 === undefined ? {} : { md5 }),
      },
    ];
  }
}

function cloudClause(op: 'le' | 'ge', percent: number): string {
  return `Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and att/OData.CSC.DoubleAttribute/Value ${op} ${percent.toFixed(2)})`;
}

/** POLYGON WKT of the AOI (closed rings); a MultiPolygon becomes its bbox (CDSE refuses MULTIPOLYGON). */
function polygonWkt(aoi: Aoi): string {
  const [w, s, e, n] = aoi.bbox;
  const rings =
    aoi.geometry.type === 'Polygon'
      ? aoi.geometry.coordinates
      : [
          [
            [w, s],
            [e, s],
            [e, n],
            [w, n],
            [w, s],
          ],
        ];
  return `POLYGON(${rings.map((ring) => `(${ring.map(([x, y]) => `${x} ${y}`).join(',')})`).join(',')})`;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((item): item is string => typeof item === 'string' && item.trim() !== '')) {
    throw new SearchParameterError(
      `${name} must be a string or a list of strings, not ${JSON.stringify(value)}`,
    );
  }
  return list.map((item) => item.trim());
}

function platformOf(
  product: CopernicusProduct,
  attributes: Map<string, unknown>,
  platforms: string[],
): string {
  const short = attributes.get('platformShortName');
  const candidates = [
    typeof short === 'string' ? short : '',
    /^S1/.test(product.Name) ? 'SENTINEL-1' : '',
    /^S2/.test(product.Name) ? 'SENTINEL-2' : '',
    /^S3/.test(product.Name) ? 'SENTINEL-3' : '',
    /^S5P/.test(product.Name) ? 'SENTINEL-5P' : '',
  ];
  for (const candidate of candidates) {
    const found = PLATFORMS.find((platform) => collectionOf(platform) === candidate.toUpperCase());
    if (found !== undefined) return found;
  }
  return platforms.length === 1 ? platforms[0]! : (platforms[0] ?? 'Sentinel-2');
}

/** GeoFootprint (GeoJSON), else the `Footprint` WKT, else null. */
function footprintOf(product: CopernicusProduct): Geometry | null {
  const geo = product.GeoFootprint;
  if (geo !== undefined && geo !== null && typeof geo === 'object' && 'type' in geo) return geo;
  const match = /^geography'(?:SRID=\d+;)?(.*)'$/s.exec(product.Footprint ?? '');
  if (match === null) return null;
  try {
    return wkx.Geometry.parse(match[1]!).toGeoJSON() as Geometry;
  } catch {
    return null;
  }
}
