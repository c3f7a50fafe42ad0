import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import gdal from 'gdal-async';
import { JsonArraySplitter, JsonSplitError } from '@geoworks/json-split';
import {
  DuplicateLabelError,
  MalformedGeometryError,
  MissingFieldError,
  NotAVectorDatasetError,
} from './errors.js';
import {
  isEmptyWithoutFields,
  toLabel,
  type FieldKind,
  type GeometryFamily,
  type Label,
  type VectorDataset,
  type VectorFeature,
  type VectorFeatureWkb,
} from './vector.js';
import { setUpGdal } from './gdal.js';
import { wkbProblem } from './wkb.js';

/** GeoJSON files up to this size are parsed in JavaScript; larger ones go to GDAL (streaming). */
const MAX_BYTES = 64 * 1024 * 1024;
/** How much of the file each step of the feature splitting takes: small runs of features die young. */
const SPLIT_CHUNK_BYTES = 64 * 1024;

interface GeoJsonFeature {
  type?: unknown;
  properties?: Record<string, unknown> | null;
  geometry?: GeoJsonGeometry | null;
}

interface GeoJsonGeometry {
  type?: unknown;
  coordinates?: unknown;
  geometries?: unknown;
}

/** What is kept of a feature: its properties and its geometry as WKB, not the parsed tree. */
interface CompactFeature {
  properties: Record<string, unknown> | null;
  /** The geometry's type; null for no geometry or an empty one. */
  type: string | null;
  /** Null for no, an empty or a malformed geometry (GDAL drops those too). */
  wkb: Buffer | null;
  /** Why a geometry could not be made WKB at all (checkGeometries reports it). */
  problem: string | null;
}

/**
 * A GeoJSON FeatureCollection parsed in JavaScript and turned into WKB directly: about four
 * times faster than GDAL's driver (see the benchmark), which scans the file once for its schema
 * and parses it again feature by feature. Features are split out (`@geoworks/json-split`) and
 * parsed 64 KiB at a time, and only their properties and WKB are kept: a tree of the whole
 * file (hundreds of MB for 60 MB of text, surviving to be copied by the collector) never
 * exists. Field types and labels follow GDAL's rules (integers stay integers; a field mixing
 * kinds is a string field).
 */
export class GeoJsonSource implements VectorDataset {
  readonly path: string;
  readonly layerName: string;
  readonly srs: gdal.SpatialReference | null;
  readonly featureCount: number;
  readonly fieldNames: readonly string[];
  readonly #features: CompactFeature[];
  readonly #kinds = new Map<string, FieldKind>();
  /** Integer-looking fields with a number written as a real (`2.0`): GDAL makes them Real. */
  readonly #writtenAsReals: ReadonlySet<string>;
  #family: GeometryFamily | null | undefined;

