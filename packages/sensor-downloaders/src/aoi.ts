/**
 * Area of interest: every provider takes one `aoi` and needs it as WGS 84 polygons (GeoJSON for
 * Copernicus/Planet/M2M, WKT or a bbox for CMR). resolveAoi turns what a user may give — WKT,
 * GeoJSON text or object, or a vector file — into one validated, normalised {@link Aoi}, so the
 * providers never parse user input themselves.
 *
 * Rules (chosen so that results are predictable and providers get something they all accept):
 * - Points, lines and collections that mix polygons with other types become the bounding box
 *   polygon of all their positions. A box with zero width or height (one point, a meridian
 *   line) is widened by {@link DEGENERATE_BUFFER_DEG} degrees on each side, because catalogues
 *   reject zero-area polygons.
 * - Several polygons (MultiPolygon, FeatureCollection of polygons, multi-shape files) become one
 *   MultiPolygon; one polygon stays a Polygon.
 * - Open rings are closed (first position appended) rather than rejected: many hand-written
 *   WKT/GeoJSON AOIs forget the closing vertex and the intent is unambiguous.
 * - Rings are rewound to RFC 7946: exterior counter-clockwise, holes clockwise.
 * - Only x/y are kept; Z and M values are dropped.
 * - Shapefiles are reprojected from their `.prj` CRS to WGS 84 (no `.prj`: taken as WGS 84);
 *   WKT with an `SRID=n;` prefix other than 4326 is reprojected when proj4 knows `EPSG:n`.
 * - Not handled: polygons crossing the antimeridian (coordinates must stay in [-180, 180]; the
 *   bbox is the plain min/max) and self-intersection checks.
 */
import { stat } from 'node:fs/promises';
import type {
  Feature,
  FeatureCollection,
  Geometry,
  MultiPolygon,
  Polygon,
  Position,
} from 'geojson';
import proj4 from 'proj4';
import wkx from 'wkx';
import { InvalidInputError, NotFoundError } from '@geoworks/errors';
import {
  VectorFileNotFoundError,
  VectorFormatError,
  closeRing,
  makeTransform,
  mapPositions,
  openVector,
  positionsOf,
  signedArea2,
} from './vector.js';

/** `[west, south, east, north]` in degrees. */
export type Bbox = [number, number, number, number];

export type AoiGeoJson = Geometry | Feature | FeatureCollection;

/**
 * What callers may pass as an area of interest: WKT or GeoJSON text, a GeoJSON object, a path
 * to a vector file (`.shp`, `.zip` holding a shapefile, `.geojson`, `.json`), or `{ file }`.
 */
export type AoiInput = string | AoiGeoJson | { file: string };

export interface Aoi {
  /** WGS 84 lon/lat, rings closed, exterior rings counter-clockwise and holes clockwise. */
  geometry: Polygon | MultiPolygon;
  /** `[west, south, east, north]` of {@link geometry}. */
  bbox: Bbox;
  /** `POLYGON((lon lat, ...))` or `MULTIPOLYGON(...)` with closed rings. */
  wkt(): string;
}

/** Half-width in degrees added around a zero-width or zero-height box (about 0.1 m). */
export const DEGENERATE_BUFFER_DEG = 1e-6;

/** The AOI given cannot be used; the message says what is wrong with it. */
export class AoiError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'AOI_INVALID', details, cause });
  }
}

/** The AOI names a vector file that does not exist. */
export class AoiFileNotFoundError extends NotFoundError {
  constructor(file: string, cause?: unknown) {
    super(`AOI file not found: ${file}`, { code: 'AOI_FILE_NOT_FOUND', details: { file }, cause });
  }
}

/**
 * Resolve any accepted AOI form to a validated WGS 84 {@link Aoi}.
 *
 * A string is read as: GeoJSON when it starts with `{`; WKT when it starts with a geometry
 * keyword (any case, optional `SRID=n;`); otherwise a vector file path. A string that is none of
 * these and does not look like a path (no directory separator, no vector file extension) is an
 * {@link AoiError}; a path to a missing file is an {@link AoiFileNotFoundError}.
 */
