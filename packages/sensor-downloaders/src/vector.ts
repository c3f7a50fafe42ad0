/**
 * Vector-file helpers (the seed's `pci.downloaders.vector`, in TypeScript naming): the extent of
 * all shapes of a file, one shape as GeoJSON, and GeoJSON polygons built from vertex lists.
 *
 * Supported files: ESRI shapefiles (`.shp`, with `.prj` beside it giving the CRS), a `.zip`
 * holding one shapefile, and GeoJSON (`.geojson` / `.json`, WGS 84 per RFC 7946 unless it
 * carries an old-style `crs` member naming an EPSG code proj4 knows).
 *
 * A shapefile without a `.prj` is taken to be WGS 84 lon/lat: that is what nearly all such files
 * in the wild are, and callers that care can validate the coordinates (resolveAoi does).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Geometry, Polygon, Position } from 'geojson';
import proj4 from 'proj4';
import { openShp } from 'shapefile';
import yauzl from 'yauzl';
import { InvalidInputError, NotFoundError } from '@geoworks/errors';

/** `[x, y]` in the CRS it was asked for. */
export type Point2 = [number, number];

/** Four corners `[ll, lr, ur, ul]` of an extent (a quadrilateral once reprojected). */
export type Corners = [Point2, Point2, Point2, Point2];

export interface VectorOptions {
  /**
   * CRS of the output: an EPSG code proj4 knows (`'EPSG:4326'`, `'EPSG:3857'`, `'EPSG:326nn'`),
   * a proj4 string or a WKT projection string. Omitted: the file's own CRS.
   */
  outputCrs?: string;
}

/** A shape index that is not an integer in `[0, shapeCount)`. */
export class InvalidShapeIdError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, { code: 'INVALID_SHAPE_ID', details });
  }
}

/** The vector file (or a part a shapefile needs) does not exist. */
export class VectorFileNotFoundError extends NotFoundError {
  constructor(file: string, cause?: unknown) {
    super(`Vector file not found: ${file}`, {
      code: 'VECTOR_FILE_NOT_FOUND',
      details: { file },
      cause,
    });
  }
}

/** The file exists but cannot be read as a vector file, or a CRS cannot be understood. */
export class VectorFormatError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'VECTOR_INVALID', details, cause });
  }
}

const WGS84 = 'EPSG:4326';

/**
 * An opened vector file: its CRS and its shapes, streamed. A shapefile is already open once
 * openVector returns (its header gives `headerBbox`): iterate `shapes()`, to the end or with an
 * early `break`, so the file handle is released.
 */
export interface VectorSource {
  /** proj4-usable CRS definition (a `.prj` WKT, an EPSG code); WGS 84 when the file names none. */
  crs: string;
  /** Extent from the file header when the format has one (shapefile), to avoid a full scan. */
  headerBbox: [number, number, number, number] | undefined;
  /** Geometries in file order; `null` for a shapefile's null shape (it still takes an index). */
  shapes(): AsyncGenerator<Geometry | null>;
}

/**
 * Open a vector file by extension. Internal to the package (resolveAoi uses it) but exported so
 * providers can stream big files themselves.
 */
export async function openVector(file: string): Promise<VectorSource> {
  await assertFile(file);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.shp') {
    const prj = await readSidecar(file, '.prj');
    return shapefileSource(file, file, prj === undefined ? WGS84 : prj.toString('utf8').trim());
  }
  if (ext === '.zip') return zipSource(file);
  if (ext === '.geojson' || ext === '.json') return geoJsonFileSource(file);
  throw new VectorFormatError(
    `Unsupported vector file type "${ext || '(none)'}" for ${file}: use .shp, .zip (shapefile), .geojson or .json`,
    { file },
  );
}

async function assertFile(file: string): Promise<void> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new VectorFormatError(`Not a file: ${file}`, { file });
  } catch (error) {
    if (error instanceof VectorFormatError) throw error;
    throw new VectorFileNotFoundError(file, error);
  }
}

/** `x.shp` → `x.prj` or `x.PRJ` (shapefiles made on Windows often use upper-case extensions). */
async function readSidecar(shp: string, ext: string): Promise<Buffer | undefined> {
  const base = shp.slice(0, -path.extname(shp).length);
  for (const candidate of [base + ext, base + ext.toUpperCase()]) {
    try {
      return await readFile(candidate);
    } catch {
      // try the next spelling
    }
  }
  return undefined;
}

