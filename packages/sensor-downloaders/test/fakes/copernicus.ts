/**
 * Faithful local fake of the Copernicus Data Space Ecosystem (CDSE): the OData catalogue, the
 * Keycloak identity server and the download ("zipper") host, for the sensor-downloaders tests.
 * Speaks the wire format of /work/shared/specs/sensors.md §2. Three loopback servers:
 *
 *   catalogueUrl = http://127.0.0.1:<p1>   OData: <catalogueUrl>/odata/v1/...
 *   identityUrl  = http://127.0.0.1:<p2>   Keycloak: <identityUrl>/auth/realms/CDSE/protocol/openid-connect/token
 *   downloadUrl  = http://127.0.0.1:<p3>   zipper: <downloadUrl>/odata/v1/Products(<Id>)/$value
 *
 * `url` = catalogueUrl; `tokenUrl` = the full Keycloak token endpoint above.
 * Errors of the catalogue and zipper are JSON `{"detail": "<message>"}` (FastAPI style).
 *
 * ## Search: `GET <catalogueUrl>/odata/v1/Products?...`
 * - `$filter`: `and`/`or`/`not` and parentheses over these predicates (else 400):
 *   - `Collection/Name eq 'SENTINEL-2'`, `Name eq '...'`, `Id eq <uuid>`, `Online eq true|false`,
 *     `contains(Name,'...')`, `startswith(Name,'...')`, `endswith(Name,'...')`;
 *   - `ContentDate/Start|ContentDate/End|PublicationDate|ModificationDate <op> <ISO instant>`,
 *     op one of eq ne lt le gt ge;
 *   - `OData.CSC.Intersects(area=geography'SRID=4326;POLYGON((lon lat, ...))')` (space before
 *     `((` allowed; `POINT(lon lat)` too). Intersection is bbox vs bbox. Unclosed ring → 400;
 *     `MULTIPOLYGON`/other WKT → 400 `{"detail":"... MULTIPOLYGON is not supported ..."}`;
 *   - `Attributes/OData.CSC.<T>Attribute/any(att:att/Name eq '<name>' and att/OData.CSC.<T>Attribute/Value <op> <literal>)`
 *     with T = Double | Integer | String | DateTimeOffset (e.g. cloudCover `le 40.00`, productType
 *     `eq 'S2MSI2A'`). A product without that attribute does not match.
 * - `$orderby`: `ContentDate/Start|ContentDate/End|PublicationDate|ModificationDate [asc|desc]`
 *   (default `ContentDate/Start asc` when absent); ties broken by Id. Anything else → 400.
 * - `$top` integer 0..1000 (default 20), `$skip` 0..10000 (default 0); else 400.
 * - `$count=True` (case-insensitive) adds `"@odata.count": <total matching>`.
 * - `$expand=Attributes` / `$expand=Assets` (repeatable, or comma-separated): only then are
 *   `Attributes` / `Assets` present in each product (as on the real service).
 * - Response `{"@odata.context":"$metadata#Products(Attributes(),Assets())", "value":[...],
 *   "@odata.count"?, "@odata.nextLink"?}`. `@odata.nextLink` is an absolute URL
 *   `<catalogueUrl>/odata/v1/Products?<same params, $skip = $skip + $top>` present only when
 *   more results exist (even if that $skip would exceed 10000 and then be refused).
 * - Unknown query options (other than `$format`, `$select`) → 400.
 * `GET <catalogueUrl>/odata/v1/Products(<Id>)` → one product (plus `@odata.context`), honours `$expand`; 404 if unknown.
 * `GET <catalogueUrl>/odata/v1/Assets(<assetId>)/$value` → the quicklook (small image/jpeg), no auth.
 *
 * Product JSON (`toProduct`): @odata.mediaContentType, Id, Name (`S2A_MSIL2A_<date>_N0500_R<orbit>_T<tile>_<date>.SAFE`),
 * ContentType, ContentLength (= file size), OriginDate, PublicationDate, ModificationDate, Online,
 * EvictionDate, S3Path, Checksum `[{"Value":<md5 of the file>,"Algorithm":"MD5",...},{"Value":...,"Algorithm":"BLAKE3",...}]`
 * (the BLAKE3 value is a SHA-256 hex stand-in, NOT a real BLAKE3: verify with MD5), ContentDate{Start,End},
 * Footprint `geography'SRID=4326;POLYGON ((lon lat, ...))'`, GeoFootprint (GeoJSON Polygon),
 * Attributes (cloudCover Double, productType, platformShortName, platformSerialIdentifier,
 * instrumentShortName, processingLevel, tileId, relativeOrbitNumber Integer, beginningDateTime,
 * endingDateTime), Assets `[{"Type":"QUICKLOOK","Id","DownloadLink":"<catalogueUrl>/odata/v1/Assets(<id>)/$value","S3Path"}]`.
 *
 * ## Keycloak: `POST <identityUrl>/auth/realms/CDSE/protocol/openid-connect/token` (form-encoded)
 * - `grant_type=password&username&password&client_id=cdse-public`: client_id ≠ cdse-public → 401
 *   `{"error":"invalid_client",...}`; wrong user/password → 401 `{"error":"invalid_grant","error_description":"Invalid user credentials"}`;
 *   when `maxSessions` (default 100) sessions are already active → 401
 *   `{"error":"invalid_grant","error_description":"Too many sessions"}`; else opens a session and
 *   answers 200 `{"access_token","expires_in","refresh_expires_in","refresh_token","token_type":"Bearer","not-before-policy":0,"session_state","scope":"AUDIENCE_PUBLIC openid email profile ondemand_processing user-context"}`.
 *   Tokens are JWT-shaped (`header.payload.sig`, payload has `exp`, `iat`, `sid`, `preferred_username`).
 * - `grant_type=refresh_token&refresh_token=...&client_id=cdse-public`: a known, unexpired refresh
 *   token of a live session → a new access token AND a new refresh token (old ones stay valid until
 *   they expire), same session, no new session; unknown → 400 `{"error":"invalid_grant","error_description":"Invalid refresh token"}`,
 *   expired → 400 `{"error":"invalid_grant","error_description":"Token is not active"}`.
 * - Other grant types → 400 `unsupported_grant_type`.
 * `POST <identityUrl>/auth/realms/CDSE/protocol/openid-connect/logout` (form: `refresh_token`,
 * `client_id`) → 204 and ends that session.
 * A session is active until logged out or until its latest refresh token expires.
 * Lifetimes: `accessTtlSeconds` (default 600), `refreshTtlSeconds` (default 3600); fractions are
 * allowed (e.g. 1.5) and expiry is checked against the real clock.
 *
 * ## Download
 * `GET|HEAD <catalogueUrl>/odata/v1/Products(<Id>)/$value`: unknown Id → 404; no/invalid/expired
 * Bearer → 401 `{"detail":...}` (`WWW-Authenticate: Bearer`); offline product → 422
 * `{"detail":"Product <Name> is offline ..."}`; else `redirectStatus` (default 307, may be 301/302)
 * with `Location: <downloadUrl>/odata/v1/Products(<Id>)/$value`.
 * `GET|HEAD <downloadUrl>/odata/v1/Products(<Id>)/$value`: REQUIRES `Authorization: Bearer <live
 * access token>` (so it must survive the cross-origin redirect) → 401 otherwise
 * (`state.downloadsWithoutAuthorization` counts those without any Authorization header); offline
 * → 422; when `concurrencyLimit` (default 4) GET downloads of the user are already in flight →
 * 429 `{"detail":"Too many concurrent downloads"}` with `Retry-After: <retryAfterSeconds, default 1>`;
 * otherwise `serveFile` of the product (content-type application/zip, Content-Disposition
 * filename `<Name>.zip`, Range → 206, the product's `faults`). In-flight counts drop when the
 * response closes; `state.maxConcurrentDownloads` is the peak.
 *
 * Knobs: `products` (mutable; set `product.faults` or `product.online` any time),
 * `setFaults(idOrName, faults)`, `expireAccessTokens()`, `expireRefreshTokens()`, `state`,
 * `requests` (every request to any of the three hosts, in order, labelled by `host`).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type FakeServer,
  type FileFaults,
  type Handler,
  readBody,
  sendJson,
  serveFile,
  startFakeServer,
  SyntheticFile,
  type BBox,
  roundTo,
  seededRandom,
  scatteredBox,
} from './http.js';

export type { BBox };

export interface CopernicusAttribute {
  Name: string;
  Value: string | number;
  ValueType: 'Double' | 'Integer' | 'String' | 'DateTimeOffset';
}

export interface CopernicusProduct {
  id: string;
  name: string;
  collection: string;
  /** ISO instants. */
  start: string;
  end: string;
  publicationDate: string;
  modificationDate: string;
  bbox: BBox;
  online: boolean;
  /** Typed attributes, including cloudCover and productType. */
  attributes: CopernicusAttribute[];
  quicklookId: string;
  file: SyntheticFile;
  faults?: FileFaults;
}