export async function resolveAoi(input: AoiInput): Promise<Aoi> {
  if (typeof input === 'string') return resolveString(input);
  if (input === null || typeof input !== 'object') {
    throw new AoiError(`AOI must be a string or an object, got ${describe(input)}`);
  }
  if ('file' in input && !('type' in input)) {
    if (typeof input.file !== 'string' || input.file === '') {
      throw new AoiError('AOI { file } must be a non-empty path string');
    }
    return fromFile(input.file);
  }
  return fromGeoJson(input as AoiGeoJson, 'GeoJSON');
}

const WKT_START =
  /^(SRID=\d+\s*;\s*)?(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)\b/i;
const VECTOR_EXT = /\.(shp|zip|geojson|json)$/i;

async function resolveString(raw: string): Promise<Aoi> {
  const text = raw.trim();
  if (text === '') throw new AoiError('AOI is an empty string');
  if (text.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new AoiError(
        `AOI looks like GeoJSON but is not valid JSON: ${(error as Error).message}`,
        undefined,
        error,
      );
    }
    return fromGeoJson(doc as AoiGeoJson, 'GeoJSON');
  }
  if (WKT_START.test(text)) return fromWkt(text);
  if (await isFile(text)) return fromFile(text);
  if (VECTOR_EXT.test(text) || /[\\/]/.test(text)) throw new AoiFileNotFoundError(text);
  throw new AoiError(
    `AOI "${clip(text)}" is not WKT, GeoJSON or the path of an existing vector file`,
  );
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// WKT

function fromWkt(text: string): Aoi {
  const sridMatch = /^SRID=(\d+)\s*;\s*/i.exec(text);
  const srid = sridMatch ? Number(sridMatch[1]) : 4326;
  // wkx only knows upper-case keywords; WKT is case-insensitive. Numbers survive upper-casing.
  const body = text.slice(sridMatch ? sridMatch[0].length : 0).toUpperCase();
  checkWktTokens(body);
  let geometry: Geometry;
  try {
    geometry = wkx.Geometry.parse(body).toGeoJSON() as Geometry;
  } catch (error) {
    throw new AoiError(`AOI is not valid WKT: ${(error as Error).message}`, undefined, error);
  }
  checkGeometry(geometry, 'WKT');
  if (srid !== 4326) {
    const code = `EPSG:${srid}`;
    if (!proj4.defs(code)) {
      throw new AoiError(`AOI WKT uses SRID ${srid}, which cannot be reprojected to WGS 84`, {
        srid,
      });
    }
    const transform = makeTransform(code, 'EPSG:4326');
    if (transform) geometry = mapPositions(geometry, transform);
  }
  return normalise([geometry], 'WKT');
}

/**
 * wkx stops at the end of the first geometry and ignores what follows, so check the whole text
 * is WKT: only keywords, numbers and punctuation, with balanced parentheses.
 */
function checkWktTokens(body: string): void {
  const rest = body
    .replace(/\b(MULTI)?(POINT|LINESTRING|POLYGON)\b|\bGEOMETRYCOLLECTION\b|\bEMPTY\b/g, ' ')
    .replace(/\b(ZM|Z|M)\b/g, ' ');
  const bad = /[^\d\s(),.+\-E]/.exec(rest) ?? /E(?![+-]?\d)/.exec(rest);
  if (bad) {
    throw new AoiError(`AOI is not valid WKT: unexpected "${bad[0]}" in "${clip(body)}"`);
  }
  let depth = 0;
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) break;
  }
  if (depth !== 0) throw new AoiError(`AOI is not valid WKT: unbalanced parentheses`);
}

// ---------------------------------------------------------------------------------------------
// GeoJSON

function fromGeoJson(doc: AoiGeoJson, where: string): Aoi {
  return normalise(geometriesOfGeoJson(doc, where), where);
}