  private constructor(path: string, features: CompactFeature[], crs: unknown, text: Buffer) {
    this.path = path;
    this.layerName = basename(path).replace(/\.[^.]+$/, '');
    this.#features = features;
    this.featureCount = features.length;
    const names = new Set<string>();
    for (const feature of features) {
      if (feature.properties !== null && typeof feature.properties === 'object') {
        for (const name of Object.keys(feature.properties)) names.add(name);
      }
    }
    this.fieldNames = [...names];
    this.srs = parseCrs(crs);
    this.#writtenAsReals = new Set(
      this.fieldNames.filter(
        (name) =>
          inferKind(features.map((feature) => feature.properties?.[name])) === 'int' &&
          features.some((feature) => typeof feature.properties?.[name] === 'number') &&
          writtenAsReal(text, name),
      ),
    );
  }

  /** Whether `openVector` should read this file here rather than through GDAL. */
  static accepts(path: string, layer: string | number | undefined): boolean {
    if (!/\.(geo)?json$/i.test(path)) return false;
    if (layer !== undefined && layer !== 0 && layer !== basename(path).replace(/\.[^.]+$/, ''))
      return false;
    try {
      return statSync(path).size <= MAX_BYTES;
    } catch {
      return false;
    }
  }

  static open(path: string): VectorDataset {
    const bytes = withoutBom(readFileSync(path));
    // The features are split out 64 KiB at a time and each run parsed, kept as properties
    // and WKB, and dropped young: no tree of the whole file.
    const features: CompactFeature[] = [];
    const split = splitFeatures(path, slices(bytes));
    let step = split.next();
    for (; step.done !== true; step = split.next()) features.push(compact(step.value));
    const document = step.value;
    if (document?.['type'] === 'FeatureCollection' && Array.isArray(document['features'])) {
      return new GeoJsonSource(path, features, document['crs'], bytes);
    }
    if (document?.['type'] === 'Feature') {
      return new GeoJsonSource(path, [compact(document as GeoJsonFeature)], document['crs'], bytes);
    }
    if (document === undefined) {
      // Not a whole JSON object: JSON.parse says what is wrong with it.
      try {
        JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        throw notJson(path, error);
      }
    }
    throw new NotAVectorDatasetError(
      path,
      'a GeoJSON file must hold a FeatureCollection or a Feature',
    );
  }

  get family(): GeometryFamily | null {
    if (this.#family !== undefined) return this.#family;
    let found: GeometryFamily | null = null;
    for (const feature of this.#features) {
      if (feature.type === null) continue;
      const family = geoJsonFamily(feature.type);
      if (family === null || (found !== null && family !== found)) {
        this.#family = null;
        return null;
      }
      found = family;
    }
    this.#family = found;
    return found;
  }

  checkGeometries(): void {
    this.#features.forEach((feature, index) => {
      const problem = feature.problem ?? (feature.wkb === null ? null : wkbProblem(feature.wkb));
      if (problem !== null) throw new MalformedGeometryError(this.path, index, problem);
    });
  }

  requireField(field: string): void {
    if (!this.fieldNames.includes(field) && !isEmptyWithoutFields(this))
      throw new MissingFieldError(this.path, field, this.fieldNames);
  }

  fieldKind(field: string): FieldKind {
    this.requireField(field);
    let kind = this.#kinds.get(field);
    if (kind === undefined) {
      kind = inferKind(this.#features.map((feature) => feature.properties?.[field]));
      if (kind === 'int' && this.#writtenAsReals.has(field)) kind = 'float';
      this.#kinds.set(field, kind);
    }
    return kind;
  }

  #label(feature: CompactFeature, field: string, kind: FieldKind): Label {
    const value = feature.properties?.[field];
    if (kind === 'str' && (typeof value === 'number' || typeof value === 'boolean'))
      return String(value);
    return toLabel(value);
  }

  *featuresWkb(field?: string): Generator<VectorFeatureWkb> {
    const kind = field === undefined ? null : this.fieldKind(field);
    for (let index = 0; index < this.#features.length; index++) {
      const feature = this.#features[index]!;
      yield {
        index,
        label: field === undefined ? null : this.#label(feature, field, kind!),
        wkb: feature.wkb,
      };
    }
  }

  *features(field?: string): Generator<VectorFeature> {
    for (const { index, label, wkb } of this.featuresWkb(field)) {
      yield { index, label, geometry: wkb === null ? null : gdal.Geometry.fromWKB(wkb) };
    }
  }

  *records(
    fields: readonly string[],
  ): Generator<{ index: number; values: Label[]; geometry: gdal.Geometry | null }> {
    const kinds = fields.map((field) => this.fieldKind(field));
    for (let index = 0; index < this.#features.length; index++) {
      const feature = this.#features[index]!;
      const wkb = feature.wkb;
      yield {
        index,
        values: fields.map((field, i) => this.#label(feature, field, kinds[i]!)),
        geometry: wkb === null ? null : gdal.Geometry.fromWKB(wkb),
      };
    }
  }

  labels(field: string): Label[] {
    const kind = this.fieldKind(field);
    const labels: Label[] = [];
    const seen = new Map<Label, number>();
    // Labels only: no geometry is converted.
    for (let index = 0; index < this.#features.length; index++) {
      const label = this.#label(this.#features[index]!, field, kind);
      const previous = seen.get(label);
      if (previous !== undefined)
        throw new DuplicateLabelError(this.path, field, label, previous, index);
      seen.set(label, index);
      labels.push(label);
    }
    return labels;
  }

  close(): void {}
}

const FAMILY: Record<string, GeometryFamily> = {
  Point: 'point',
  MultiPoint: 'point',
  LineString: 'line',
  MultiLineString: 'line',
  Polygon: 'polygon',
  MultiPolygon: 'polygon',
};

/** The family of a GeoJSON geometry type; null for collections and unknown types. */
export function geoJsonFamily(type: string): GeometryFamily | null {
  return Object.hasOwn(FAMILY, type) ? FAMILY[type]! : null;
}

function parseCrs(crs: unknown): gdal.SpatialReference | null {
  const name = (crs as { properties?: { name?: unknown } } | undefined)?.properties?.name;
  if (typeof name !== 'string') return null;
  try {
    // As GDAL's driver: OGC's CRS84 is WGS84 (EPSG:4326, longitude first).
    return setUpGdal().SpatialReference.fromUserInput(/CRS84$/i.test(name) ? 'EPSG:4326' : name);
  } catch {
    return null;
  }
}

/** GDAL's field typing: integers, then reals, else strings (mixing kinds gives a string). */
function inferKind(values: unknown[]): FieldKind {
  let kind: FieldKind | null = null;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const own: FieldKind =
      typeof value === 'number'
        ? Number.isInteger(value)
          ? 'int'
          : 'float'
        : typeof value === 'boolean'
          ? 'int'
          : 'str';
    if (kind === null) kind = own;
    else if (kind !== own)
      kind =
        (kind === 'int' && own === 'float') || (kind === 'float' && own === 'int')
          ? 'float'
          : 'str';
  }
  return kind ?? 'str';
}