export interface MakeCopernicusProductsOptions {
  /** Number of products (default 25). */
  count?: number;
  /** Spread evenly over [start, end) (default 2019-05-01 .. 2019-06-01). */
  start?: string;
  end?: string;
  /** Footprints near this bbox (default [-79.4, 43.8, -79.3, 43.9]). */
  bbox?: BBox;
  /** Product types, cycled (default ['S2MSI2A', 'S2MSI1C']). */
  productTypes?: string[];
  /** Indexes (in generation order) of products that are offline (default none). */
  offline?: number[];
  /** File sizes drawn from [min, max] bytes (default [200_000, 400_000]). */
  sizeRange?: [number, number];
  seed?: number;
}

export interface CopernicusFakeOptions extends MakeCopernicusProductsOptions {
  products?: CopernicusProduct[];
  username?: string;
  password?: string;
  accessTtlSeconds?: number;
  refreshTtlSeconds?: number;
  maxSessions?: number;
  /** Concurrent GET downloads allowed per user (default 4). */
  concurrencyLimit?: number;
  retryAfterSeconds?: number;
  /** Status of the catalogue → zipper redirect (default 307). */
  redirectStatus?: 301 | 302 | 303 | 307 | 308;
  /** The clock tokens expire on, in ms (default `Date.now`); a test shares one with the client. */
  now?: () => number;
}

