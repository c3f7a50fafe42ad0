// USGS M2M (Machine-to-Machine) JSON API: Landsat Collection 2 Level-2 scenes, searched with
// `scene-search` and downloaded as the Level-2 product bundle (a tar) through `download-request`.
//
// Things M2M does its own way, handled here:
// - Errors come back as HTTP 200 with `errorCode` set in the envelope; they become typed errors.
// - The password `login` endpoint was REMOVED in February 2025: only `login-token` (username plus
//   an application token created in the ERS profile, "M2M access" role needed) works now.
// - The API key lasts about 2 hours. One login is shared by concurrent calls; a key that stops
//   working (AUTH_*) is replaced by ONE new login, whatever the number of calls that noticed.
// - `nextRecord` does not advance on the last page: paging stops on `recordsReturned == 0` or
//   `startingNumber + recordsReturned > totalHits`, never on `nextRecord`.
// - Numbers are strings (`"cloudCover":"44.79"`, `"-1"` when unknown) and dates have no zone
//   (`"2019-05-13 00:00:00"`, UTC).
// - Download URLs (dds host) are pre-signed staging links: they need NO auth header, and none is
//   sent to them.
import type { Geometry } from 'geojson';
import { backoffDelay } from '@geoworks/http-client';
import type { DownloaderOptions, DownloadOptions, DownloadResult } from '../download.js';
import { Downloader } from '../download.js';
import {
  AuthenticationError,
  DownloadCancelled,
  DownloadError,
  NotActivatableError,
  ProviderError,
  SearchParameterError,
  redactUrl,
} from '../errors.js';
import { HttpClient, type RetryPolicy } from '../http/client.js';
import type { RemoteFile } from '../http/download.js';
import { Scene, type PageFetcher } from '../search.js';
import { SensorApi, type NormalizedQuery } from '../sensor-api.js';

/** The production M2M endpoint (the "stable" API version). */
export const USGS_M2M_URL = 'https://m2m.cr.usgs.gov/api/api/json/stable/';

export interface UsgsOptions {
  /** ERS (USGS EarthExplorer) user name. */
  username: string;
  /**
   * An M2M application token (ERS profile → "Application Tokens"). The password login was
   * removed from M2M in February 2025: a password does not work here.
   */
  token: string;
  /** M2M base URL, with its trailing slash (default {@link USGS_M2M_URL}). */
  apiUrl?: string;
  http?: { retry?: Partial<RetryPolicy>; timeoutMs?: number };
}

/**
 * Provider options accepted by `scenes({...})` on top of the common query:
 * - `months`: acquisition months to keep (1-12), M2M's `seasonalFilter`.
 * Other options are ignored (an aggregate search passes every provider's options to all).
 */
export interface UsgsQueryOptions {
  months?: number[];
}

/** The M2M envelope every answer comes in. */
interface Envelope<T> {
  requestId?: number;
  sessionId?: number;
  data: T | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/** A scene-search result (the fields used here; the whole record is kept as `raw`). */
export interface UsgsSceneRecord {
  entityId: string;
  displayId: string;
  cloudCover?: string | number | null;
  publishDate?: string;
  temporalCoverage?: { startDate?: string; endDate?: string };
  spatialBounds?: Geometry | null;
  spatialCoverage?: Geometry | null;
  metadata?: { fieldName?: string; value?: unknown }[];
  [field: string]: unknown;
}

interface SceneSearchData {
  results?: UsgsSceneRecord[];
  recordsReturned?: number | string;
  totalHits?: number | string;
  startingNumber?: number | string;
  nextRecord?: number | string;
}

interface DownloadOption {
  id: string;
  entityId: string;
  displayId?: string;
  productName?: string;
  productCode?: string;
  available?: boolean;
  filesize?: number | string;
  downloadSystem?: string;
}

interface DownloadRequestData {
  availableDownloads?: { downloadId: number; url: string }[];
  preparingDownloads?: { downloadId: number; url: string }[];
  duplicateProducts?: { entityId?: string; productId?: string; downloadId?: number }[];
  failed?: { entityId?: string; productId?: string; errorMessage?: string }[];
  numInvalidScenes?: number;
}

interface RetrieveItem {
  downloadId?: number;
  entityId?: string;
  displayId?: string;
  url?: string | null;
  statusCode?: string;
  statusText?: string;
}

interface DownloadRetrieveData {
  available?: RetrieveItem[];
  requested?: RetrieveItem[];
  queueSize?: number;
}

/** Sends one M2M request and gives its `data` (errors already typed). */
type M2mCall = <T>(endpoint: string, body: unknown, signal?: AbortSignal) => Promise<T>;

/** The product every Landsat C2 L2 scene is downloaded as. */
const BUNDLE_PRODUCT_NAME = 'Landsat Collection 2 Level-2 Product Bundle';
/**
 * M2M says the key lasts "about 2 hours"; renew a little before, so a long bulk run does not
 * meet AUTH_INVALID in the middle of a call (it would be handled, but costs a round trip).
 */
const SESSION_RENEW_MS = 105 * 60_000;

const isAuthCode = (code: string) => code.startsWith('AUTH_');
const isRateLimitCode = (code: string) => code.startsWith('RATE_LIMIT');

/** The common part of the three Landsat C2 L2 providers (one M2M dataset each). */
export abstract class Usgs extends SensorApi {
  readonly name: string;
  /** The M2M dataset searched and downloaded. */
  readonly datasetName: string;
  protected readonly maxPageSize = 1000;
  protected readonly defaultPageSize = 100;
  readonly #client: HttpClient;
  readonly #apiUrl: string;
  readonly #username: string;
  readonly #token: string;
  /** The current login (shared by every call made while it is valid), or none yet. */
  #session: { key: Promise<string>; since: number } | undefined;
  #closed = false;

