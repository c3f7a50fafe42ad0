import type { Position } from 'geojson';
import { toFlat, type FlatRing } from './types.js';

/**
 * The signed area of a ring by the shoelace formula, in the square units of its coordinates:
 * positive when it runs counter-clockwise in a y-up plane (longitude/latitude, projected
 * metres), negative clockwise, 0 for a degenerate ring (fewer than three positions, or all on
 * one line). The edge from the last position back to the first is included, so an open ring
 * gives what its closed form gives.
 */
export function flatSignedArea(ring: FlatRing): number {
  let sum = 0;
  const n = ring.length / 2;
  for (let i = 0; i < n; i++) {
    const j = i + 1 === n ? 0 : i + 1;
    sum += ring[2 * i]! * ring[2 * j + 1]! - ring[2 * j]! * ring[2 * i + 1]!;
  }
  return sum / 2;
}

/** {@link flatSignedArea} of a ring of GeoJSON positions. */
export function signedArea(ring: readonly Position[]): number {
  return flatSignedArea(toFlat(ring));
}

/**
 * Whether a ring runs counter-clockwise (RFC 7946's order for exterior rings, in a y-up plane).
 * A degenerate ring, of zero area, does not.
 */
export function isCounterClockwise(ring: readonly Position[]): boolean {
  return signedArea(ring) > 0;
}

export interface RewindOptions {
  /** Wind the ring clockwise (RFC 7946's order for holes) instead of counter-clockwise. */
  clockwise?: boolean;
}

/**
 * A copy of the ring wound counter-clockwise, or clockwise when asked: the same positions,
 * reversed when the ring runs the other way. A degenerate ring counts as clockwise.
 */
export function rewindRing(ring: readonly Position[], options: RewindOptions = {}): Position[] {
  const copy = ring.map((position) => [...position]);
  return isCounterClockwise(ring) === !options.clockwise ? copy : copy.reverse();
}

/**
 * A copy of the ring, with a copy of its first position appended when its last one differs from
 * it (in x or y): GeoJSON and WKT rings end where they start. An empty ring stays empty.
 */
export function closeRing(ring: readonly Position[]): Position[] {
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (first === undefined || last === undefined) return [...ring];
  return first[0] === last[0] && first[1] === last[1] ? [...ring] : [...ring, [...first]];
}