function shapefileSource(
  shp: string | Uint8Array,
  label: string,
  crs: string,
): Promise<VectorSource> {
  // Geometry only: openShp does not need the .dbf, so a missing or oddly encoded attribute
  // table cannot stop us from reading shapes, and attributes are never used here.
  const openIt = async () => {
    try {
      return await openShp(shp);
    } catch (error) {
      throw new VectorFormatError(
        `Cannot read shapefile ${label}: ${(error as Error).message}`,
        { file: label },
        error,
      );
    }
  };
  return openIt().then((first) => {
    const b = first.bbox;
    const headerBbox =
      b.length >= 4 && b.slice(0, 4).every(Number.isFinite)
        ? ([b[0], b[1], b[2], b[3]] as [number, number, number, number])
        : undefined;
    let used = false;
    return {
      crs,
      headerBbox,
      async *shapes() {
        // The header read above already opened one stream; reuse it the first time.
        const source = used ? await openIt() : first;
        used = true;
        try {
          for (;;) {
            let next;
            try {
              next = await source.read();
            } catch (error) {
              throw new VectorFormatError(
                `Cannot read shapefile ${label}: ${(error as Error).message}`,
                { file: label },
                error,
              );
            }
            if (next.done) return;
            yield next.value ?? null;
          }
        } finally {
          await source.cancel().catch(() => undefined);
        }
      },
    };
  });
}

/** A zip holding one shapefile: the `.shp` and `.prj` are read into memory (zips are small). */
async function zipSource(file: string): Promise<VectorSource> {
  let entries: Map<string, Buffer>;
  try {
    entries = await readZipEntries(file, /\.(shp|prj)$/i);
  } catch (error) {
    throw new VectorFormatError(
      `Cannot read zip ${file}: ${(error as Error).message}`,
      { file },
      error,
    );
  }
  const shpNames = [...entries.keys()].filter((n) => /\.shp$/i.test(n));
  if (shpNames.length !== 1) {
    throw new VectorFormatError(`${file} must hold exactly one .shp, found ${shpNames.length}`, {
      file,
      shapefiles: shpNames,
    });
  }
  const shpName = shpNames[0] as string;
  const base = shpName.slice(0, -4).toLowerCase();
  const prjName = [...entries.keys()].find((n) => n.toLowerCase() === `${base}.prj`);
  const prj = prjName === undefined ? undefined : entries.get(prjName);
  return shapefileSource(
    new Uint8Array(entries.get(shpName) as Buffer),
    `${file}!${shpName}`,
    prj === undefined ? WGS84 : prj.toString('utf8').trim(),
  );
}

function readZipEntries(file: string, wanted: RegExp): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open zip'));
      const out = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/') || !wanted.test(entry.fileName)) {
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('cannot read zip entry'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** GeoJSON files are parsed whole: JSON has no streaming reader in the dependency set. */
async function geoJsonFileSource(file: string): Promise<VectorSource> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new VectorFormatError(
      `${file} is not valid JSON: ${(error as Error).message}`,
      { file },
      error,
    );
  }
  const geometries = geoJsonShapes(doc, file);
  return {
    crs: geoJsonCrs(doc, file),
    headerBbox: undefined,
    async *shapes() {
      yield* geometries;
    },
  };
}

/** A FeatureCollection's features, a Feature, or a bare geometry: one shape each. */
function geoJsonShapes(doc: unknown, file: string): (Geometry | null)[] {
  const obj = doc as { type?: unknown; features?: unknown; geometry?: unknown };
  if (obj === null || typeof obj !== 'object' || typeof obj.type !== 'string') {
    throw new VectorFormatError(`${file} is not a GeoJSON object (no "type")`, { file });
  }
  if (obj.type === 'FeatureCollection') {
    if (!Array.isArray(obj.features)) {
      throw new VectorFormatError(`${file}: FeatureCollection without a "features" array`, {
        file,
      });
    }
    return obj.features.map((f) => (f as { geometry?: Geometry | null }).geometry ?? null);
  }
  if (obj.type === 'Feature') return [(obj.geometry as Geometry | null) ?? null];
  return [doc as Geometry];
}

/**
 * RFC 7946 GeoJSON is WGS 84; files from older tools may say otherwise in a `crs` member
 * (`EPSG:3857`, `urn:ogc:def:crs:EPSG::3857`), which we honour rather than misread metres as
 * degrees.
 */
function geoJsonCrs(doc: unknown, file: string): string {
  const name = (doc as { crs?: { properties?: { name?: unknown } } }).crs?.properties?.name;
  if (typeof name !== 'string') return WGS84;
  if (/CRS84$/i.test(name)) return WGS84;
  const m = /EPSG:{1,2}(?:[\d.]*:)?(\d+)$/i.exec(name);
  if (!m) {
    throw new VectorFormatError(`${file}: unsupported "crs" ${name}`, { file, crs: name });
  }
  return `EPSG:${m[1]}`;
}

