// A faithful local fake of the USGS M2M JSON API ("stable" version) and of its download host
// (dds), for the sensor-downloaders tests. It is a real HTTP server: test the provider through
// `fetch`, never by mocking our own code. See /work/shared/specs/sensors.md §0 and §3.
//
// ─── Servers ────────────────────────────────────────────────────────────────────────────────
//   const fake = await startUsgsFake({ count: 12 });
//   fake.url     `http://127.0.0.1:<port>`                (API host)
//   fake.apiUrl  `${fake.url}/api/api/json/stable/`       (M2M base URL, WITH a trailing slash;
//                                                           endpoint URL = apiUrl + '<endpoint>')
//   fake.ddsUrl  `http://127.0.0.1:<other port>`          (download host, a SECOND server)
//   await fake.close()                                     (closes both)
//
// ─── API transport ──────────────────────────────────────────────────────────────────────────
// Every endpoint accepts POST, and also GET with a JSON body (landsatxplore does that), with the
// header `X-Auth-Token: <apiKey>` (except login-token). Every answer is HTTP 200 with the envelope
//   {"requestId":N,"version":"stable","sessionId":N,"data":…,"errorCode":null,"errorMessage":null}
// and ERRORS ARE HTTP 200 TOO, with data null and errorCode/errorMessage set:
//   AUTH_INVALID             missing X-Auth-Token, unknown / logged-out / expired apiKey, or a
//                            wrong username/token at login-token
//   RATE_LIMIT               the `rateLimitEvery` knob
//   DATASET_INVALID          datasetName missing from the known datasets (scene-search,
//                            download-options)
//   INPUT_PARAMETER_INVALID  malformed JSON body, bad maxResults/startingNumber, bad dates, bad
//                            spatialFilter, missing entityIds/downloads/label, …
//   any code                 via the `failNext` knob (e.g. AUTH_KEY_INVALID, RATE_LIMIT_USER_DL)
// Exceptions (not HTTP 200): `login` (password login, removed Feb 2025) and unknown endpoints
// answer HTTP 404 with the envelope and errorCode `ENDPOINT_UNAVAILABLE` / `UNKNOWN_ENDPOINT`.
// `requestId` counts API requests from 1; `sessionId` is the number of the login session that
// created the apiKey used (0 when none).
//
// ─── Endpoints ──────────────────────────────────────────────────────────────────────────────
// login-token  {"username","token"} → data "<apiKey>" (32 hex chars). Credentials: options
//              `username` (default 'landsat-user') and `token` (default 'app-token-123').
//              The key expires `apiKeyTtlMs` after login (read at login time; default 2 h).
// login        → HTTP 404, errorCode ENDPOINT_UNAVAILABLE (recorded in `calls` like the rest).
// logout       → data null; the key stops working (AUTH_INVALID afterwards).
// scene-search {datasetName, maxResults=100, startingNumber=1 (1-based), metadataType
//              ('summary' default | 'full'), sceneFilter{acquisitionFilter{start,end}
//              ('YYYY-MM-DD', inclusive; a time part after the date is ignored),
//              spatialFilter {filterType:'mbr', lowerLeft{latitude,longitude}, upperRight{…}} |
//              {filterType:'geojson', geoJson|geojson: Polygon|MultiPolygon} (bbox intersection
//              with the scene footprint), cloudCoverFilter{min=0,max=100,includeUnknown=true}}}
//              → data {results, recordsReturned, totalHits, startingNumber, nextRecord,
//              numExcluded:0, isCustomized:false}. Results are sorted by acquisition date
//              DESCENDING (then entityId). Result fields: entityId, displayId, cloudCover (a
//              STRING like "44.79", "-1" when unknown), publishDate "YYYY-MM-DD HH:MM:SS" (no
//              timezone), temporalCoverage {startDate,endDate} "YYYY-MM-DD 00:00:00", spatialBounds
//              (bbox Polygon), spatialCoverage (footprint Polygon), browse[1], options{bulk,
//              download, order, secondary:false}, selected, metadata[] (EMPTY for summary; for
//              full: "Landsat Product Identifier L2", "Landsat Scene Identifier", "Date
//              Acquired" (YYYY/MM/DD), "Scene Cloud Cover L1", "WRS Path", "WRS Row").
//              PAGING QUIRK: nextRecord = startingNumber + recordsReturned while more records
//              remain, but on the LAST page (and past the end) nextRecord === startingNumber, so a
//              client that follows nextRecord loops forever. Stop on recordsReturned == 0 or
//              startingNumber + recordsReturned > totalHits.
// download-options {datasetName, entityIds[]} → data: per known entityId of that dataset, the
//              bundle option {id: usgsBundleProductId(dataset), entityId, displayId,
//              productName:'Landsat Collection 2 Level-2 Product Bundle', productCode:'D557',
//              available, filesize (exact tar byte length), bulkAvailable, downloadSystem:'dds',
//              secondaryDownloads:[one per band file: {id: usgsBandProductId(dataset, suffix),
//              entityId:`${displayId}_${suffix}` with '.' → '_', displayId:`${displayId}_${suffix}`,
//              productName:'Landsat Collection 2 Level-2 Band File', available, filesize,
//              bulkAvailable:true, downloadSystem:'dds'}]}. Unknown entityIds are skipped.
//              Band suffixes: SR_B4.TIF, SR_B5.TIF, QA_PIXEL.TIF, MTL.txt.
// download-request {downloads:[{entityId, productId}], label?} → data {availableDownloads:
//              [{downloadId,eulaCode:null,url}], preparingDownloads:[same], duplicateProducts:[]
//              (a product already requested under the same label: {entityId, productId,
//              downloadId}), failed:[{entityId, productId, errorMessage}] (unknown entity, wrong
//              productId, unavailable), newRecords:{"<downloadId>":"m2m_<n>_<label>"},
//              numInvalidScenes (unknown entityIds)}. downloadIds count from 26107136. Each url
//              is `${ddsUrl}/download-staging/<token>`; <token> is base64url JSON {"id":…}.
//              With preparingPolls > 0 the download goes to preparingDownloads (its url answers
//              404 until it is available).
// download-retrieve {label?} → data {available:[{downloadId, url, entityId, displayId,
//              productCode, productName, filesize, label, statusCode:'A', statusText:'Available',
//              eulaCode:null}], requested:[same with statusCode 'P', statusText 'Preparing',
//              url null], queueSize (= requested.length), eulas:[]}. Without a label: every
//              order of this fake. A download requested with preparingPolls = P is listed under
//              `requested` by the first P download-retrieve calls that include it and under
//              `available` from call P+1 on.
// download-order-remove {label} → data null; records the label in `removedLabels` and forgets
//              the order (its staging urls keep working).
//
// ─── Download host (ddsUrl) ─────────────────────────────────────────────────────────────────
// GET|HEAD `${ddsUrl}/download-staging/<token>` → the product, no auth needed: a bundle is a
// REAL ustar archive, `content-type: application/x-tar`, `Content-Disposition: attachment;
// filename="<displayId>.tar"`, holding `<displayId>_SR_B4.TIF`, `_SR_B5.TIF`, `_QA_PIXEL.TIF`
// (SyntheticFile bytes, a few hundred KB in total) and `_MTL.txt` (text). A band file is served
// alone with its own filename. Range (`bytes=N-` → 206) and the http.ts faults
// (`downloadFaults`) apply. Unknown token → 404; still preparing → 404 "not staged yet".
// An X-Auth-Token or Authorization header sent there is recorded in `ddsAuthHeaders`.
//
// ─── Scenes ─────────────────────────────────────────────────────────────────────────────────
// `count` (default 12) deterministic scenes of `datasetName` (default 'landsat_ot_c2_l2'),
// acquired on days spread evenly over [startDate, endDate] (defaults '2019-05-01' .. '2019-06-30',
// scene 0 on startDate, scene count-1 on endDate) at 15:5x:xx UTC; footprints (~1.8° × 1.6°,
// skewed quads) around the centre of `bbox` (default [-79.4, 43.8, -79.3, 43.9], as
// [west, south, east, north]) EXCEPT every scene with index % 4 === 3, which lies 5° east of the
// bbox (no intersection); cloudCover = ((index * 3779 + 1234) % 10000) / 100 (0.xx–99.xx).
// `scenes: Partial<UsgsSceneInit>[]` overrides fields of the scene with the same index (and adds
// scenes beyond `count`). The generated scenes are in `fake.scenes` (UsgsFakeScene).
//
// ─── Knobs (mutable properties of the returned object) ─────────────────────────────────────
// rateLimitEvery  (0 = off) while > 0, every Nth API request counted from when it became > 0
//                 answers errorCode RATE_LIMIT (all endpoints, login-token included).
// preparingPolls  (0) read at download-request time, see download-retrieve.
// maliciousTar    (false) while true, bundles also hold a last entry `../../evil.txt`
//                 ("escaped!\n"); download-options filesize follows; a download's bytes are
//                 fixed at download-request time. fake.bundle(scene) gives the current bytes.
// unavailable     Set<entityId>: bundle + band options `available:false`; download-request of
//                 them goes to `failed`.
// apiKeyTtlMs     read at each login.
// failNext        queue of {errorCode, errorMessage?}: each of the next API requests (after
//                 the rate limit check) answers with the head of the queue.
// downloadFaults  FileFaults for the download host (consumed as they fire).
// expireApiKeys() makes every issued key expired now.
//
// ─── Recorded state ─────────────────────────────────────────────────────────────────────────
// requests / ddsRequests  every HTTP request (method, url, headers) to each server.
// calls       every API request: {endpoint, method, apiKey, body, errorCode}.
// apiKeys     Map<apiKey, {username, expiresAt (ms epoch), sessionId, loggedOut}>.
// orders      Map<label, UsgsOrder>; downloads Map<downloadId, UsgsDownload>.
// removedLabels  labels passed to download-order-remove, in order.
// ddsAuthHeaders {url, header, value}[] auth headers seen by the download host.
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