function geometriesOfGeoJson(doc: unknown, where: string): Geometry[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new AoiError(`${where} AOI must be a GeoJSON object, got ${describe(doc)}`);
  }
  const obj = doc as { type?: unknown; features?: unknown; geometry?: unknown };
  if (obj.type === 'FeatureCollection') {
    if (!Array.isArray(obj.features)) {
      throw new AoiError(`${where} AOI: FeatureCollection has no "features" array`);
    }
    const geometries: Geometry[] = [];
    obj.features.forEach((f: unknown, i) => {
      const g = (f as { geometry?: unknown } | null)?.geometry;
      // A feature without geometry carries no area; skip it rather than fail the whole AOI.
      if (g === null || g === undefined) return;
      checkGeometry(g, `${where} feature ${i}`);
      geometries.push(g);
    });
    if (geometries.length === 0) {
      throw new AoiError(`${where} AOI: FeatureCollection has no features with a geometry`);
    }
    return geometries;
  }
  if (obj.type === 'Feature') {
    if (obj.geometry === null || obj.geometry === undefined) {
      throw new AoiError(`${where} AOI: Feature has no geometry`);
    }
    checkGeometry(obj.geometry, `${where} feature`);
    return [obj.geometry];
  }
  checkGeometry(doc, where);
  return [doc];
}

const DEPTH: Record<string, number> = {
  Point: 0,
  MultiPoint: 1,
  LineString: 1,
  MultiLineString: 2,
  Polygon: 2,
  MultiPolygon: 3,
};

/** Structure check of a GeoJSON geometry: a known type and arrays nested to the right depth. */
function checkGeometry(g: unknown, where: string): asserts g is Geometry {
  const obj = g as { type?: unknown; coordinates?: unknown; geometries?: unknown } | null;
  if (obj === null || typeof obj !== 'object' || typeof obj.type !== 'string') {
    throw new AoiError(`${where} AOI: not a GeoJSON geometry (no "type")`);
  }
  if (obj.type === 'GeometryCollection') {
    if (!Array.isArray(obj.geometries)) {
      throw new AoiError(`${where} AOI: GeometryCollection has no "geometries" array`);
    }
    obj.geometries.forEach((c: unknown, i) => checkGeometry(c, `${where} geometry ${i}`));
    return;
  }
  const depth = DEPTH[obj.type];
  if (depth === undefined) {
    throw new AoiError(`${where} AOI: unknown GeoJSON type "${obj.type}"`, { type: obj.type });
  }
  checkNested(obj.coordinates, depth, `${where} ${obj.type}`, 'coordinates');
}

function checkNested(value: unknown, depth: number, where: string, at: string): void {
  if (!Array.isArray(value)) throw new AoiError(`${where} AOI: ${at} is not an array`);
  if (depth === 0) {
    if (value.length < 2 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new AoiError(
        `${where} AOI: position ${at} must be at least two finite numbers, got ${clip(JSON.stringify(value))}`,
      );
    }
    return;
  }
  value.forEach((v, i) => checkNested(v, depth - 1, where, `${at}[${i}]`));
}

// ---------------------------------------------------------------------------------------------
// Files