const COLON = 0x3a;
const SPACES = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Whether some value of member `name` is a number written as a real (`2.0`, `1e3`), which GDAL
 * types Real although JSON.parse gives an integer. A search of the text for `"name":`, so a
 * member of that name outside the properties (a foreign member, a nested object) counts too:
 * close enough for a question that only arises for integral values.
 */
function writtenAsReal(text: Buffer, name: string): boolean {
  const needle = Buffer.from(JSON.stringify(name));
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    let i = at + needle.length;
    while (SPACES.has(text[i]!)) i++;
    if (text[i] !== COLON) continue;
    i++;
    while (SPACES.has(text[i]!)) i++;
    let end = i;
    while (end < text.length && /[-+.\deE]/.test(String.fromCharCode(text[end]!))) end++;
    if (end > i && /[.eE]/.test(text.toString('latin1', i, end))) return true;
  }
  return false;
}

function withoutBom(file: Buffer): Buffer {
  // A UTF-8 byte order mark (some Windows tools write one) is not JSON: GDAL skips it too.
  return file[0] === 0xef && file[1] === 0xbb && file[2] === 0xbf ? file.subarray(3) : file;
}

function* slices(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += SPLIT_CHUNK_BYTES)
    yield bytes.subarray(at, at + SPLIT_CHUNK_BYTES);
}

/** A file's bytes a chunk at a time, each chunk its own buffer (the splitter keeps tails). */
function* fileChunks(path: string): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    for (let first = true; ; first = false) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      const length = readSync(fd, chunk, 0, chunk.length, null);
      if (length === 0) return;
      yield first ? withoutBom(chunk.subarray(0, length)) : chunk.subarray(0, length);
    }
  } finally {
    closeSync(fd);
  }
}

function notJson(path: string, error: unknown): NotAVectorDatasetError {
  return new NotAVectorDatasetError(path, `not valid JSON (${(error as Error).message})`);
}