export interface CopernicusFakeState {
  /** Active sessions now (password grants not yet logged out / expired). */
  sessions: number;
  passwordGrants: number;
  refreshGrants: number;
  /** Token endpoint answers that were errors. */
  tokenErrors: number;
  searchRequests: number;
  /** Catalogue $value redirects sent. */
  redirects: number;
  /** GETs to the zipper currently streaming, and their peak. */
  inFlightDownloads: number;
  maxConcurrentDownloads: number;
  /** Zipper requests refused with 429 by the concurrency limit. */
  concurrencyRejections: number;
  /** Zipper requests that arrived with no Authorization header at all. */
  downloadsWithoutAuthorization: number;
  /** Zipper GETs answered 200/206 (counted when the response ends, is cut or closes). */
  downloads: number;
}

export interface CopernicusFakeRequest {
  host: 'catalogue' | 'identity' | 'download';
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface CopernicusFake {
  url: string;
  catalogueUrl: string;
  identityUrl: string;
  tokenUrl: string;
  downloadUrl: string;
  username: string;
  password: string;
  products: CopernicusProduct[];
  state: CopernicusFakeState;
  requests: CopernicusFakeRequest[];
  product(idOrName: string): CopernicusProduct | undefined;
  setFaults(idOrName: string, faults: FileFaults): void;
  expireAccessTokens(): void;
  expireRefreshTokens(): void;
  close(): Promise<void>;
}

/** A deterministic v4-shaped uuid from a string. */
function uuid(text: string): string {
  const hex = createHash('sha1').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `2019-05-11T16:09:01.024Z` → `20190511T160901`. */
const compact = (iso: string) => iso.slice(0, 19).replace(/[-:]/g, '');
/** CDSE prints microseconds: `2019-05-11T16:09:01.024000Z`. */
const micro = (iso: string) => iso.replace(/\.(\d{3})Z$/, '.$1000Z');

export function makeCopernicusProducts(
  options: MakeCopernicusProductsOptions = {},
): CopernicusProduct[] {
  const count = options.count ?? 25;
  const start = Date.parse(options.start ?? '2019-05-01T00:00:00Z');
  const end = Date.parse(options.end ?? '2019-06-01T00:00:00Z');
  const [w, s, e, n] = options.bbox ?? [-79.4, 43.8, -79.3, 43.9];
  const types = options.productTypes ?? ['S2MSI2A', 'S2MSI1C'];
  const offline = new Set(options.offline ?? []);
  const [minSize, maxSize] = options.sizeRange ?? [200_000, 400_000];
  const seed = options.seed ?? 1;
  const rand = seededRandom(seed + 7919);
  const tiles = ['17TPJ', '17TNJ', '17TPH'];
  const products: CopernicusProduct[] = [];
  for (let index = 0; index < count; index++) {
    const t0 = start + Math.floor(((end - start) * index) / Math.max(1, count)) + 24;
    const sensing = new Date(t0).toISOString();
    const published = new Date(t0 + 4 * 3_600_000).toISOString();
    const bbox = scatteredBox(rand, [w, s, e, n]);
    const cloudCover = roundTo(rand() * 100, 6);
    const size = minSize + Math.floor(rand() * (maxSize - minSize + 1));
    const type = types[index % types.length]!;
    const level = type.endsWith('2A') ? 'L2A' : 'L1C';
    const unit = index % 2 === 0 ? 'A' : 'B';
    const orbit = String(1 + ((index * 37) % 143)).padStart(3, '0');
    const tile = tiles[index % tiles.length]!;
    const name = `S2${unit}_MSI${level}_${compact(sensing)}_N0500_R${orbit}_T${tile}_${compact(published)}.SAFE`;
    products.push({
      id: uuid(`product-${seed}-${index}`),
      name,
      collection: 'SENTINEL-2',
      start: sensing,
      end: sensing,
      publicationDate: published,
      modificationDate: published,
      bbox,
      online: !offline.has(index),
      quicklookId: uuid(`quicklook-${seed}-${index}`),
      file: new SyntheticFile(size, seed * 1000 + 500 + index),
      attributes: [
        { Name: 'cloudCover', Value: cloudCover, ValueType: 'Double' },
        { Name: 'productType', Value: type, ValueType: 'String' },
        { Name: 'platformShortName', Value: 'SENTINEL-2', ValueType: 'String' },
        { Name: 'platformSerialIdentifier', Value: unit, ValueType: 'String' },
        { Name: 'instrumentShortName', Value: 'MSI', ValueType: 'String' },
        { Name: 'processingLevel', Value: `S2MSI${level.slice(1)}`, ValueType: 'String' },
        { Name: 'tileId', Value: tile, ValueType: 'String' },
        { Name: 'relativeOrbitNumber', Value: Number(orbit), ValueType: 'Integer' },
        { Name: 'beginningDateTime', Value: sensing, ValueType: 'DateTimeOffset' },
        { Name: 'endingDateTime', Value: sensing, ValueType: 'DateTimeOffset' },
      ],
    });
  }
  return products;
}

function ringOf([w, s, e, n]: BBox): [number, number][] {
  return [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s],
  ];
}

/** The OData JSON of a product as CDSE returns it. */
export function toProduct(
  product: CopernicusProduct,
  catalogueUrl: string,
  expand: { attributes: boolean; assets: boolean } = { attributes: true, assets: true },
): Record<string, unknown> {
  const ring = ringOf(product.bbox);
  const year = product.start.slice(0, 4);
  const month = product.start.slice(5, 7);
  const day = product.start.slice(8, 10);
  const level = /_MSIL(\w\w)_/.exec(product.name)?.[1] ?? '2A';
  const s3Path = `/eodata/Sentinel-2/MSI/L${level}/${year}/${month}/${day}/${product.name}`;
  const out: Record<string, unknown> = {
    '@odata.mediaContentType': 'application/octet-stream',
    Id: product.id,
    Name: product.name,
    ContentType: 'application/octet-stream',
    ContentLength: product.file.size,
    OriginDate: micro(product.publicationDate),
    PublicationDate: micro(product.publicationDate),
    ModificationDate: micro(product.modificationDate),
    Online: product.online,
    EvictionDate: '9999-12-31T23:59:59.999999Z',
    S3Path: s3Path,
    Checksum: [
      { Value: product.file.md5, Algorithm: 'MD5', ChecksumDate: micro(product.publicationDate) },
      {
        Value: createHash('sha256').update(product.file.md5).digest('hex'),
        Algorithm: 'BLAKE3',
        ChecksumDate: micro(product.publicationDate),
      },
    ],
    ContentDate: { Start: micro(product.start), End: micro(product.end) },
    Footprint: `geography'SRID=4326;POLYGON ((${ring.map(([x, y]) => `${x} ${y}`).join(', ')}))'`,
    GeoFootprint: { type: 'Polygon', coordinates: [ring] },
  };
  if (expand.attributes)
    out.Attributes = product.attributes.map((attribute) => ({
      '@odata.type': `#OData.CSC.${attribute.ValueType}Attribute`,
      ...attribute,
    }));
  if (expand.assets)
    out.Assets = [
      {
        Type: 'QUICKLOOK',
        Id: product.quicklookId,
        DownloadLink: `${catalogueUrl}/odata/v1/Assets(${product.quicklookId})/$value`,
        S3Path: `${s3Path}/${product.name.replace('.SAFE', '-ql.jpg')}`,
      },
    ];
  return out;
}

// --- $filter parser ---------------------------------------------------------------------------

class BadRequest extends Error {}

type Token =
  | { t: 'punct'; v: string }
  | { t: 'str'; v: string }
  | { t: 'geo'; v: string }
  | { t: 'date'; v: string }
  | { t: 'num'; v: string }
  | { t: 'id'; v: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const patterns: [Token['t'], RegExp][] = [
    ['geo', /^geography'([^']*)'/],
    ['str', /^'((?:[^']|'')*)'/],
    ['date', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?/],
    ['num', /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/],
    ['id', /^[A-Za-z_][A-Za-z0-9_./]*/],
    ['punct', /^[(),:=]/],
  ];
  outer: while (at < text.length) {
    const rest = text.slice(at);
    const space = /^\s+/.exec(rest);
    if (space !== null) {
      at += space[0].length;
      continue;
    }
    for (const [type, pattern] of patterns) {
      const match = pattern.exec(rest);
      if (match === null) continue;
      const value =
        type === 'str' ? match[1]!.replace(/''/g, "'") : type === 'geo' ? match[1]! : match[0];
      tokens.push({ t: type, v: value } as Token);
      at += match[0].length;
      continue outer;
    }
    throw new BadRequest(`Invalid $filter: unexpected character at ${at}: ${rest.slice(0, 20)}`);
  }
  return tokens;
}