  protected constructor(options: UsgsOptions, name: string, datasetName: string) {
    super();
    if (typeof options?.username !== 'string' || options.username === '') {
      throw new AuthenticationError(name, 'a USGS ERS username is required');
    }
    if (typeof options.token !== 'string' || options.token === '') {
      throw new AuthenticationError(
        name,
        'an M2M application token is required (the password login was removed in February 2025)',
      );
    }
    this.name = name;
    this.datasetName = datasetName;
    this.#username = options.username;
    this.#token = options.token;
    const apiUrl = options.apiUrl ?? USGS_M2M_URL;
    this.#apiUrl = apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`;
    this.#client = new HttpClient({
      provider: name,
      ...(options.http?.retry === undefined ? {} : { retry: options.http.retry }),
      ...(options.http?.timeoutMs === undefined ? {} : { timeoutMs: options.http.timeoutMs }),
    });
  }

  /** Other spellings: `landsat8`, `landsat 8`, `landsat_8`, `l8` (case does not matter). */
  protected override platformAliases(): Record<string, string> {
    const aliases: Record<string, string> = {};
    for (const name of this.supportedPlatformNames()) {
      const n = name.slice('Landsat-'.length);
      for (const alias of [`landsat${n}`, `landsat ${n}`, `landsat_${n}`, `l${n}`]) {
        aliases[alias] = name;
      }
    }
    return aliases;
  }

  /** Logs out of M2M (the API key stops working). The instance cannot be used afterwards. */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const session = this.#session;
    this.#session = undefined;
    if (session === undefined) return;
    let key: string;
    try {
      key = await session.key;
    } catch {
      return; // Never logged in: nothing to end.
    }
    // Best effort: an expired key is already as good as logged out.
    try {
      await this.#post('logout', undefined, key);
    } catch {
      // Ignored on purpose: closing must not fail because the session had already ended.
    }
  }

  protected pageFetcher(query: NormalizedQuery): PageFetcher<unknown> {
    const months = monthsOption(query.options.months);
    const wanted = new Set(query.platformNames);
    // Two platforms share a dataset (Landsat-4/5, Landsat-8/9): asking for one of them filters
    // the results here, so the server's total is not the number of scenes then.
    const filtered = this.supportedPlatformNames().some((name) => !wanted.has(name));
    let filter: Promise<Record<string, unknown>> | undefined;
    return async (cursor, pageSize, signal) => {
      filter ??= this.#sceneFilter(query, months);
      const sceneFilter = await filter;
      let start = typeof cursor === 'number' ? cursor : 1;
      for (;;) {
        const data = await this.#call<SceneSearchData>(
          'scene-search',
          {
            datasetName: this.datasetName,
            maxResults: pageSize,
            startingNumber: start,
            metadataType: 'full',
            sceneFilter,
          },
          signal,
        );
        const results = Array.isArray(data?.results) ? data.results : [];
        const returned = toNumber(data?.recordsReturned) ?? results.length;
        const totalHits = toNumber(data?.totalHits);
        // Never follow nextRecord: on the last page it repeats startingNumber.
        const next =
          returned === 0 || (totalHits !== undefined && start + returned > totalHits)
            ? undefined
            : start + returned;
        const scenes = results
          .map((record) => this.#toScene(record))
          .filter((scene) => wanted.has(scene.platformName));
        // An empty page ends the iteration: when the platform filter emptied one, go on.
        if (scenes.length === 0 && next !== undefined) {
          start = next;
          continue;
        }
        return {
          scenes,
          next,
          ...(filtered || totalHits === undefined ? {} : { total: totalHits }),
        };
      }
    };
  }

  async #sceneFilter(query: NormalizedQuery, months: number[] | undefined) {
    const sceneFilter: Record<string, unknown> = {};
    if (query.startDate !== undefined || query.endDate !== undefined) {
      // M2M filters whole days (UTC); both ends are inclusive.
      sceneFilter.acquisitionFilter = {
        start: query.startDate === undefined ? '1972-07-23' : ymd(query.startDate),
        end: ymd(query.endDate ?? new Date()),
      };
    }
    const aoi = await query.aoi();
    if (aoi !== undefined) {
      const [west, south, east, north] = aoi.bbox;
      // A Polygon goes as it is; M2M's geojson filter takes one polygon, so a MultiPolygon is
      // searched by its bounding box (scenes touching only the box are possible).
      sceneFilter.spatialFilter =
        aoi.geometry.type === 'Polygon'
          ? { filterType: 'geojson', geoJson: aoi.geometry }
          : {
              filterType: 'mbr',
              lowerLeft: { latitude: south, longitude: west },
              upperRight: { latitude: north, longitude: east },
            };
    }
    if (query.cloudMin !== undefined || query.cloudMax !== undefined) {
      sceneFilter.cloudCoverFilter = {
        min: query.cloudMin ?? 0,
        max: query.cloudMax ?? 100,
        includeUnknown: false,
      };
    }
    if (months !== undefined) sceneFilter.seasonalFilter = months;
    return sceneFilter;
  }

  #toScene(record: UsgsSceneRecord): Scene {
    if (typeof record?.displayId !== 'string' || typeof record.entityId !== 'string') {
      throw new ProviderError(
        this.name,
        'scene-search returned a result without displayId/entityId',
      );
    }
    const acqDate =
      parseM2mDate(record.temporalCoverage?.startDate) ??
      parseM2mDate(metadataValue(record, 'Date Acquired')?.replaceAll('/', '-')) ??
      parseM2mDate(record.publishDate);
    if (acqDate === undefined) {
      throw new ProviderError(this.name, `scene ${record.displayId} has no acquisition date`);
    }
    return new Scene(
      {
        provider: this.name,
        platformName:
          platformOf(record.displayId) ??
          platformOf(record.entityId) ??
          this.supportedPlatformNames()[0]!,
        sceneId: record.displayId,
        footprint: record.spatialCoverage ?? record.spatialBounds ?? null,
        acqDate,
        cloudCoverPercentage: parseCloudCover(record.cloudCover),
        // The staging URL only exists once the bundle was requested (see the downloader).
        downloadLinks: [],
        filenames: [`${record.displayId}.tar`],
        raw: record,
      },
      (scene, options) =>
        new UsgsDownloader(scene, this.#client, options, {
          call: (endpoint, body, signal) => this.#call(endpoint, body, signal),
          datasetName: this.datasetName,
          entityId: record.entityId,
        }),
    );
  }

  // ─── transport ──────────────────────────────────────────────────────────────────────────

  /** An API key: the current login's, or a new login shared by every caller waiting for it. */
  #login(): { key: Promise<string>; since: number } {
    if (this.#closed) throw new ProviderError(this.name, 'this USGS instance was closed');
    const current = this.#session;
    if (current !== undefined && Date.now() - current.since < SESSION_RENEW_MS) return current;
    // No caller's signal: the login is shared, one caller giving up must not fail the others.
    const session = { key: this.#loginToken(), since: Date.now() };
    this.#session = session;
    // A failed login is forgotten, so the next call tries again (its error reaches the callers).
    session.key.catch(() => {
      if (this.#session === session) this.#session = undefined;
    });
    return session;
  }

  async #loginToken(): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const envelope = await this.#post<string>(
        'login-token',
        { username: this.#username, token: this.#token },
        undefined,
      );
      const code = envelope.errorCode;
      if (code === null || code === undefined) {
        if (typeof envelope.data !== 'string' || envelope.data === '') {
          throw new ProviderError(this.name, 'login-token did not return an API key');
        }
        return envelope.data;
      }
      if (isRateLimitCode(code) && attempt < this.#client.retry.retries) {
        await this.#client.sleep(backoffDelay(attempt, this.#client.retry));
        continue;
      }
      if (isAuthCode(code)) {
        throw new AuthenticationError(
          this.name,
          `login-token refused the username/application token (${code}: ${envelope.errorMessage ?? ''}); ` +
            'M2M needs an application token since the password login was removed in February 2025',
        );
      }
      throw this.#envelopeError('login-token', envelope);
    }
  }

  /**
   * One M2M call: login when needed, one new login when the key stopped working, RATE_LIMIT
   * retried with backoff, any other errorCode thrown as a typed error.
   */
  async #call<T>(endpoint: string, body: unknown, signal?: AbortSignal): Promise<T> {
    let reloggedIn = false;
    for (let rateLimited = 0; ;) {
      const session = this.#login();
      const key = await abortable(session.key, signal);
      const envelope = await this.#post<T>(endpoint, body, key, signal);
      const code = envelope.errorCode;
      if (code === null || code === undefined) return envelope.data as T;
      if (isAuthCode(code) && !reloggedIn) {
        reloggedIn = true;
        // Only the first caller that saw this key fail drops it: the others find the new login.
        if (this.#session === session) this.#session = undefined;
        continue;
      }
      if (isRateLimitCode(code) && rateLimited < this.#client.retry.retries) {
        await this.#client.sleep(backoffDelay(rateLimited++, this.#client.retry), signal);
        continue;
      }
      if (isAuthCode(code)) {
        throw new AuthenticationError(
          this.name,
          `${endpoint} refused the API key even after a new login (${code}: ${envelope.errorMessage ?? ''})`,
        );
      }
      throw this.#envelopeError(endpoint, envelope);
    }
  }

  /** POSTs a JSON body and reads the envelope (HTTP errors without one are thrown). */
  async #post<T>(
    endpoint: string,
    body: unknown,
    key: string | undefined,
    signal?: AbortSignal,
  ): Promise<Envelope<T>> {
    const url = `${this.#apiUrl}${endpoint}`;
    const { response, text } = await this.#client.fetchText(url, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        ...(key === undefined ? {} : { 'X-Auth-Token': key }),
      },
      // logout takes no body at all (a JSON `null` is refused as not an object).
      ...(body === undefined ? {} : { json: body }),
      ...(signal === undefined ? {} : { signal }),
    });
    let envelope: Envelope<T> | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed !== null && typeof parsed === 'object' && 'errorCode' in parsed) {
        envelope = parsed as Envelope<T>;
      }
    } catch {
      envelope = undefined;
    }
    if (envelope === undefined) {
      if (!response.ok) throw this.#client.statusError(response, text, url);
      throw new ProviderError(
        this.name,
        `${endpoint} did not answer an M2M envelope (${text.slice(0, 120)})`,
        { status: response.status, url: redactUrl(url) },
      );
    }
    if (!response.ok && (envelope.errorCode === null || envelope.errorCode === undefined)) {
      throw this.#client.statusError(response, text, url);
    }
    if (!response.ok && envelope.errorCode !== null) {
      // Not worth a retry (404 ENDPOINT_UNAVAILABLE, UNKNOWN_ENDPOINT, ...).
      throw this.#envelopeError(endpoint, envelope, response.status);
    }
    return envelope;
  }

  #envelopeError(endpoint: string, envelope: Envelope<unknown>, status?: number): Error {
    const code = envelope.errorCode ?? 'UNKNOWN';
    const message = `${endpoint} failed: ${code}${envelope.errorMessage ? `: ${envelope.errorMessage}` : ''}`;
    if (isAuthCode(code)) return new AuthenticationError(this.name, message);
    return new ProviderError(this.name, message, {
      providerCode: code,
      ...(status === undefined ? {} : { status }),
      url: `${this.#apiUrl}${endpoint}`,
    });
  }
}