/**
 * The features of a GeoJSON text given in chunks, each parsed on its own; returns the rest of
 * the document, parsed (undefined when it is not a whole JSON object).
 */
function* splitFeatures(
  path: string,
  chunks: Iterable<Buffer>,
): Generator<GeoJsonFeature, Record<string, unknown> | undefined> {
  const splitter = new JsonArraySplitter({ path: ['features'] });
  try {
    for (const chunk of chunks)
      for (const feature of splitter.push(chunk)) yield feature as GeoJsonFeature;
  } catch (error) {
    if (!(error instanceof JsonSplitError)) throw error;
    throw error.problem === 'not-json'
      ? notJson(path, error.cause)
      : new NotAVectorDatasetError(path, error.message);
  }
  return splitter.end().document;
}

/**
 * Throws a MalformedGeometryError for the first feature of a GeoJSON file whose geometry is
 * malformed, reading the text a chunk at a time. For files GDAL reads: its driver drops a
 * geometry it cannot parse without a word, so only the text shows it.
 */
export function checkGeoJsonGeometries(path: string): void {
  let index = 0;
  const check = (feature: GeoJsonFeature) => {
    const { wkb, problem } = convertGeometry(feature?.geometry);
    const found = problem ?? (wkb === null ? null : wkbProblem(wkb));
    if (found !== null) throw new MalformedGeometryError(path, index, found);
    index++;
  };
  const split = splitFeatures(path, fileChunks(path));
  let step = split.next();
  for (; step.done !== true; step = split.next()) check(step.value);
  if (step.value?.['type'] === 'Feature') check(step.value as GeoJsonFeature);
}

function isEmpty(geometry: GeoJsonGeometry): boolean {
  const parts = geometry.type === 'GeometryCollection' ? geometry.geometries : geometry.coordinates;
  return Array.isArray(parts) && parts.length === 0;
}

function compact(feature: GeoJsonFeature): CompactFeature {
  const properties =
    feature !== null && typeof feature === 'object' && typeof feature.properties === 'object'
      ? feature.properties
      : null;
  const geometry = feature?.geometry;
  const present = geometry !== null && geometry !== undefined && !isEmpty(geometry);
  return {
    properties,
    type: present ? String(geometry.type) : null,
    ...convertGeometry(geometry),
  };
}

// ---- GeoJSON geometry to WKB (little endian, 2D) ---------------------------------------------

const TYPE_CODE: Record<string, number> = {
  Point: 1,
  LineString: 2,
  Polygon: 3,
  MultiPoint: 4,
  MultiLineString: 5,
  MultiPolygon: 6,
  GeometryCollection: 7,
};

/** WKB of a GeoJSON geometry; null for no or an empty geometry, or one that is malformed. */
export function geometryWkb(geometry: GeoJsonGeometry | null | undefined): Buffer | null {
  return convertGeometry(geometry).wkb;
}

