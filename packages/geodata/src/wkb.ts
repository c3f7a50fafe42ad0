/**
 * Reads WKB (what GDAL's toWKB gives) into flat coordinate arrays, without building geometry
 * objects: each ring or line is [x0, y0, x1, y1, ...]; polygons keep their exterior ring
 * first. Z and M values are dropped.
 */
export interface WkbShapes {
  /** Each polygon: its rings, exterior first, closing vertex included. */
  polygons: Float64Array[][];
  lines: Float64Array[];
  /** Every point as [x, y]. */
  points: Float64Array[];
}

export function readWkb(wkb: Uint8Array): WkbShapes {
  const view = new DataView(wkb.buffer, wkb.byteOffset, wkb.byteLength);
  const shapes: WkbShapes = { polygons: [], lines: [], points: [] };
  readGeometry(view, 0, shapes);
  return shapes;
}

function readCoordinates(
  view: DataView,
  offset: number,
  little: boolean,
  step: number,
): [Float64Array, number] {
  const count = view.getUint32(offset, little);
  offset += 4;
  const coordinates = new Float64Array(count * 2);
  for (let i = 0; i < count; i++) {
    coordinates[2 * i] = view.getFloat64(offset + i * step, little);
    coordinates[2 * i + 1] = view.getFloat64(offset + i * step + 8, little);
  }
  return [coordinates, offset + count * step];
}

function readGeometry(view: DataView, offset: number, shapes: WkbShapes): number {
  const little = view.getUint8(offset) === 1;
  let type = view.getUint32(offset + 1, little);
  offset += 5;
  let dimensions = 2;
  if (type & 0x80000000) dimensions++; // old 25D flag
  if (type & 0x40000000) dimensions++; // EWKB M flag
  type &= 0x0fffffff;
  if (type >= 1000) {
    const flavour = Math.floor(type / 1000); // 1: Z, 2: M, 3: ZM
    dimensions = flavour === 3 ? 4 : 3;
    type %= 1000;
  }
  const step = dimensions * 8;
  switch (type) {
    case 1:
      // An empty point is NaN, NaN in WKB; one NaN is a malformed point, kept for checks.
      if (
        !Number.isNaN(view.getFloat64(offset, little)) ||
        !Number.isNaN(view.getFloat64(offset + 8, little))
      ) {
        shapes.points.push(
          new Float64Array([view.getFloat64(offset, little), view.getFloat64(offset + 8, little)]),
        );
      }
      return offset + step;
    case 2: {
      const [line, next] = readCoordinates(view, offset, little, step);
      if (line.length > 0) shapes.lines.push(line);
      return next;
    }
    case 3: {
      const ringCount = view.getUint32(offset, little);
      offset += 4;
      const rings: Float64Array[] = [];
      for (let r = 0; r < ringCount; r++) {
        const [ring, next] = readCoordinates(view, offset, little, step);
        offset = next;
        rings.push(ring);
      }
      if (rings.length > 0 && rings[0]!.length > 0) shapes.polygons.push(rings);
      return offset;
    }
    case 4:
    case 5:
    case 6:
    case 7: {
      const count = view.getUint32(offset, little);
      offset += 4;
      for (let i = 0; i < count; i++) offset = readGeometry(view, offset, shapes);
      return offset;
    }
    default:
      throw new Error(`Unsupported WKB geometry type ${type}`);
  }
}

/** WKB of a MultiPolygon holding the polygons of `wkb` (a Polygon or MultiPolygon). */
export function asMultiPolygonWkb(wkb: Uint8Array): Buffer {
  const little = wkb[0] === 1;
  const view = new DataView(wkb.buffer, wkb.byteOffset, wkb.byteLength);
  const type = view.getUint32(1, little) & 0x0fffffff;
  if (type % 1000 === 6) return Buffer.from(wkb);
  if (type % 1000 !== 3) throw new Error(`Expected a Polygon, got WKB type ${type}`);
  const header = Buffer.alloc(9);
  header.writeUInt8(little ? 1 : 0, 0);
  if (little) {
    header.writeUInt32LE(6 + (type - 3), 1);
    header.writeUInt32LE(1, 5);
  } else {
    header.writeUInt32BE(6 + (type - 3), 1);
    header.writeUInt32BE(1, 5);
  }
  return Buffer.concat([header, wkb]);
}

