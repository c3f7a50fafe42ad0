/**
 * Reads polygon rings and points out of WKB (what GDAL's toWKB gives), without building
 * geometry objects: rings come back as flat [x0, y0, x1, y1, ...] arrays.
 */
export interface Shapes {
  rings: Float64Array[];
  points: Float64Array[];
}

export function readShapes(wkb: Uint8Array): Shapes {
  const view = new DataView(wkb.buffer, wkb.byteOffset, wkb.byteLength);
  const shapes: Shapes = { rings: [], points: [] };
  readGeometry(view, 0, shapes);
  return shapes;
}

function readGeometry(view: DataView, offset: number, shapes: Shapes): number {
  const little = view.getUint8(offset) === 1;
  let type = view.getUint32(offset + 1, little);
  offset += 5;
  let dimensions = 2;
  if (type & 0x80000000) dimensions++; // old 25D flag
  if (type & 0x40000000) dimensions++; // EWKB M flag
  type &= 0x0fffffff;
  if (type >= 1000) {
    const flavour = Math.floor(type / 1000); // 1 Z, 2 M, 3 ZM
    dimensions = flavour === 3 ? 4 : 3;
    type %= 1000;
  }
  const step = dimensions * 8;
  switch (type) {
    case 1: {
      shapes.points.push(
        new Float64Array([view.getFloat64(offset, little), view.getFloat64(offset + 8, little)]),
      );
      return offset + step;
    }
    case 2: {
      // A line: its vertices, skipped (zonal statistics take polygons and points).
      const count = view.getUint32(offset, little);
      return offset + 4 + count * step;
    }
    case 3: {
      const ringCount = view.getUint32(offset, little);
      offset += 4;
      for (let r = 0; r < ringCount; r++) {
        const count = view.getUint32(offset, little);
        offset += 4;
        // Drop the closing vertex: rings are treated as closed.
        const kept = count > 1 ? count - 1 : count;
        const ring = new Float64Array(kept * 2);
        for (let i = 0; i < kept; i++) {
          ring[2 * i] = view.getFloat64(offset + i * step, little);
          ring[2 * i + 1] = view.getFloat64(offset + i * step + 8, little);
        }
        offset += count * step;
        if (kept >= 3) shapes.rings.push(ring);
      }
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