/** WKB of a geometry, or why it cannot be made (GDAL drops such geometries, and so do we). */
function convertGeometry(geometry: GeoJsonGeometry | null | undefined): {
  wkb: Buffer | null;
  problem: string | null;
} {
  if (geometry === null || geometry === undefined || isEmpty(geometry))
    return { wkb: null, problem: null };
  try {
    const size = wkbSize(geometry);
    const buffer = Buffer.allocUnsafe(size);
    const end = writeGeometry(buffer, 0, geometry);
    if (end !== size) throw new Error('the geometry changed while it was written');
    return { wkb: buffer, problem: null };
  } catch (error) {
    return { wkb: null, problem: (error as Error).message };
  }
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

function positions(value: unknown, depth: number): unknown[] {
  if (!Array.isArray(value)) throw new Error(`coordinates must be arrays, not ${shown(value)}`);
  if (depth === 0) {
    if (value.length < 2 || value.some((coordinate) => typeof coordinate !== 'number'))
      throw new Error(`a position must hold two or more numbers, not ${shown(value)}`);
    if (!value.every(Number.isFinite)) throw new Error('a coordinate is not a finite number');
  }
  return value;
}

function wkbSize(geometry: GeoJsonGeometry): number {
  const type = String(geometry.type);
  const c = geometry.coordinates;
  switch (type) {
    case 'Point':
      positions(c, 0);
      return 21;
    case 'LineString':
      return 9 + 16 * positions(c, 1).length;
    case 'Polygon':
      return (
        9 +
        positions(c, 2).reduce<number>((sum, ring) => sum + 4 + 16 * positions(ring, 1).length, 0)
      );
    case 'MultiPoint':
      return 9 + 21 * positions(c, 1).length;
    case 'MultiLineString':
      return (
        9 +
        positions(c, 2).reduce<number>((sum, line) => sum + 9 + 16 * positions(line, 1).length, 0)
      );
    case 'MultiPolygon':
      return (
        9 +
        positions(c, 3).reduce<number>(
          (sum, polygon) =>
            sum +
            9 +
            positions(polygon, 2).reduce<number>(
              (s, ring) => s + 4 + 16 * positions(ring, 1).length,
              0,
            ),
          0,
        )
      );
    case 'GeometryCollection':
      return (
        9 +
        positions(geometry.geometries, 1).reduce<number>(
          (sum, part) => sum + wkbSize(part as GeoJsonGeometry),
          0,
        )
      );
    default:
      throw new Error(`unknown geometry type ${shown(geometry.type)}`);
  }
}

function writeHeader(buffer: Buffer, offset: number, type: number): number {
  buffer.writeUInt8(1, offset);
  buffer.writeUInt32LE(type, offset + 1);
  return offset + 5;
}

function writePosition(buffer: Buffer, offset: number, position: unknown): number {
  const [x, y] = positions(position, 0) as [number, number];
  buffer.writeDoubleLE(x, offset);
  buffer.writeDoubleLE(y, offset + 8);
  return offset + 16;
}

function writePositions(buffer: Buffer, offset: number, list: unknown): number {
  const items = positions(list, 1);
  buffer.writeUInt32LE(items.length, offset);
  offset += 4;
  for (const position of items) offset = writePosition(buffer, offset, position);
  return offset;
}

function writeRings(buffer: Buffer, offset: number, rings: unknown): number {
  const items = positions(rings, 2);
  buffer.writeUInt32LE(items.length, offset);
  offset += 4;
  for (const ring of items) offset = writePositions(buffer, offset, ring);
  return offset;
}

function writeGeometry(buffer: Buffer, offset: number, geometry: GeoJsonGeometry): number {
  const type = String(geometry.type);
  offset = writeHeader(buffer, offset, TYPE_CODE[type]!);
  const c = geometry.coordinates;
  switch (type) {
    case 'Point':
      return writePosition(buffer, offset, c);
    case 'LineString':
      return writePositions(buffer, offset, c);
    case 'Polygon':
      return writeRings(buffer, offset, c);
    case 'MultiPoint': {
      const items = positions(c, 1);
      buffer.writeUInt32LE(items.length, offset);
      offset += 4;
      for (const position of items)
        offset = writePosition(buffer, writeHeader(buffer, offset, 1), position);
      return offset;
    }
    case 'MultiLineString': {
      const items = positions(c, 2);
      buffer.writeUInt32LE(items.length, offset);
      offset += 4;
      for (const line of items)
        offset = writePositions(buffer, writeHeader(buffer, offset, 2), line);
      return offset;
    }
    case 'MultiPolygon': {
      const items = positions(c, 3);
      buffer.writeUInt32LE(items.length, offset);
      offset += 4;
      for (const polygon of items)
        offset = writeRings(buffer, writeHeader(buffer, offset, 3), polygon);
      return offset;
    }
    default: {
      const parts = positions(geometry.geometries, 1);
      buffer.writeUInt32LE(parts.length, offset);
      offset += 4;
      for (const part of parts) offset = writeGeometry(buffer, offset, part as GeoJsonGeometry);
      return offset;
    }
  }
}