/** Landsat 4 and 5 TM, Collection 2 Level-2 (`landsat_tm_c2_l2`). */
export class UsgsTm extends Usgs {
  static platformNames(): string[] {
    return ['Landsat-4', 'Landsat-5'];
  }

  constructor(options: UsgsOptions) {
    super(options, 'UsgsTm', 'landsat_tm_c2_l2');
  }

  supportedPlatformNames(): string[] {
    return UsgsTm.platformNames();
  }
}

/** Landsat 7 ETM+, Collection 2 Level-2 (`landsat_etm_c2_l2`). */
export class UsgsEtm extends Usgs {
  static platformNames(): string[] {
    return ['Landsat-7'];
  }

  constructor(options: UsgsOptions) {
    super(options, 'UsgsEtm', 'landsat_etm_c2_l2');
  }

  supportedPlatformNames(): string[] {
    return UsgsEtm.platformNames();
  }
}

/** Landsat 8 and 9 OLI/TIRS, Collection 2 Level-2 (`landsat_ot_c2_l2`). */
export class UsgsOt extends Usgs {
  static platformNames(): string[] {
    return ['Landsat-8', 'Landsat-9'];
  }

  constructor(options: UsgsOptions) {
    super(options, 'UsgsOt', 'landsat_ot_c2_l2');
  }