type Predicate = (product: CopernicusProduct) => boolean;
type Literal = string | number | boolean;
const OPS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function compare(left: Literal, op: string, right: Literal): boolean {
  switch (op) {
    case 'eq':
      return left === right;
    case 'ne':
      return left !== right;
    case 'lt':
      return left < right;
    case 'le':
      return left <= right;
    case 'gt':
      return left > right;
    default:
      return left >= right;
  }
}

/** Parses a WKT (without SRID) into a bbox; only POLYGON and POINT. */
function wktBBox(wkt: string): BBox {
  const body = wkt.trim();
  const point = /^POINT\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)$/i.exec(body);
  if (point !== null) {
    const x = Number(point[1]);
    const y = Number(point[2]);
    return [x, y, x, y];
  }
  const polygon = /^POLYGON\s*\(\((.*)\)\)$/i.exec(body);
  if (polygon === null) {
    const kind = /^[A-Z]+/i.exec(body)?.[0]?.toUpperCase() ?? body;
    throw new BadRequest(`Invalid geography: ${kind} is not supported, use POLYGON or POINT`);
  }
  if (polygon[1]!.includes('('))
    throw new BadRequest('Invalid geography: polygons with holes are not supported');
  const points = polygon[1]!.split(',').map((pair) => pair.trim().split(/\s+/).map(Number));
  if (points.length < 4 || points.some((p) => p.length !== 2 || p.some((v) => !Number.isFinite(v))))
    throw new BadRequest('Invalid geography: a polygon ring needs at least 4 "lon lat" points');
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1])
    throw new BadRequest('Invalid geography: the polygon ring is not closed');
  const xs = points.map((p) => p[0]!);
  const ys = points.map((p) => p[1]!);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