export type UsgsDataset = 'landsat_tm_c2_l2' | 'landsat_etm_c2_l2' | 'landsat_ot_c2_l2';
export const USGS_DATASETS: readonly UsgsDataset[] = [
  'landsat_tm_c2_l2',
  'landsat_etm_c2_l2',
  'landsat_ot_c2_l2',
];

/** [west, south, east, north] in degrees. */
export type Bbox = BBox;

export interface UsgsSceneInit {
  entityId: string;
  displayId: string;
  datasetName: UsgsDataset;
  /** Acquisition time, ISO 8601 UTC (`2019-05-13T15:50:12Z`). */
  acquired: string;
  /** Percent 0–100, or null for unknown (served as "-1"). */
  cloudCover: number | null;
  /** Footprint ring as [lon, lat] pairs, closed. */
  footprint: [number, number][];
  /** Bundle available for download (default true). */
  available: boolean;
  /** This scene's bundle always holds `../../evil.txt`. */
  malicious: boolean;
  /** Size in bytes of the SR_B4 band (default 150 000 + index × 1024). */
  bandSize: number;
}

export interface UsgsBandFile {
  suffix: string;
  filename: string;
  content: SyntheticFile | Buffer;
}

export interface UsgsFakeScene extends UsgsSceneInit {
  index: number;
  /** The band files that make up the bundle, in archive order. */
  files: UsgsBandFile[];
}