  supportedPlatformNames(): string[] {
    return UsgsOt.platformNames();
  }
}

// ─── download ─────────────────────────────────────────────────────────────────────────────

let labels = 0;

/**
 * Downloads a scene's Level-2 product bundle (one tar). `activate()` asks for it with
 * `download-request` under a label of its own; while M2M stages it, each `activate()` call
 * polls `download-retrieve` once and answers false. After a complete download the order is
 * removed (`download-order-remove`, best effort).
 *
 * At most 4 transfers at once: M2M's download host throttles and queues a user's parallel
 * downloads (RATE_LIMIT_USER_DL), and landsatxplore/eodag users report 4 as safe.
 */
class UsgsDownloader extends Downloader {
  readonly maxConcurrent = 4;
  readonly #call: M2mCall;
  readonly #datasetName: string;
  readonly #entityId: string;
  readonly #label: string;
  #option: DownloadOption | undefined;
  /** The request was made (under #label); the staging URL may still be pending. */
  #requested = false;
  #downloadId: number | undefined;
  #url: string | undefined;
  /** An activation in progress, shared by concurrent callers (one request, not two). */
  #activating: Promise<boolean> | undefined;

  constructor(
    scene: Scene,
    client: HttpClient,
    options: DownloaderOptions,
    context: { call: M2mCall; datasetName: string; entityId: string },
  ) {
    super(scene, client, options);
    this.#call = context.call;
    this.#datasetName = context.datasetName;
    this.#entityId = context.entityId;
    this.#label = `gw-${context.entityId}-${Date.now().toString(36)}-${(++labels).toString(36)}`;
  }

