/**
 * Fast, conservative spatial relations between a polygon of the first dataset and a polygon of
 * the second, in plain JavaScript on flat coordinate arrays (closed rings). Most first-dataset
 * polygons lie wholly inside one second-dataset polygon or miss it; those need no overlay at
 * all. Anything that touches a boundary, however slightly, is left to GEOS.
 */
import { bboxesOverlap, bboxIntersection, flatPointInRings, type BBox } from '@geoworks/planar';

/**
 * Whether segments ab and cd meet (cross, touch or overlap), counting near-misses within a
 * relative tolerance as meeting, so that a "no" can be trusted.
 */
export function segmentsMeet(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  cx: number,
  cy: number,
  dx: number,
  dy: number,
): boolean {
  const scale = Math.max(
    Math.abs(ax),
    Math.abs(ay),
    Math.abs(bx),
    Math.abs(by),
    Math.abs(cx),
    Math.abs(cy),
    1,
  );
  const eps = scale * scale * 1e-12;
  const o1 = orient(ax, ay, bx, by, cx, cy, eps);
  const o2 = orient(ax, ay, bx, by, dx, dy, eps);
  const o3 = orient(cx, cy, dx, dy, ax, ay, eps);
  const o4 = orient(cx, cy, dx, dy, bx, by, eps);
  if (o1 * o2 > 0 || o3 * o4 > 0) return false;
  if (o1 === 0 && o2 === 0) {
    // Collinear: they meet when their extents overlap.
    return (
      Math.min(ax, bx) <= Math.max(cx, dx) &&
      Math.min(cx, dx) <= Math.max(ax, bx) &&
      Math.min(ay, by) <= Math.max(cy, dy) &&
      Math.min(cy, dy) <= Math.max(ay, by)
    );
  }
  return true;
}

function orient(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  cx: number,
  cy: number,
  eps: number,
): number {
  const value = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  return value > eps ? 1 : value < -eps ? -1 : 0;
}

/** Does any edge of `a` meet an edge of `b`? Edges outside the other's box are skipped. */
export function boundariesMeet(
  a: readonly Float64Array[],
  boxA: BBox,
  b: readonly Float64Array[],
  boxB: BBox,
): boolean {
  const shared = bboxIntersection(boxA, boxB);
  if (shared === null) return false;
  const [minX, minY, maxX, maxY] = shared;
  const edgesB: number[] = [];
  const ringOfB: Float64Array[] = [];
  for (const ring of b) {
    for (let i = 0; i + 3 < ring.length; i += 2) {
      if (
        Math.max(ring[i]!, ring[i + 2]!) < minX ||
        Math.min(ring[i]!, ring[i + 2]!) > maxX ||
        Math.max(ring[i + 1]!, ring[i + 3]!) < minY ||
        Math.min(ring[i + 1]!, ring[i + 3]!) > maxY
      ) {
        continue;
      }
      edgesB.push(i);
      ringOfB.push(ring);
    }
  }
  if (edgesB.length === 0) return false;
  for (const ring of a) {
    for (let i = 0; i + 3 < ring.length; i += 2) {
      const ax = ring[i]!;
      const ay = ring[i + 1]!;
      const bx = ring[i + 2]!;
      const by = ring[i + 3]!;
      const eMinX = Math.min(ax, bx);
      const eMaxX = Math.max(ax, bx);
      const eMinY = Math.min(ay, by);
      const eMaxY = Math.max(ay, by);
      if (eMaxX < minX || eMinX > maxX || eMaxY < minY || eMinY > maxY) continue;
      for (let k = 0; k < edgesB.length; k++) {
        const other = ringOfB[k]!;
        const j = edgesB[k]!;
        const cx = other[j]!;
        const cy = other[j + 1]!;
        const dx = other[j + 2]!;
        const dy = other[j + 3]!;
        if (
          Math.max(cx, dx) < eMinX ||
          Math.min(cx, dx) > eMaxX ||
          Math.max(cy, dy) < eMinY ||
          Math.min(cy, dy) > eMaxY
        ) {
          continue;
        }
        if (segmentsMeet(ax, ay, bx, by, cx, cy, dx, dy)) return true;
      }
    }
  }
  return false;
}

export type Relation = 'disjoint' | 'inside' | 'overlay';

/**
 * How polygon `a` stands to polygon `b`: wholly `inside` it, `disjoint`, or needing an
 * `overlay` (boundaries meet, or `b` has a ring within `a`).
 */
export function relatePolygons(
  a: readonly Float64Array[],
  boxA: BBox,
  b: readonly Float64Array[],
  boxB: BBox,
): Relation {
  if (!bboxesOverlap(boxA, boxB)) return 'disjoint';
  if (boundariesMeet(a, boxA, b, boxB)) return 'overlay';
  // Boundaries apart: each ring lies wholly inside or outside the other polygon.
  for (const ring of b) {
    if (flatPointInRings(ring[0]!, ring[1]!, a)) return 'overlay';
  }
  const first = a[0]!;
  return flatPointInRings(first[0]!, first[1]!, b) ? 'inside' : 'disjoint';
}