const DATE_PROPERTIES: Record<string, (p: CopernicusProduct) => string> = {
  'ContentDate/Start': (p) => p.start,
  'ContentDate/End': (p) => p.end,
  PublicationDate: (p) => p.publicationDate,
  ModificationDate: (p) => p.modificationDate,
};

export function parseFilter(text: string): Predicate {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => {
    const token = tokens[at++];
    if (token === undefined) throw new BadRequest('Invalid $filter: unexpected end');
    return token;
  };
  const expect = (value: string) => {
    const token = next();
    if (token.v !== value || (token.t !== 'punct' && token.t !== 'id'))
      throw new BadRequest(`Invalid $filter: expected '${value}' but found '${token.v}'`);
  };
  const isWord = (word: string) => {
    const token = peek();
    return token !== undefined && token.t === 'id' && token.v === word;
  };
  const literal = (): Literal => {
    const token = next();
    if (token.t === 'str') return token.v;
    if (token.t === 'num') return Number(token.v);
    if (token.t === 'date') return Date.parse(token.v);
    if (token.t === 'id' && (token.v === 'true' || token.v === 'false')) return token.v === 'true';
    throw new BadRequest(`Invalid $filter: expected a literal but found '${token.v}'`);
  };
  const op = () => {
    const token = next();
    if (token.t !== 'id' || !OPS.has(token.v))
      throw new BadRequest(`Invalid $filter: expected an operator but found '${token.v}'`);
    return token.v;
  };

  const primary = (): Predicate => {
    const token = next();
    if (token.t === 'punct' && token.v === '(') {
      const inner = or();
      expect(')');
      return inner;
    }
    if (token.t !== 'id') throw new BadRequest(`Invalid $filter: unexpected '${token.v}'`);
    if (token.v === 'OData.CSC.Intersects') {
      expect('(');
      expect('area');
      expect('=');
      const geo = next();
      if (geo.t !== 'geo') throw new BadRequest("Invalid $filter: expected geography'...'");
      expect(')');
      const match = /^SRID=4326;(.*)$/is.exec(geo.v);
      if (match === null) throw new BadRequest('Invalid geography: expected SRID=4326;<WKT>');
      const box = wktBBox(match[1]!);
      return (p) =>
        box[0] <= p.bbox[2] && p.bbox[0] <= box[2] && box[1] <= p.bbox[3] && p.bbox[1] <= box[3];
    }
    if (token.v === 'contains' || token.v === 'startswith' || token.v === 'endswith') {
      expect('(');
      expect('Name');
      expect(',');
      const value = literal();
      expect(')');
      if (typeof value !== 'string')
        throw new BadRequest(`Invalid $filter: ${token.v} needs a string`);
      if (token.v === 'contains') return (p) => p.name.includes(value);
      if (token.v === 'startswith') return (p) => p.name.startsWith(value);
      return (p) => p.name.endsWith(value);
    }
    const attribute =
      /^Attributes\/OData\.CSC\.(Double|Integer|String|DateTimeOffset)Attribute\/any$/.exec(
        token.v,
      );
    if (attribute !== null) {
      const type = attribute[1]!;
      expect('(');
      const variable = next();
      if (variable.t !== 'id') throw new BadRequest('Invalid $filter: expected a lambda variable');
      expect(':');
      expect(`${variable.v}/Name`);
      expect('eq');
      const name = literal();
      expect('and');
      expect(`${variable.v}/OData.CSC.${type}Attribute/Value`);
      const operator = op();
      const value = literal();
      expect(')');
      if (typeof name !== 'string')
        throw new BadRequest('Invalid $filter: attribute name must be a string');
      if ((type === 'String') !== (typeof value === 'string'))
        throw new BadRequest(`Invalid $filter: value of ${name} does not match ${type}Attribute`);
      return (p) => {
        const found = p.attributes.find((a) => a.Name === name && a.ValueType === type);
        if (found === undefined) return false;
        const actual = type === 'DateTimeOffset' ? Date.parse(String(found.Value)) : found.Value;
        return compare(actual, operator, value);
      };
    }
    const operator = op();
    const value = literal();
    const date = DATE_PROPERTIES[token.v];
    if (date !== undefined) {
      if (typeof value !== 'number' || Number.isNaN(value))
        throw new BadRequest(`Invalid $filter: ${token.v} needs a date`);
      return (p) => compare(Date.parse(date(p)), operator, value);
    }
    const simple: Record<string, (p: CopernicusProduct) => Literal> = {
      'Collection/Name': (p) => p.collection,
      Name: (p) => p.name,
      Id: (p) => p.id,
      Online: (p) => p.online,
      ContentLength: (p) => p.file.size,
    };
    const property = simple[token.v];
    if (property === undefined)
      throw new BadRequest(`Invalid $filter: unknown property '${token.v}'`);
    return (p) => compare(property(p), operator, value);
  };
  const not = (): Predicate => {
    if (isWord('not')) {
      next();
      const inner = not();
      return (p) => !inner(p);
    }
    return primary();
  };
  const and = (): Predicate => {
    let left = not();
    while (isWord('and')) {
      next();
      const l = left;
      const r = not();
      left = (p) => l(p) && r(p);
    }
    return left;
  };
  const or = (): Predicate => {
    let left = and();
    while (isWord('or')) {
      next();
      const l = left;
      const r = and();
      left = (p) => l(p) || r(p);
    }
    return left;
  };
  const result = or();
  if (at !== tokens.length) throw new BadRequest(`Invalid $filter: unexpected '${tokens[at]!.v}'`);
  return result;
}

