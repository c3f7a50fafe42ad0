import type { MultiPolygon, Polygon, Position } from 'geojson';
import { toFlat, type FlatRing } from './types.js';

/**
 * Whether the point (x, y) lies inside a ring, by counting the ring's edges a ray towards +x
 * crosses (even-odd). The ring's orientation does not matter. A point exactly on a vertical or
 * horizontal edge counts as inside when the ring lies to its right or above it, as outside when
 * the ring lies to its left or below it: a point on an edge two rings share is inside exactly
 * one of them. On a slanted edge, the rounding of the crossing decides. A degenerate ring
 * (fewer than three positions, or no area) contains nothing.
 */
export function flatPointInRing(x: number, y: number, ring: FlatRing): boolean {
  let inside = false;
  const n = ring.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = ring[2 * i]!;
    const yi = ring[2 * i + 1]!;
    const xj = ring[2 * j]!;
    const yj = ring[2 * j + 1]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Whether the point (x, y) lies inside an odd number of the rings: for a polygon's rings
 * (exterior and holes, in any orientation), whether it lies inside the polygon and not in a
 * hole. Boundaries as {@link flatPointInRing}.
 */
export function flatPointInRings(x: number, y: number, rings: readonly FlatRing[]): boolean {
  let inside = false;
  for (const ring of rings) if (flatPointInRing(x, y, ring)) inside = !inside;
  return inside;
}

/** {@link flatPointInRing} for GeoJSON: whether `point` lies inside `ring`. */
export function pointInRing(point: Position, ring: readonly Position[]): boolean {
  return flatPointInRing(point[0]!, point[1]!, toFlat(ring));
}

/**
 * Whether `point` lies inside a polygon and outside its holes; for a MultiPolygon, inside any
 * of its polygons. Boundaries as {@link flatPointInRing}. Each call converts the polygon: to
 * test many points against one polygon, convert its rings once ({@link toFlat}) and call
 * {@link flatPointInRings}.
 */
export function pointInPolygon(point: Position, polygon: Polygon | MultiPolygon): boolean {
  const polygons = polygon.type === 'Polygon' ? [polygon.coordinates] : polygon.coordinates;
  return polygons.some((rings) => flatPointInRings(point[0]!, point[1]!, rings.map(toFlat)));
}