async function fromFile(file: string): Promise<Aoi> {
  if (!(await isFile(file))) throw new AoiFileNotFoundError(file);
  try {
    const source = await openVector(file);
    const transform = makeTransform(source.crs, 'EPSG:4326');
    const geometries: Geometry[] = [];
    let i = 0;
    for await (const shape of source.shapes()) {
      const where = `file ${file} shape ${i++}`;
      if (shape === null) continue;
      checkGeometry(shape, where);
      geometries.push(transform ? mapPositions(shape, transform) : shape);
    }
    if (geometries.length === 0) throw new AoiError(`AOI file ${file} has no shapes`, { file });
    return normalise(geometries, `file ${file}`);
  } catch (error) {
    if (error instanceof VectorFileNotFoundError) throw new AoiFileNotFoundError(file, error);
    if (error instanceof VectorFormatError) {
      throw new AoiError(`AOI file ${file}: ${error.message}`, { file }, error);
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Normalisation

function normalise(input: Geometry[], where: string): Aoi {
  const geometries = input.flatMap(flattenCollection);
  if (geometries.length === 0) throw new AoiError(`${where} AOI has no geometry`);
  const positions = geometries.flatMap((g) => [...positionsOf(g)]);
  if (positions.length === 0) throw new AoiError(`${where} AOI is an empty geometry`);
  checkLonLat(positions, where);

  let polygons: Position[][][];
  if (geometries.every((g) => g.type === 'Polygon' || g.type === 'MultiPolygon')) {
    polygons = geometries.flatMap((g) =>
      g.type === 'Polygon' ? [g.coordinates] : (g as MultiPolygon).coordinates,
    );
    polygons = polygons.map((p, i) => normalisePolygon(p, `${where} polygon ${i}`));
  } else {
    // Points and lines have no area; mixed collections have no single meaningful polygon set.
    polygons = [bboxPolygon(bufferDegenerate(extentOf(positions))).coordinates];
  }

  const geometry: Polygon | MultiPolygon =
    polygons.length === 1
      ? { type: 'Polygon', coordinates: polygons[0] as Position[][] }
      : { type: 'MultiPolygon', coordinates: polygons };
  const bbox = extentOf(polygons.flat(2));
  return { geometry, bbox, wkt: () => toWkt(geometry) };
}

function flattenCollection(g: Geometry): Geometry[] {
  return g.type === 'GeometryCollection' ? g.geometries.flatMap(flattenCollection) : [g];
}

function checkLonLat(positions: Position[], where: string): void {
  for (const p of positions) {
    const [lon, lat] = p as [number, number];
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) {
      throw new AoiError(`${where} AOI has a non-numeric coordinate (${lon} ${lat})`);
    }
    if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
      throw new AoiError(
        `${where} AOI coordinate (${lon} ${lat}) is outside WGS 84 lon [-180, 180] / lat [-90, 90]` +
          ' (projected coordinates without a CRS, or lat/lon swapped?)',
        { lon, lat },
      );
    }
  }
}

function normalisePolygon(rings: Position[][], where: string): Position[][] {
  if (rings.length === 0) throw new AoiError(`${where} is empty (no rings)`);
  return rings.map((ring, i) => {
    const name = i === 0 ? `${where} exterior ring` : `${where} hole ${i - 1}`;
    const closed = closeRing(ring.map((p) => [p[0] as number, p[1] as number]));
    if (closed.length < 4) {
      throw new AoiError(`${name} has ${closed.length} positions once closed; at least 4 needed`);
    }
    const area = signedArea2(closed);
    if (area === 0) throw new AoiError(`${name} has zero area`);
    const wantCcw = i === 0;
    return area > 0 === wantCcw ? closed : closed.reverse();
  });
}

function extentOf(positions: Position[]): Bbox {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  for (const p of positions) {
    const [x, y] = p as [number, number];
    if (x < w) w = x;
    if (x > e) e = x;
    if (y < s) s = y;
    if (y > n) n = y;
  }
  return [w, s, e, n];
}

function bufferDegenerate([w, s, e, n]: Bbox): Bbox {
  const d = DEGENERATE_BUFFER_DEG;
  if (w === e) [w, e] = [Math.max(-180, w - d), Math.min(180, e + d)];
  if (s === n) [s, n] = [Math.max(-90, s - d), Math.min(90, n + d)];
  return [w, s, e, n];
}

// ---------------------------------------------------------------------------------------------
// Helpers for providers

/** The polygons of an AOI (one for a Polygon, each part of a MultiPolygon). */
export function polygonsOf(aoi: Aoi): Polygon[] {
  const g = aoi.geometry;
  return g.type === 'Polygon'
    ? [g]
    : g.coordinates.map((coordinates) => ({ type: 'Polygon', coordinates }));
}

/** True when the ring winds counter-clockwise in lon/lat (the RFC 7946 exterior order). */
export function ringCounterClockwise(ring: readonly Position[]): boolean {
  return signedArea2(closeRing([...ring])) > 0;
}

/** The closed, counter-clockwise polygon of a `[west, south, east, north]` box. */
export function bboxPolygon([w, s, e, n]: Bbox): Polygon {
  return {
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
  };
}

function toWkt(g: Polygon | MultiPolygon): string {
  const ring = (r: Position[]) => `(${r.map((p) => `${p[0]} ${p[1]}`).join(', ')})`;
  const poly = (rings: Position[][]) => `(${rings.map(ring).join(', ')})`;
  return g.type === 'Polygon'
    ? `POLYGON${poly(g.coordinates)}`
    : `MULTIPOLYGON(${g.coordinates.map(poly).join(', ')})`;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