/** Build a converter from `from` to `to`, or undefined when both are the same CRS. */
export function makeTransform(
  from: string,
  to: string | undefined,
): ((p: Position) => Position) | undefined {
  if (to === undefined || sameCrs(from, to)) return undefined;
  let converter: proj4.Converter;
  try {
    converter = proj4(from, to);
  } catch (error) {
    throw new VectorFormatError(
      `Cannot reproject from ${shortCrs(from)} to ${shortCrs(to)}: ${(error as Error).message}`,
      { from, to },
      error,
    );
  }
  return (p) => {
    const [x, y] = converter.forward([p[0] as number, p[1] as number]);
    return p.length > 2 ? [x as number, y as number, ...p.slice(2)] : [x as number, y as number];
  };
}

function shortCrs(crs: string): string {
  return crs.length > 60 ? `${crs.slice(0, 57)}...` : crs;
}

/** Same string, or both plain WGS 84 lon/lat (the common `.prj` vs `'EPSG:4326'` case). */
function sameCrs(a: string, b: string): boolean {
  if (a === b) return true;
  return isWgs84LonLat(a) && isWgs84LonLat(b);
}

function isWgs84LonLat(crs: string): boolean {
  try {
    const def = proj4.Proj(crs) as unknown as {
      projName?: string;
      datumCode?: string;
      datum?: { datum_type?: number; a?: number; rf?: number };
      from_greenwich?: number;
    };
    if (def.projName !== 'longlat' || (def.from_greenwich ?? 0) !== 0) return false;
    const code = (def.datumCode ?? '').toLowerCase();
    return code === 'wgs84' || /wgs_?1984/.test(code);
  } catch {
    return false;
  }
}

/** Apply `fn` to every position of a geometry, keeping its structure. */
export function mapPositions(geometry: Geometry, fn: (p: Position) => Position): Geometry {
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: fn(geometry.coordinates) };
    case 'MultiPoint':
    case 'LineString':
      return { type: geometry.type, coordinates: geometry.coordinates.map(fn) } as Geometry;
    case 'MultiLineString':
    case 'Polygon':
      return {
        type: geometry.type,
        coordinates: geometry.coordinates.map((r) => r.map(fn)),
      } as Geometry;
    case 'MultiPolygon':
      return {
        type: 'MultiPolygon',
        coordinates: geometry.coordinates.map((p) => p.map((r) => r.map(fn))),
      };
    case 'GeometryCollection':
      return {
        type: 'GeometryCollection',
        geometries: geometry.geometries.map((g) => mapPositions(g, fn)),
      };
  }
}

/** Every position of a geometry (used for extents). */
export function* positionsOf(geometry: Geometry): Generator<Position> {
  switch (geometry.type) {
    case 'Point':
      yield geometry.coordinates;
      return;
    case 'MultiPoint':
    case 'LineString':
      yield* geometry.coordinates;
      return;
    case 'MultiLineString':
    case 'Polygon':
      for (const r of geometry.coordinates) yield* r;
      return;
    case 'MultiPolygon':
      for (const p of geometry.coordinates) for (const r of p) yield* r;
      return;
    case 'GeometryCollection':
      for (const g of geometry.geometries) yield* positionsOf(g);
      return;
  }
}