/** WKB (little endian) of a MultiPolygon from polygons given as closed rings, exterior first. */
export function multiPolygonWkb(polygons: readonly (readonly Float64Array[])[]): Buffer {
  let size = 9;
  for (const rings of polygons) {
    size += 9;
    for (const ring of rings) size += 4 + ring.length * 8;
  }
  const buffer = Buffer.allocUnsafe(size);
  buffer.writeUInt8(1, 0);
  buffer.writeUInt32LE(6, 1);
  buffer.writeUInt32LE(polygons.length, 5);
  let offset = 9;
  for (const rings of polygons) {
    buffer.writeUInt8(1, offset);
    buffer.writeUInt32LE(3, offset + 1);
    buffer.writeUInt32LE(rings.length, offset + 5);
    offset += 9;
    for (const ring of rings) {
      buffer.writeUInt32LE(ring.length / 2, offset);
      offset += 4;
      for (let i = 0; i < ring.length; i++) {
        buffer.writeDoubleLE(ring[i]!, offset);
        offset += 8;
      }
    }
  }
  return buffer;
}

/**
 * The GeoJSON text of WKB as a Multi* geometry (MultiPolygon, MultiLineString or MultiPoint by
 * what it holds), written directly: much faster than a geometry library's serialiser.
 */
export function wkbToGeoJson(wkb: Uint8Array): string {
  const { polygons, lines, points } = readWkb(wkb);
  if (polygons.length > 0) return multiPolygonText(polygons);
  if (lines.length > 0)
    return `{"type": "MultiLineString", "coordinates": [${lines.map(positionsText).join(',')}]}`;
  return `{"type": "MultiPoint", "coordinates": [${points.map((point) => `[${point[0]},${point[1]}]`).join(',')}]}`;
}

/** The GeoJSON text of a MultiPolygon given as flat rings (exterior first), written directly. */
export function multiPolygonText(polygons: readonly (readonly Float64Array[])[]): string {
  return `{"type": "MultiPolygon", "coordinates": [${polygons.map((rings) => `[${rings.map(positionsText).join(',')}]`).join(',')}]}`;
}

/** `[[x,y],...]` of a flat coordinate array. */
export function positionsText(coordinates: Float64Array): string {
  const parts: string[] = new Array(coordinates.length / 2);
  for (let i = 0; i < coordinates.length; i += 2)
    parts[i / 2] = `[${coordinates[i]},${coordinates[i + 1]}]`;
  return `[${parts.join(',')}]`;
}

/**
 * What makes WKB malformed, or null: a coordinate that is not a finite number, a line of fewer
 * than two positions, a polygon ring of fewer than four or not closed. Empty geometries are
 * fine, and so are invalid ones (self-intersections: pandarus repairs those).
 */
export function wkbProblem(wkb: Uint8Array): string | null {
  let shapes: WkbShapes;
  try {
    shapes = readWkb(wkb);
  } catch (error) {
    return `unreadable WKB (${(error as Error).message})`;
  }
  const finite = (coordinates: Float64Array) => coordinates.every(Number.isFinite);
  for (const point of shapes.points)
    if (!finite(point)) return 'a coordinate is not a finite number';
  for (const line of shapes.lines) {
    if (!finite(line)) return 'a coordinate is not a finite number';
    if (line.length < 4) return `a line needs two or more positions, not ${line.length / 2}`;
  }
  for (const rings of shapes.polygons) {
    for (const ring of rings) {
      if (!finite(ring)) return 'a coordinate is not a finite number';
      if (ring.length < 8)
        return `a polygon ring needs four or more positions, not ${ring.length / 2}`;
      const last = ring.length - 2;
      if (ring[0] !== ring[last] || ring[1] !== ring[last + 1])
        return 'a polygon ring must end where it starts';
    }
  }
  return null;
}