export interface UsgsFakeOptions {
  username?: string;
  token?: string;
  apiKeyTtlMs?: number;
  /** The clock API keys expire on, in ms (default `Date.now`). */
  now?: () => number;
  count?: number;
  datasetName?: UsgsDataset;
  startDate?: string;
  endDate?: string;
  bbox?: Bbox;
  scenes?: Partial<UsgsSceneInit>[];
  rateLimitEvery?: number;
  preparingPolls?: number;
  maliciousTar?: boolean;
  unavailable?: Iterable<string>;
  /** Entities whose download-options are available but whose download-request fails. */
  requestFails?: Iterable<string>;
  downloadFaults?: FileFaults;
}

export interface UsgsDownload {
  downloadId: number;
  label: string;
  entityId: string;
  productId: string;
  scene: UsgsFakeScene;
  /** Undefined for the bundle, else the band suffix. */
  band: string | undefined;
  filename: string;
  content: SyntheticFile | Buffer;
  contentType: string;
  token: string;
  url: string;
  /** download-retrieve calls left before it is available. */
  pollsLeft: number;
}

export interface UsgsOrder {
  label: string;
  downloads: UsgsDownload[];
}

export interface UsgsCall {
  endpoint: string;
  method: string;
  apiKey: string | undefined;
  body: unknown;
  errorCode: string | null;
}

export interface UsgsFake {
  readonly url: string;
  readonly apiUrl: string;
  readonly ddsUrl: string;
  readonly requests: FakeServer['requests'];
  readonly ddsRequests: FakeServer['requests'];
  readonly scenes: UsgsFakeScene[];
  readonly calls: UsgsCall[];
  readonly apiKeys: Map<
    string,
    { username: string; expiresAt: number; sessionId: number; loggedOut: boolean }
  >;
  readonly orders: Map<string, UsgsOrder>;
  readonly downloads: Map<number, UsgsDownload>;
  readonly removedLabels: string[];
  readonly ddsAuthHeaders: { url: string; header: string; value: string }[];
  rateLimitEvery: number;
  preparingPolls: number;
  maliciousTar: boolean;
  unavailable: Set<string>;
  requestFails: Set<string>;
  apiKeyTtlMs: number;
  failNext: { errorCode: string; errorMessage?: string }[];
  downloadFaults: FileFaults;
  expireApiKeys(): void;
  /** The bundle tar bytes the download host serves for a scene right now. */
  bundle(scene: UsgsFakeScene): Buffer;
  close(): Promise<void>;
}

const DAY = 86_400_000;
const BUNDLE_PRODUCT_NAME = 'Landsat Collection 2 Level-2 Product Bundle';
const BAND_PRODUCT_NAME = 'Landsat Collection 2 Level-2 Band File';
const BAND_SUFFIXES = ['SR_B4.TIF', 'SR_B5.TIF', 'QA_PIXEL.TIF', 'MTL.txt'] as const;

function hex16(text: string): string {
  return createHash('md5').update(text).digest('hex').slice(0, 16);
}

/** The download-options `id` of the Level-2 bundle of a dataset (same for all its scenes). */
export function usgsBundleProductId(dataset: UsgsDataset): string {
  return hex16(`${dataset}:bundle`);
}

/** The download-options `id` of a band file product (suffix e.g. 'SR_B4.TIF'). */
export function usgsBandProductId(dataset: UsgsDataset, suffix: string): string {
  return hex16(`${dataset}:band:${suffix}`);
}

// ─── ustar writer ───────────────────────────────────────────────────────────────────────────