/** Extent in the file's CRS: the shapefile header when it has one, else a scan of all shapes. */
async function fileExtent(
  source: VectorSource,
): Promise<[number, number, number, number] | undefined> {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let any = false;
  for await (const shape of source.shapes()) {
    if (shape === null) continue;
    any = true;
    // With a header extent, one real shape proves the file is not empty: stop reading there.
    if (source.headerBbox) break;
    for (const p of positionsOf(shape)) {
      const [x, y] = p as [number, number];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  if (!any) return undefined;
  if (source.headerBbox) return source.headerBbox;
  return Number.isFinite(minX) ? [minX, minY, maxX, maxY] : undefined;
}

/**
 * Four corners `[ll, lr, ur, ul]` of the extent of all shapes of `file`, in `outputCrs` when
 * given and different from the file's CRS (each corner is reprojected on its own, so the result
 * may be a non-rectangular quadrilateral), else in the file's CRS. `null` when the file has no
 * shapes.
 */
export async function segmentBoundingCorners(
  file: string,
  options: VectorOptions = {},
): Promise<Corners | null> {
  const source = await openVector(file);
  const extent = await fileExtent(source);
  if (extent === undefined) return null;
  const [minX, minY, maxX, maxY] = extent;
  const corners: Point2[] = [
    [minX, minY],
    [maxX, minY],
    [maxX, maxY],
    [minX, maxY],
  ];
  const transform = makeTransform(source.crs, options.outputCrs);
  if (!transform) return corners as Corners;
  return corners.map((c) => transform(c).slice(0, 2) as Point2) as Corners;
}

/** The corners of {@link segmentBoundingCorners} as a closed GeoJSON Polygon, or `null`. */
export async function segmentBoundingGeoJson(
  file: string,
  options: VectorOptions = {},
): Promise<Polygon | null> {
  const corners = await segmentBoundingCorners(file, options);
  if (corners === null) return null;
  // ll, lr, ur, ul is counter-clockwise in a y-up CRS: already the RFC 7946 exterior order.
  return { type: 'Polygon', coordinates: [[...corners, corners[0]]] };
}

/**
 * Shape number `shapeIndex` (0-based, file order, null shapes counted) of `file` as a GeoJSON
 * geometry, reprojected to `outputCrs` when given. Only the shapes up to the index are read.
 * Polygon rings come back as the reader gives them (shapefile order: exterior clockwise).
 * @throws InvalidShapeIdError when the index is not an integer in range or the shape is null.
 */
export async function shapeToGeoJson(
  file: string,
  shapeIndex: number,
  options: VectorOptions = {},
): Promise<Geometry> {
  if (!Number.isInteger(shapeIndex) || shapeIndex < 0) {
    throw new InvalidShapeIdError(`Shape id must be a non-negative integer, got ${shapeIndex}`, {
      file,
      shapeIndex,
    });
  }
  const source = await openVector(file);
  let i = 0;
  for await (const shape of source.shapes()) {
    if (i++ !== shapeIndex) continue;
    if (shape === null) {
      throw new InvalidShapeIdError(`Shape ${shapeIndex} of ${file} is a null shape`, {
        file,
        shapeIndex,
      });
    }
    const transform = makeTransform(source.crs, options.outputCrs);
    return transform ? mapPositions(shape, transform) : shape;
  }
  throw new InvalidShapeIdError(
    `Shape id ${shapeIndex} is out of range: ${file} has ${i} shape${i === 1 ? '' : 's'}`,
    { file, shapeIndex, shapeCount: i },
  );
}

/**
 * A GeoJSON Polygon from vertex lists. Each ring is closed (its first vertex repeated at the
 * end) when it is not already; orientation is kept as given. Each ring needs at least three
 * distinct vertices and finite numbers.
 */
export function toGeoJsonPolygon(
  exterior: readonly (readonly number[])[],
  holes: readonly (readonly (readonly number[])[])[] = [],
): Polygon {
  const rings = [exterior, ...holes].map((ring, i) => {
    const name = i === 0 ? 'exterior ring' : `hole ${i - 1}`;
    if (!Array.isArray(ring)) throw new InvalidInputError(`The ${name} is not an array`);
    const positions = ring.map((p, j) => {
      if (
        !Array.isArray(p) ||
        p.length < 2 ||
        !p.every((v) => typeof v === 'number' && Number.isFinite(v))
      ) {
        throw new InvalidInputError(
          `Vertex ${j} of the ${name} must be an array of at least two finite numbers`,
          { code: 'INVALID_POLYGON', details: { ring: i, vertex: j } },
        );
      }
      return [...p];
    });
    const distinct = new Set(positions.map((p) => `${p[0]},${p[1]}`));
    if (distinct.size < 3) {
      throw new InvalidInputError(
        `The ${name} needs at least 3 distinct vertices, got ${distinct.size}`,
        { code: 'INVALID_POLYGON', details: { ring: i, distinct: distinct.size } },
      );
    }
    return closeRing(positions);
  });
  return { type: 'Polygon', coordinates: rings };
}

/** {@link toGeoJsonPolygon} as a JSON string. */
export function toGeoJsonPolygonString(
  exterior: readonly (readonly number[])[],
  holes: readonly (readonly (readonly number[])[])[] = [],
): string {
  return JSON.stringify(toGeoJsonPolygon(exterior, holes));
}

/** The ring with its first position appended when the last one differs from it. */
export function closeRing(ring: Position[]): Position[] {
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (first === undefined || last === undefined) return ring;
  return first[0] === last[0] && first[1] === last[1] ? ring : [...ring, [...first]];
}

/**
 * Twice the signed area of a ring by the shoelace formula: positive when counter-clockwise in
 * a y-up plane (lon/lat, projected metres).
 */
export function signedArea2(ring: readonly Position[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const a = ring[i] as Position;
    const b = ring[i + 1] as Position;
    sum += (a[0] as number) * (b[1] as number) - (b[0] as number) * (a[1] as number);
  }
  return sum;
}