  async activate(signal?: AbortSignal): Promise<boolean> {
    if (this.#url !== undefined) return true;
    this.#activating ??= this.#activate(signal).finally(() => {
      this.#activating = undefined;
    });
    return this.#activating;
  }

  async #activate(signal?: AbortSignal): Promise<boolean> {
    this.#option ??= await this.#bundleOption(signal);
    if (!this.#requested) {
      const data = await this.#call<DownloadRequestData>(
        'download-request',
        {
          downloads: [{ entityId: this.#entityId, productId: this.#option.id }],
          label: this.#label,
        },
        signal,
      );
      const failed = data?.failed ?? [];
      if (failed.length > 0 || (data?.numInvalidScenes ?? 0) > 0) {
        const reason = failed[0]?.errorMessage ?? 'invalid scene';
        throw new NotActivatableError(this.sceneId, `USGS refused the download request: ${reason}`);
      }
      this.#requested = true;
      const ready = data?.availableDownloads?.[0];
      if (ready !== undefined && typeof ready.url === 'string') {
        this.#downloadId = ready.downloadId;
        this.#url = ready.url;
        return true;
      }
      // Being staged, or a duplicate (a retried request that had reached the server): either
      // way download-retrieve, below, says where it stands (a quick staging is seen at once).
      this.#downloadId =
        data?.preparingDownloads?.[0]?.downloadId ?? data?.duplicateProducts?.[0]?.downloadId;
    }
    const retrieved = await this.#call<DownloadRetrieveData>(
      'download-retrieve',
      { label: this.#label },
      signal,
    );
    const mine = (item: RetrieveItem) =>
      (this.#downloadId !== undefined && item.downloadId === this.#downloadId) ||
      item.entityId === this.#entityId;
    const available = (retrieved?.available ?? []).find(mine);
    if (available !== undefined && typeof available.url === 'string' && available.url !== '') {
      this.#url = available.url;
      return true;
    }
    const requested = (retrieved?.requested ?? []).find(mine);
    if (requested !== undefined) {
      if (requested.statusCode === 'F' || /fail|error|reject/i.test(requested.statusText ?? '')) {
        throw new NotActivatableError(
          this.sceneId,
          `USGS could not prepare the bundle (${requested.statusText ?? requested.statusCode})`,
        );
      }
      return false;
    }
    // The order is gone (expired or removed elsewhere): ask again on the next call.
    this.#requested = false;
    this.#downloadId = undefined;
    return false;
  }

  async #bundleOption(signal?: AbortSignal): Promise<DownloadOption> {
    const options = await this.#call<DownloadOption[] | null>(
      'download-options',
      { datasetName: this.#datasetName, entityIds: [this.#entityId] },
      signal,
    );
    const mine = (options ?? []).filter((option) => option?.entityId === this.#entityId);
    const bundles = mine.filter((option) => option.productName === BUNDLE_PRODUCT_NAME);
    const candidates =
      bundles.length > 0
        ? bundles
        : mine.filter((option) => /product bundle/i.test(option.productName ?? ''));
    const usable = candidates.find((option) => option.available === true);
    if (usable !== undefined) return usable;
    throw new NotActivatableError(
      this.sceneId,
      candidates.length === 0
        ? `USGS offers no "${BUNDLE_PRODUCT_NAME}" for it in ${this.#datasetName}`
        : `its "${BUNDLE_PRODUCT_NAME}" is not available for download`,
    );
  }

  protected async remoteFiles(signal?: AbortSignal): Promise<RemoteFile[]> {
    if (!(await this.activate(signal))) {
      throw new DownloadError(
        this.sceneId,
        'USGS is still preparing the bundle: call activate() until it answers true (the bulk downloader does)',
        { code: 'ACTIVATION_PENDING' },
      );
    }
    const size = toNumber(this.#option?.filesize);
    return [
      {
        url: this.#url!,
        // USGS names Level-2 bundles `<displayId>.tar`: naming it up front lets a rerun keep a
        // complete bundle instead of fetching it again (and the key names the .part file).
        filename: `${this.sceneId}.tar`,
        key: this.sceneId,
        ...(size !== undefined && size > 0 ? { size } : {}),
        // Pre-signed staging URL: no credentials go there.
        auth: false,
      },
    ];
  }

  override async download(outdir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    const result = await super.download(outdir, options);
    if (result.ok && this.#requested) {
      try {
        await this.#call('download-order-remove', { label: this.#label }, options.signal);
        this.#requested = false;
      } catch (error) {
        // Best effort: M2M expires orders by itself; only a cancellation is passed on.
        if (error instanceof DownloadCancelled) throw error;
      }
    }
    return result;
  }
}

// ─── parsing ──────────────────────────────────────────────────────────────────────────────

/** `promise`, or DownloadCancelled as soon as `signal` fires. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted)
    return Promise.reject(new DownloadCancelled(undefined, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DownloadCancelled(undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function ymd(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** M2M's cloud cover: a string percent, "-1" (or anything negative) when unknown. */
export function parseCloudCover(value: unknown): number | null {
  const parsed = toNumber(value);
  return parsed === undefined || parsed < 0 ? null : Math.min(100, parsed);
}

/** "YYYY-MM-DD HH:MM:SS" without a zone is UTC; a zone, when there is one, is honoured. */
export function parseM2mDate(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match =
    /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      text.trim(),
    );
  if (match === null) return undefined;
  const date = new Date(`${match[1]}T${match[2] ?? '00:00:00'}${match[3] ?? 'Z'}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `LC08_…` → Landsat-8, `LT05…` → Landsat-5, `LE07` → Landsat-7 (also entity ids `LC8…`). */
export function platformOf(id: string): string | undefined {
  const match = /^L[CTEOM]0?([1-9])/i.exec(id);
  return match === null ? undefined : `Landsat-${match[1]}`;
}

function metadataValue(record: UsgsSceneRecord, fieldName: string): string | undefined {
  const field = record.metadata?.find((entry) => entry?.fieldName === fieldName);
  return typeof field?.value === 'string' ? field.value.trim() : undefined;
}

function monthsOption(value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((month) => Number.isInteger(month) && month >= 1 && month <= 12)
  ) {
    throw new SearchParameterError('months must be a non-empty list of month numbers (1-12)');
  }
  return [...new Set(value as number[])].sort((a, b) => a - b);
}