/** A ustar archive: 512-byte headers, data padded to 512, two zero blocks at the end. */
export function buildTar(entries: { name: string; data: Buffer; mtime?: number }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar name too long: ${entry.name}`);
    const header = Buffer.alloc(512);
    const octal = (value: number, at: number, width: number) =>
      header.write(value.toString(8).padStart(width - 1, '0') + '\0', at, width, 'ascii');
    header.write(entry.name, 0, 100, 'utf8');
    octal(0o644, 100, 8);
    octal(0, 108, 8);
    octal(0, 116, 8);
    octal(entry.data.length, 124, 12);
    octal(entry.mtime ?? 1_590_000_000, 136, 12);
    header.write('        ', 148, 8, 'ascii');
    header.write('0', 156, 1, 'ascii');
    header.write('ustar\0', 257, 6, 'ascii');
    header.write('00', 263, 2, 'ascii');
    header.write('landsat', 265, 32, 'ascii');
    header.write('landsat', 297, 32, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
    blocks.push(header, entry.data);
    const pad = (512 - (entry.data.length % 512)) % 512;
    if (pad > 0) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

// ─── scenes ─────────────────────────────────────────────────────────────────────────────────

const SENSOR: Record<UsgsDataset, { display: string; entity: string; collection: string }> = {
  landsat_ot_c2_l2: { display: 'LC08', entity: 'LC8', collection: 'Landsat 8-9 OLI/TIRS C2 L2' },
  landsat_etm_c2_l2: { display: 'LE07', entity: 'LE7', collection: 'Landsat 7 ETM+ C2 L2' },
  landsat_tm_c2_l2: { display: 'LT05', entity: 'LT5', collection: 'Landsat 4-5 TM C2 L2' },
};

const pad = (value: number, width: number) => String(value).padStart(width, '0');
const ymd = (date: Date) => date.toISOString().slice(0, 10);

function defaultScene(
  index: number,
  count: number,
  dataset: UsgsDataset,
  startDate: string,
  endDate: string,
  bbox: Bbox,
): UsgsSceneInit {
  const start = Date.parse(`${startDate}T00:00:00Z`);
  const end = Date.parse(`${endDate}T00:00:00Z`);
  const days = Math.round((end - start) / DAY);
  const dayOffset = count > 1 ? Math.round((index * days) / (count - 1)) : 0;
  const acquiredDate = new Date(
    start + dayOffset * DAY + (15 * 3600 + 50 * 60 + ((index * 7) % 600)) * 1000,
  );
  const processed = new Date(acquiredDate.getTime() + 20 * DAY);
  const path = 17;
  const row = 30 + (index % 2);
  const dayOfYear =
    Math.floor((acquiredDate.getTime() - Date.UTC(acquiredDate.getUTCFullYear(), 0, 1)) / DAY) + 1;
  const sensor = SENSOR[dataset];
  const compact = (date: Date) => ymd(date).replaceAll('-', '');
  const centerLon = (bbox[0] + bbox[2]) / 2 + ((index % 3) - 1) * 0.2 + (index % 4 === 3 ? 5 : 0);
  const centerLat = (bbox[1] + bbox[3]) / 2 + ((index % 5) - 2) * 0.1;
  const r = (value: number) => Math.round(value * 100000) / 100000;
  const footprint: [number, number][] = [
    [r(centerLon - 0.9), r(centerLat - 0.8 + 0.1)],
    [r(centerLon + 0.9 - 0.1), r(centerLat - 0.8)],
    [r(centerLon + 0.9), r(centerLat + 0.8 - 0.1)],
    [r(centerLon - 0.9 + 0.1), r(centerLat + 0.8)],
  ];
  footprint.push(footprint[0]!);
  return {
    entityId: `${sensor.entity}${pad(path, 3)}${pad(row, 3)}${acquiredDate.getUTCFullYear()}${pad(dayOfYear, 3)}LGN00`,
    displayId: `${sensor.display}_L2SP_${pad(path, 3)}${pad(row, 3)}_${compact(acquiredDate)}_${compact(processed)}_02_T1`,
    datasetName: dataset,
    acquired: acquiredDate.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    cloudCover: ((index * 3779 + 1234) % 10000) / 100,
    footprint,
    available: true,
    malicious: false,
    bandSize: 150_000 + index * 1024,
  };
}

function sceneFiles(scene: UsgsSceneInit, index: number): UsgsBandFile[] {
  const mtl = [
    'GROUP = LANDSAT_METADATA_FILE',
    '  GROUP = PRODUCT_CONTENTS',
    `    LANDSAT_PRODUCT_ID = "${scene.displayId}"`,
    '  END_GROUP = PRODUCT_CONTENTS',
    '  GROUP = IMAGE_ATTRIBUTES',
    `    DATE_ACQUIRED = ${scene.acquired.slice(0, 10)}`,
    `    CLOUD_COVER = ${scene.cloudCover ?? -1}`,
    '  END_GROUP = IMAGE_ATTRIBUTES',
    'END_GROUP = LANDSAT_METADATA_FILE',
    'END',
    '',
  ].join('\n');
  const sizes: Record<string, number> = {
    'SR_B4.TIF': scene.bandSize,
    'SR_B5.TIF': Math.round(scene.bandSize * 0.8),
    'QA_PIXEL.TIF': 40_000 + index * 16,
  };
  return BAND_SUFFIXES.map((suffix, band) => ({
    suffix,
    filename: `${scene.displayId}_${suffix}`,
    content:
      suffix === 'MTL.txt'
        ? Buffer.from(mtl)
        : new SyntheticFile(sizes[suffix]!, 1000 + index * 10 + band),
  }));
}

const asBuffer = (content: SyntheticFile | Buffer) =>
  Buffer.isBuffer(content) ? content : content.slice(0, content.size);

function ringsOf(geometry: unknown): number[][] {
  const g = geometry as { type?: string; coordinates?: unknown } | null;
  if (g === null || typeof g !== 'object') throw new Error('geometry is not an object');
  const points: number[][] = [];
  if (g.type === 'Polygon') for (const ring of g.coordinates as number[][][]) points.push(...ring);
  else if (g.type === 'MultiPolygon')
    for (const polygon of g.coordinates as number[][][][])
      for (const ring of polygon) points.push(...ring);
  else throw new Error(`unsupported geometry type ${String(g.type)}`);
  if (points.length === 0 || points.some((p) => !Number.isFinite(p[0]) || !Number.isFinite(p[1])))
    throw new Error('bad coordinates');
  return points;
}

function bboxOfPoints(points: number[][]): Bbox {
  const lons = points.map((p) => p[0]!);
  const lats = points.map((p) => p[1]!);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

class M2mError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly status = 200,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new M2mError('INPUT_PARAMETER_INVALID', message);

// ─── the fake ───────────────────────────────────────────────────────────────────────────────

export async function startUsgsFake(options: UsgsFakeOptions = {}): Promise<UsgsFake> {
  const clock = options.now ?? Date.now;
  const username = options.username ?? 'landsat-user';
  const appToken = options.token ?? 'app-token-123';
  const dataset = options.datasetName ?? 'landsat_ot_c2_l2';
  const bbox = options.bbox ?? [-79.4, 43.8, -79.3, 43.9];
  const count = options.count ?? 12;
  const total = Math.max(count, options.scenes?.length ?? 0);
  const scenes: UsgsFakeScene[] = [];
  for (let index = 0; index < total; index++) {
    const init: UsgsSceneInit = {
      ...defaultScene(
        index,
        count,
        options.scenes?.[index]?.datasetName ?? dataset,
        options.startDate ?? '2019-05-01',
        options.endDate ?? '2019-06-30',
        bbox,
      ),
      ...options.scenes?.[index],
    };
    scenes.push({ ...init, index, files: sceneFiles(init, index) });
  }

  const bundles = new Map<string, Buffer>();
  let requestId = 0;
  let sessions = 0;
  let rateCounter = 0;
  let nextDownloadId = 26107136;
  let labelCounter = 0;

  const fake: UsgsFake = {
    url: '',
    apiUrl: '',
    ddsUrl: '',
    requests: [],
    ddsRequests: [],
    scenes,
    calls: [],
    apiKeys: new Map(),
    orders: new Map(),
    downloads: new Map(),
    removedLabels: [],
    ddsAuthHeaders: [],
    rateLimitEvery: options.rateLimitEvery ?? 0,
    preparingPolls: options.preparingPolls ?? 0,
    maliciousTar: options.maliciousTar ?? false,
    unavailable: new Set(options.unavailable ?? []),
    requestFails: new Set(options.requestFails ?? []),
    apiKeyTtlMs: options.apiKeyTtlMs ?? 2 * 3600_000,
    failNext: [],
    downloadFaults: options.downloadFaults ?? {},
    expireApiKeys() {
      for (const key of fake.apiKeys.values()) key.expiresAt = clock() - 1;
    },
    bundle(scene) {
      const malicious = fake.maliciousTar || scene.malicious;
      const key = `${scene.entityId}:${malicious}`;
      let tar = bundles.get(key);
      if (tar === undefined) {
        const entries = scene.files.map((file) => ({
          name: file.filename,
          data: asBuffer(file.content),
        }));
        if (malicious) entries.push({ name: '../../evil.txt', data: Buffer.from('escaped!\n') });
        tar = buildTar(entries);
        bundles.set(key, tar);
      }
      return tar;
    },
    close: async () => {
      await Promise.all([api.close(), ddsServer.close()]);
    },
  };

  const isAvailable = (scene: UsgsFakeScene) =>
    scene.available && !fake.unavailable.has(scene.entityId);

  const datasetOf = (body: Record<string, unknown>): UsgsDataset => {
    const name = body.datasetName;
    if (typeof name !== 'string' || !USGS_DATASETS.includes(name as UsgsDataset))
      throw new M2mError('DATASET_INVALID', `Invalid dataset name: ${String(name)}`);
    return name as UsgsDataset;
  };

  const parseDay = (value: unknown, what: string): string => {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}([ T].*)?$/.test(value))
      throw invalid(`Invalid ${what} date: ${String(value)}`);
    const day = value.slice(0, 10);
    if (Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw invalid(`Invalid ${what} date`);
    return day;
  };

  const sceneResult = (scene: UsgsFakeScene, full: boolean) => {
    const day = scene.acquired.slice(0, 10);
    const cloud = scene.cloudCover === null ? '-1' : String(scene.cloudCover);
    const b = bboxOfPoints(scene.footprint);
    return {
      browse: [
        {
          id: hex16(`browse:${scene.entityId}`),
          browseRotationEnabled: false,
          browseName: 'LandsatLook Natural Color Preview Image',
          browsePath: `${fake.url}/browse/${scene.displayId}.jpg`,
          overlayPath: `${fake.url}/overlay/${scene.displayId}`,
          overlayType: 'dmid_wms',
          thumbnailPath: `${fake.url}/browse/${scene.displayId}_thumb.jpg`,
        },
      ],
      cloudCover: cloud,
      entityId: scene.entityId,
      displayId: scene.displayId,
      orderingId: null,
      metadata: full
        ? [
            ['Landsat Product Identifier L2', 'landsat_product_id', scene.displayId],
            ['Landsat Scene Identifier', 'landsat_scene_id', scene.entityId],
            ['Date Acquired', 'date_acquired', day.replaceAll('-', '/')],
            ['Scene Cloud Cover L1', 'scene_cloud_cover_l1', cloud],
            ['WRS Path', 'wrs_path', ` ${scene.displayId.slice(10, 13)}`],
            ['WRS Row', 'wrs_row', scene.displayId.slice(13, 16)],
          ].map(([fieldName, anchor, value]) => ({
            id: hex16(`field:${fieldName}`),
            fieldName,
            dictionaryLink: `https://www.usgs.gov/centers/eros/science/landsat-collection-2-data-dictionary#${anchor}`,
            value,
          }))
        : [],
      hasCustomizedMetadata: false,
      options: { bulk: true, download: true, order: true, secondary: false },
      selected: { bulk: false, compare: false, order: false },
      publishDate: scene.acquired.slice(0, 19).replace('T', ' '),
      spatialBounds: {
        type: 'Polygon',
        coordinates: [
          [
            [b[0], b[1]],
            [b[0], b[3]],
            [b[2], b[3]],
            [b[2], b[1]],
            [b[0], b[1]],
          ],
        ],
      },
      spatialCoverage: { type: 'Polygon', coordinates: [scene.footprint] },
      temporalCoverage: { endDate: `${day} 00:00:00`, startDate: `${day} 00:00:00` },
    };
  };

  const sceneSearch = (body: Record<string, unknown>) => {
    const name = datasetOf(body);
    const maxResults = body.maxResults ?? 100;
    const startingNumber = body.startingNumber ?? 1;
    if (
      !Number.isInteger(maxResults) ||
      (maxResults as number) < 1 ||
      (maxResults as number) > 50000
    )
      throw invalid('maxResults must be an integer between 1 and 50000');
    if (!Number.isInteger(startingNumber) || (startingNumber as number) < 1)
      throw invalid('startingNumber must be a positive integer');
    const metadataType = body.metadataType ?? 'summary';
    if (metadataType !== 'summary' && metadataType !== 'full')
      throw invalid(`Invalid metadataType: ${String(metadataType)}`);
    const filter = (body.sceneFilter ?? {}) as Record<string, Record<string, unknown> | undefined>;
    let matches = scenes.filter((scene) => scene.datasetName === name);
    const acquisition = filter.acquisitionFilter;
    if (acquisition !== undefined && acquisition !== null) {
      const start =
        acquisition.start === undefined ? undefined : parseDay(acquisition.start, 'start');
      const end = acquisition.end === undefined ? undefined : parseDay(acquisition.end, 'end');
      matches = matches.filter((scene) => {
        const day = scene.acquired.slice(0, 10);
        return (start === undefined || day >= start) && (end === undefined || day <= end);
      });
    }
    const spatial = filter.spatialFilter;
    if (spatial !== undefined && spatial !== null) {
      let area: Bbox;
      if (spatial.filterType === 'mbr') {
        const ll = spatial.lowerLeft as { latitude?: unknown; longitude?: unknown } | undefined;
        const ur = spatial.upperRight as { latitude?: unknown; longitude?: unknown } | undefined;
        const values = [ll?.longitude, ll?.latitude, ur?.longitude, ur?.latitude];
        if (!values.every((v) => typeof v === 'number' && Number.isFinite(v)))
          throw invalid('mbr spatialFilter needs numeric lowerLeft/upperRight latitude/longitude');
        area = values as Bbox;
      } else if (spatial.filterType === 'geojson') {
        try {
          area = bboxOfPoints(ringsOf(spatial.geoJson ?? spatial.geojson));
        } catch (error) {
          throw invalid(`Invalid geoJson spatialFilter: ${(error as Error).message}`);
        }
      } else throw invalid(`Invalid spatialFilter filterType: ${String(spatial.filterType)}`);
      matches = matches.filter((scene) => intersects(area, bboxOfPoints(scene.footprint)));
    }
    const cloud = filter.cloudCoverFilter;
    if (cloud !== undefined && cloud !== null) {
      const min = (cloud.min ?? 0) as number;
      const max = (cloud.max ?? 100) as number;
      if (typeof min !== 'number' || typeof max !== 'number')
        throw invalid('cloudCoverFilter min/max must be numbers');
      const includeUnknown = cloud.includeUnknown ?? true;
      matches = matches.filter((scene) =>
        scene.cloudCover === null
          ? includeUnknown === true
          : scene.cloudCover >= min && scene.cloudCover <= max,
      );
    }
    matches.sort((a, b) =>
      a.acquired === b.acquired
        ? a.entityId.localeCompare(b.entityId)
        : a.acquired < b.acquired
          ? 1
          : -1,
    );
    const first = startingNumber as number;
    const page = matches.slice(first - 1, first - 1 + (maxResults as number));
    const more = first + page.length <= matches.length;
    return {
      results: page.map((scene) => sceneResult(scene, metadataType === 'full')),
      recordsReturned: page.length,
      totalHits: matches.length,
      totalHitsAccuracy: 'exact',
      isCustomized: false,
      numExcluded: 0,
      startingNumber: first,
      // The quirk of the real service: on the last page nextRecord does not advance.
      nextRecord: more ? first + page.length : first,
    };
  };

  const productsOf = (scene: UsgsFakeScene) => {
    const available = isAvailable(scene);
    const tar = fake.bundle(scene);
    return {
      id: usgsBundleProductId(scene.datasetName),
      entityId: scene.entityId,
      displayId: scene.displayId,
      productName: BUNDLE_PRODUCT_NAME,
      productCode: 'D557',
      available,
      filesize: tar.length,
      bulkAvailable: available,
      downloadSystem: 'dds',
      secondaryDownloads: scene.files.map((file) => ({
        id: usgsBandProductId(scene.datasetName, file.suffix),
        entityId: `${scene.displayId}_${file.suffix.replace('.', '_')}`,
        displayId: file.filename,
        productName: BAND_PRODUCT_NAME,
        productCode: 'D558',
        available,
        filesize: Buffer.isBuffer(file.content) ? file.content.length : file.content.size,
        bulkAvailable: true,
        downloadSystem: 'dds',
      })),
    };
  };

  const downloadOptions = (body: Record<string, unknown>) => {
    const name = datasetOf(body);
    if (!Array.isArray(body.entityIds)) throw invalid('entityIds must be an array');
    const out = [];
    for (const id of body.entityIds as unknown[]) {
      const scene = scenes.find((s) => s.entityId === id && s.datasetName === name);
      if (scene !== undefined) out.push(productsOf(scene));
    }
    return out;
  };

  const retrieveItem = (download: UsgsDownload, available: boolean) => ({
    downloadId: download.downloadId,
    collectionName: SENSOR[download.scene.datasetName].collection,
    datasetId: hex16(`dataset:${download.scene.datasetName}`),
    displayId: download.band === undefined ? download.scene.displayId : download.filename,
    entityId: download.entityId,
    eulaCode: null,
    filesize: Buffer.isBuffer(download.content) ? download.content.length : download.content.size,
    label: download.label,
    productCode: download.band === undefined ? 'D557' : 'D558',
    productName: download.band === undefined ? BUNDLE_PRODUCT_NAME : BAND_PRODUCT_NAME,
    statusCode: available ? 'A' : 'P',
    statusText: available ? 'Available' : 'Preparing',
    url: available ? download.url : null,
  });

  const downloadRequest = (body: Record<string, unknown>) => {
    if (!Array.isArray(body.downloads)) throw invalid('downloads must be an array');
    const label =
      typeof body.label === 'string' && body.label !== '' ? body.label : `m2m-${++labelCounter}`;
    let order = fake.orders.get(label);
    if (order === undefined) {
      order = { label, downloads: [] };
      fake.orders.set(label, order);
    }
    const result = {
      availableDownloads: [] as { downloadId: number; eulaCode: null; url: string }[],
      preparingDownloads: [] as { downloadId: number; eulaCode: null; url: string }[],
      duplicateProducts: [] as { entityId: string; productId: string; downloadId: number }[],
      failed: [] as { entityId: unknown; productId: unknown; errorMessage: string }[],
      newRecords: {} as Record<string, string>,
      numInvalidScenes: 0,
    };
    for (const item of body.downloads as { entityId?: unknown; productId?: unknown }[]) {
      const { entityId, productId } = item ?? {};
      let scene: UsgsFakeScene | undefined;
      let band: UsgsBandFile | undefined;
      for (const candidate of scenes) {
        if (candidate.entityId === entityId) scene = candidate;
        const file = candidate.files.find(
          (f) => `${candidate.displayId}_${f.suffix.replace('.', '_')}` === entityId,
        );
        if (file !== undefined) {
          scene = candidate;
          band = file;
        }
      }
      if (scene === undefined) {
        result.numInvalidScenes++;
        result.failed.push({ entityId, productId, errorMessage: 'Invalid entity' });
        continue;
      }
      const expected =
        band === undefined
          ? usgsBundleProductId(scene.datasetName)
          : usgsBandProductId(scene.datasetName, band.suffix);
      if (productId !== expected) {
        result.failed.push({ entityId, productId, errorMessage: 'Invalid product for entity' });
        continue;
      }
      if (!isAvailable(scene) || fake.requestFails.has(scene.entityId)) {
        result.failed.push({ entityId, productId, errorMessage: 'Product not available' });
        continue;
      }
      const duplicate = order.downloads.find(
        (d) => d.entityId === entityId && d.productId === productId,
      );
      if (duplicate !== undefined) {
        result.duplicateProducts.push({
          entityId: entityId as string,
          productId: expected,
          downloadId: duplicate.downloadId,
        });
        continue;
      }
      const downloadId = nextDownloadId++;
      const token = Buffer.from(
        JSON.stringify({ id: downloadId, entityId, productId: expected }),
      ).toString('base64url');
      const download: UsgsDownload = {
        downloadId,
        label,
        entityId: entityId as string,
        productId: expected,
        scene,
        band: band?.suffix,
        filename: band === undefined ? `${scene.displayId}.tar` : band.filename,
        content: band === undefined ? fake.bundle(scene) : band.content,
        contentType:
          band === undefined
            ? 'application/x-tar'
            : band.suffix.endsWith('.TIF')
              ? 'image/tiff'
              : 'text/plain',
        token,
        url: `${fake.ddsUrl}/download-staging/${token}`,
        pollsLeft: fake.preparingPolls,
      };
      order.downloads.push(download);
      fake.downloads.set(downloadId, download);
      result.newRecords[String(downloadId)] = `m2m_${downloadId}_${label}`;
      const entry = { downloadId, eulaCode: null, url: download.url };
      (download.pollsLeft > 0 ? result.preparingDownloads : result.availableDownloads).push(entry);
    }
    return result;
  };

  const downloadRetrieve = (body: Record<string, unknown>) => {
    const label = body.label;
    if (label !== undefined && label !== null && typeof label !== 'string')
      throw invalid('label must be a string');
    const orders =
      typeof label === 'string'
        ? [fake.orders.get(label)].filter((o): o is UsgsOrder => o !== undefined)
        : [...fake.orders.values()];
    const available = [];
    const requested = [];
    for (const order of orders)
      for (const download of order.downloads) {
        if (download.pollsLeft > 0) {
          download.pollsLeft--;
          requested.push(retrieveItem(download, false));
        } else available.push(retrieveItem(download, true));
      }
    return { available, requested, queueSize: requested.length, eulas: [] };
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    requestId++;
    const send = (
      status: number,
      data: unknown,
      sessionId: number,
      errorCode: string | null = null,
      errorMessage: string | null = null,
    ) =>
      sendJson(res, status, {
        requestId,
        version: 'stable',
        sessionId,
        data: errorCode === null ? data : null,
        errorCode,
        errorMessage,
      });
    const prefix = '/api/api/json/stable/';
    const endpoint = url.pathname.startsWith(prefix)
      ? url.pathname.slice(prefix.length).replace(/\/$/, '')
      : '';
    const apiKeyHeader = req.headers['x-auth-token'];
    const apiKey = typeof apiKeyHeader === 'string' ? apiKeyHeader : undefined;
    const call: UsgsCall = {
      endpoint,
      method: req.method ?? 'GET',
      apiKey,
      body: undefined,
      errorCode: null,
    };
    fake.calls.push(call);
    const session = apiKey === undefined ? undefined : fake.apiKeys.get(apiKey);
    const sessionId = session?.sessionId ?? 0;
    try {
      if (req.method !== 'POST' && req.method !== 'GET')
        throw new M2mError('UNKNOWN', `Method ${req.method} not allowed`, 405);
      const text = await readBody(req);
      let body: Record<string, unknown> = {};
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw invalid('Request body is not valid JSON');
        }
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          throw invalid('Request body must be a JSON object');
      }
      call.body = body;
      if (fake.rateLimitEvery > 0 && ++rateCounter % fake.rateLimitEvery === 0)
        throw new M2mError('RATE_LIMIT', 'Rate limit exceeded - too many requests');
      const injected = fake.failNext.shift();
      if (injected !== undefined)
        throw new M2mError(injected.errorCode, injected.errorMessage ?? injected.errorCode);
      if (endpoint === 'login')
        throw new M2mError(
          'ENDPOINT_UNAVAILABLE',
          'The login endpoint has been removed (26 Feb 2025); use login-token',
          404,
        );
      if (endpoint === 'login-token') {
        if (body.username !== username || body.token !== appToken)
          throw new M2mError('AUTH_INVALID', 'User credential denied');
        const key = createHash('md5').update(`${username}:${++sessions}:${clock()}`).digest('hex');
        fake.apiKeys.set(key, {
          username,
          expiresAt: clock() + fake.apiKeyTtlMs,
          sessionId: sessions,
          loggedOut: false,
        });
        send(200, key, sessions);
        return;
      }
      const known = [
        'logout',
        'scene-search',
        'download-options',
        'download-request',
        'download-retrieve',
        'download-order-remove',
      ];
      if (!known.includes(endpoint))
        throw new M2mError('UNKNOWN_ENDPOINT', `Unknown endpoint: ${endpoint}`, 404);
      if (apiKey === undefined) throw new M2mError('AUTH_INVALID', 'User credential denied');
      if (session === undefined || session.loggedOut || session.expiresAt <= clock())
        throw new M2mError('AUTH_INVALID', 'User credential denied');
      let data: unknown;
      switch (endpoint) {
        case 'logout':
          session.loggedOut = true;
          data = null;
          break;
        case 'scene-search':
          data = sceneSearch(body);
          break;
        case 'download-options':
          data = downloadOptions(body);
          break;
        case 'download-request':
          data = downloadRequest(body);
          break;
        case 'download-retrieve':
          data = downloadRetrieve(body);
          break;
        case 'download-order-remove':
          if (typeof body.label !== 'string' || body.label === '')
            throw invalid('label is required');
          fake.removedLabels.push(body.label);
          fake.orders.delete(body.label);
          data = null;
          break;
      }
      send(200, data, sessionId);
    } catch (error) {
      if (!(error instanceof M2mError)) throw error;
      call.errorCode = error.errorCode;
      send(error.status, null, sessionId, error.errorCode, error.message);
    }
  };

  const api = await startFakeServer(handleApi);
  const ddsServer = await startFakeServer(async (req, res, url) => {
    for (const header of ['x-auth-token', 'authorization']) {
      const value = req.headers[header];
      if (typeof value === 'string')
        fake.ddsAuthHeaders.push({ url: req.url ?? '', header, value });
    }
    const match = /^\/download-staging\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || match === null) {
      sendText(res, 404, 'Not Found');
      return;
    }
    let download: UsgsDownload | undefined;
    try {
      const decoded = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8')) as {
        id?: number;
      };
      download = fake.downloads.get(decoded.id ?? -1);
    } catch {
      download = undefined;
    }
    if (download === undefined || download.token !== match[1]) {
      sendText(res, 404, 'Unknown download');
      return;
    }
    if (download.pollsLeft > 0) {
      sendText(res, 404, 'File not staged yet');
      return;
    }
    await serveFile(req, res, download.content, {
      filename: download.filename,
      contentType: download.contentType,
      faults: fake.downloadFaults,
    });
  });
  const writable = fake as { -readonly [K in keyof UsgsFake]: UsgsFake[K] };
  writable.url = api.url;
  writable.apiUrl = `${api.url}/api/api/json/stable/`;
  writable.ddsUrl = ddsServer.url;
  writable.requests = api.requests;
  writable.ddsRequests = ddsServer.requests;
  return fake;
}