// --- tokens -----------------------------------------------------------------------------------

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface Session {
  id: string;
  active: boolean;
  refreshExpiresAt: number;
}

export async function startCopernicusFake(
  options: CopernicusFakeOptions = {},
): Promise<CopernicusFake> {
  const products = options.products ?? makeCopernicusProducts(options);
  const username = options.username ?? 'user@example.com';
  const password = options.password ?? 'secret';
  const accessTtl = (options.accessTtlSeconds ?? 600) * 1000;
  const refreshTtl = (options.refreshTtlSeconds ?? 3600) * 1000;
  const maxSessions = options.maxSessions ?? 100;
  const concurrencyLimit = options.concurrencyLimit ?? 4;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const redirectStatus = options.redirectStatus ?? 307;
  const state: CopernicusFakeState = {
    sessions: 0,
    passwordGrants: 0,
    refreshGrants: 0,
    tokenErrors: 0,
    searchRequests: 0,
    redirects: 0,
    inFlightDownloads: 0,
    maxConcurrentDownloads: 0,
    concurrencyRejections: 0,
    downloadsWithoutAuthorization: 0,
    downloads: 0,
  };
  const requests: CopernicusFakeRequest[] = [];
  const sessions: Session[] = [];
  const accessTokens = new Map<string, { expiresAt: number; session: Session }>();
  const refreshTokens = new Map<string, { expiresAt: number; session: Session }>();
  let tokenCounter = 0;

  const now = options.now ?? Date.now;
  const sessionLive = (session: Session) => session.active && now() < session.refreshExpiresAt;
  const countSessions = () => (state.sessions = sessions.filter(sessionLive).length);
  const product = (idOrName: string) =>
    products.find((p) => p.id === idOrName || p.name === idOrName || p.name === `${idOrName}.SAFE`);

  const track =
    (host: CopernicusFakeRequest['host'], handler: Handler): Handler =>
    (req, res, url) => {
      requests.push({
        host,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
      });
      return handler(req, res, url);
    };

  const detail = (
    res: ServerResponse,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ) => sendJson(res, status, { detail: message }, headers);

  /** undefined when the request carries a live access token, else the 401 message. */
  const checkBearer = (req: IncomingMessage): string | undefined => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (match === null) return 'Not authenticated';
    const token = accessTokens.get(match[1]!);
    if (token === undefined) return 'Invalid token';
    if (now() >= token.expiresAt) return 'Expired signature!';
    return undefined;
  };

  const issue = (session: Session) => {
    const issued = now();
    const make = (type: string, ttl: number) =>
      `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({
        exp: Math.floor((issued + ttl) / 1000),
        iat: Math.floor(issued / 1000),
        jti: `${type}-${++tokenCounter}`,
        typ: type,
        sid: session.id,
        preferred_username: username,
        azp: 'cdse-public',
      })}.${createHash('sha256').update(`${type}-${tokenCounter}`).digest('base64url')}`;
    const access = make('Bearer', accessTtl);
    const refresh = make('Refresh', refreshTtl);
    accessTokens.set(access, { expiresAt: issued + accessTtl, session });
    refreshTokens.set(refresh, { expiresAt: issued + refreshTtl, session });
    session.refreshExpiresAt = issued + refreshTtl;
    return {
      access_token: access,
      expires_in: accessTtl / 1000,
      refresh_expires_in: refreshTtl / 1000,
      refresh_token: refresh,
      token_type: 'Bearer',
      'not-before-policy': 0,
      session_state: session.id,
      scope: 'AUDIENCE_PUBLIC openid email profile ondemand_processing user-context',
    };
  };

  // --- identity (Keycloak) ------------------------------------------------------------------
  const realm = '/auth/realms/CDSE/protocol/openid-connect';
  const identity = await startFakeServer(
    track('identity', async (req, res, url) => {
      if (
        req.method !== 'POST' ||
        (url.pathname !== `${realm}/token` && url.pathname !== `${realm}/logout`)
      )
        return sendJson(res, 404, { error: 'Unable to find matching target resource method' });
      const form = new URLSearchParams(await readBody(req));
      const fail = (status: number, error: string, description: string) => {
        state.tokenErrors++;
        sendJson(res, status, { error, error_description: description });
      };
      if (form.get('client_id') !== 'cdse-public')
        return fail(401, 'invalid_client', 'Invalid client or Invalid client credentials');
      if (url.pathname === `${realm}/logout`) {
        const found = refreshTokens.get(form.get('refresh_token') ?? '');
        if (found === undefined) return fail(400, 'invalid_grant', 'Invalid refresh token');
        found.session.active = false;
        countSessions();
        res.writeHead(204);
        res.end();
        return;
      }
      const grant = form.get('grant_type');
      if (grant === 'password') {
        if (form.get('username') !== username || form.get('password') !== password)
          return fail(401, 'invalid_grant', 'Invalid user credentials');
        if (countSessions() >= maxSessions) return fail(401, 'invalid_grant', 'Too many sessions');
        state.passwordGrants++;
        const session: Session = {
          id: uuid(`session-${state.passwordGrants}`),
          active: true,
          refreshExpiresAt: 0,
        };
        sessions.push(session);
        const body = issue(session);
        countSessions();
        return sendJson(res, 200, body);
      }
      if (grant === 'refresh_token') {
        const found = refreshTokens.get(form.get('refresh_token') ?? '');
        if (found === undefined) return fail(400, 'invalid_grant', 'Invalid refresh token');
        if (now() >= found.expiresAt || !sessionLive(found.session))
          return fail(400, 'invalid_grant', 'Token is not active');
        state.refreshGrants++;
        const body = issue(found.session);
        countSessions();
        return sendJson(res, 200, body);
      }
      return fail(400, 'unsupported_grant_type', 'Unsupported grant_type');
    }),
  );
  const identityUrl = identity.url;

  // --- download (zipper) --------------------------------------------------------------------
  const valuePath = /^\/odata\/v1\/Products\('?([^)']+)'?\)\/\$value$/;
  const download = await startFakeServer(
    track('download', async (req, res, url) => {
      const match = valuePath.exec(decodeURIComponent(url.pathname));
      if (match === null || (req.method !== 'GET' && req.method !== 'HEAD'))
        return detail(res, 404, 'Not Found');
      if (req.headers.authorization === undefined) state.downloadsWithoutAuthorization++;
      const problem = checkBearer(req);
      if (problem !== undefined) return detail(res, 401, problem, { 'www-authenticate': 'Bearer' });
      const found = products.find((p) => p.id === match[1]);
      if (found === undefined) return detail(res, 404, `Product ${match[1]} not found`);
      if (!found.online)
        return detail(
          res,
          422,
          `Product ${found.name} is offline and cannot be downloaded; order it in the Data Workspace`,
        );
      const get = req.method === 'GET';
      if (get && state.inFlightDownloads >= concurrencyLimit) {
        state.concurrencyRejections++;
        return detail(res, 429, 'Too many concurrent downloads', {
          'retry-after': String(retryAfter),
        });
      }
      if (get) {
        state.inFlightDownloads++;
        state.maxConcurrentDownloads = Math.max(
          state.maxConcurrentDownloads,
          state.inFlightDownloads,
        );
        res.once('close', () => state.inFlightDownloads--);
      }
      await serveFile(req, res, found.file, {
        faults: found.faults ?? (found.faults = {}),
        filename: `${found.name}.zip`,
        contentType: 'application/zip',
      });
      if (get && (res.statusCode === 200 || res.statusCode === 206)) state.downloads++;
    }),
  );
  const downloadUrl = download.url;

  // --- catalogue ----------------------------------------------------------------------------
  const catalogue = await startFakeServer(
    track('catalogue', (req, res, url) => {
      const path = decodeURIComponent(url.pathname);
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return detail(res, 405, 'Method Not Allowed');
      const value = valuePath.exec(path);
      if (value !== null) {
        const found = products.find((p) => p.id === value[1]);
        if (found === undefined) return detail(res, 404, `Product ${value[1]} not found`);
        const problem = checkBearer(req);
        if (problem !== undefined)
          return detail(res, 401, problem, { 'www-authenticate': 'Bearer' });
        if (!found.online)
          return detail(
            res,
            422,
            `Product ${found.name} is offline and cannot be downloaded; order it in the Data Workspace`,
          );
        state.redirects++;
        res.writeHead(redirectStatus, {
          location: `${downloadUrl}/odata/v1/Products(${found.id})/$value`,
          'content-length': '0',
        });
        res.end();
        return;
      }
      const asset = /^\/odata\/v1\/Assets\('?([^)']+)'?\)\/\$value$/.exec(path);
      if (asset !== null) {
        const found = products.find((p) => p.quicklookId === asset[1]);
        if (found === undefined) return detail(res, 404, `Asset ${asset[1]} not found`);
        const blob = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.from(found.name), 0xff, 0xd9]);
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': blob.length });
        res.end(req.method === 'HEAD' ? undefined : blob);
        return;
      }
      try {
        const expand = expansions(url.searchParams);
        const one = /^\/odata\/v1\/Products\('?([^)']+)'?\)$/.exec(path);
        if (one !== null) {
          const found = products.find((p) => p.id === one[1]);
          if (found === undefined) return detail(res, 404, `Product ${one[1]} not found`);
          return sendJson(res, 200, {
            '@odata.context': '$metadata#Products/$entity',
            ...toProduct(found, catalogueUrl, expand),
          });
        }
        if (path !== '/odata/v1/Products') return detail(res, 404, 'Not Found');
        state.searchRequests++;
        searchProducts(res, url, expand);
      } catch (error) {
        if (error instanceof BadRequest) return detail(res, 400, error.message);
        throw error;
      }
    }),
  );
  const catalogueUrl = catalogue.url;

  function expansions(params: URLSearchParams) {
    const values = params
      .getAll('$expand')
      .flatMap((value) => value.split(','))
      .map((value) => value.trim());
    for (const value of values)
      if (value !== 'Attributes' && value !== 'Assets')
        throw new BadRequest(`Invalid $expand: ${value}`);
    return { attributes: values.includes('Attributes'), assets: values.includes('Assets') };
  }

  function searchProducts(
    res: ServerResponse,
    url: URL,
    expand: { attributes: boolean; assets: boolean },
  ) {
    const params = url.searchParams;
    const allowed = new Set([
      '$filter',
      '$orderby',
      '$top',
      '$skip',
      '$count',
      '$expand',
      '$format',
      '$select',
    ]);
    for (const name of params.keys())
      if (!allowed.has(name)) throw new BadRequest(`Unknown query option: ${name}`);
    const integer = (name: string, fallback: number, max: number) => {
      const text = params.get(name);
      if (text === null) return fallback;
      if (!/^\d+$/.test(text) || Number(text) > max)
        throw new BadRequest(`Invalid ${name}: must be an integer between 0 and ${max}`);
      return Number(text);
    };
    const top = integer('$top', 20, 1000);
    const skip = integer('$skip', 0, 10000);
    const filterText = params.get('$filter');
    const predicate =
      filterText === null || filterText.trim() === '' ? () => true : parseFilter(filterText);
    const orderText = params.get('$orderby') ?? 'ContentDate/Start asc';
    const order =
      /^\s*(ContentDate\/Start|ContentDate\/End|PublicationDate|ModificationDate)(?:\s+(asc|desc))?\s*$/.exec(
        orderText,
      );
    if (order === null) throw new BadRequest(`Invalid $orderby: ${orderText}`);
    const key = DATE_PROPERTIES[order[1]!]!;
    const direction = order[2] === 'desc' ? -1 : 1;
    const matching = products
      .filter(predicate)
      .sort(
        (a, b) => direction * (Date.parse(key(a)) - Date.parse(key(b))) || a.id.localeCompare(b.id),
      );
    const page = matching.slice(skip, skip + top);
    const contextParts = [
      expand.attributes ? 'Attributes()' : '',
      expand.assets ? 'Assets()' : '',
    ].filter(Boolean);
    const body: Record<string, unknown> = {
      '@odata.context': `$metadata#Products${contextParts.length > 0 ? `(${contextParts.join(',')})` : ''}`,
    };
    if ((params.get('$count') ?? '').toLowerCase() === 'true')
      body['@odata.count'] = matching.length;
    body.value = page.map((p) => toProduct(p, catalogueUrl, expand));
    if (top > 0 && skip + top < matching.length) {
      const nextParams = new URLSearchParams(params);
      nextParams.set('$skip', String(skip + top));
      if (!nextParams.has('$top')) nextParams.set('$top', String(top));
      body['@odata.nextLink'] = `${catalogueUrl}/odata/v1/Products?${nextParams.toString()}`;
    }
    sendJson(res, 200, body);
  }

  const servers: FakeServer[] = [catalogue, identity, download];
  return {
    url: catalogueUrl,
    catalogueUrl,
    identityUrl,
    tokenUrl: `${identityUrl}${realm}/token`,
    downloadUrl,
    username,
    password,
    products,
    state,
    requests,
    product,
    setFaults(idOrName, faults) {
      const found = product(idOrName);
      if (found === undefined) throw new Error(`No product ${idOrName}`);
      found.faults = faults;
    },
    expireAccessTokens() {
      for (const token of accessTokens.values()) token.expiresAt = 0;
    },
    expireRefreshTokens() {
      for (const token of refreshTokens.values()) token.expiresAt = 0;
      for (const session of sessions) session.refreshExpiresAt = 0;
      countSessions();
    },
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}
