import type { Position } from 'geojson';

/**
 * The positions of one ring or line packed into one array, `[x0, y0, x1, y1, ...]`: the form
 * the WKB readers produce and the hot loops (intersections, zonal statistics) work on, with no
 * array per vertex. The positions are GeoJSON's, in the same order; a closing position that
 * repeats the first may be there or not, no function here gives another answer for it.
 */
export type FlatRing = Float64Array;

/** A 2D bounding box as GeoJSON writes one: `[minX, minY, maxX, maxY]` (west, south, east, north). */
export type BBox = [minX: number, minY: number, maxX: number, maxY: number];

/** GeoJSON positions as a flat ring (x and y only: a third coordinate is dropped). */
export function toFlat(positions: readonly Position[]): FlatRing {
  const flat = new Float64Array(positions.length * 2);
  positions.forEach((position, i) => {
    flat[2 * i] = position[0]!;
    flat[2 * i + 1] = position[1]!;
  });
  return flat;
}

/** A flat ring as GeoJSON positions. */
export function toPositions(ring: FlatRing): Position[] {
  const positions: Position[] = new Array(ring.length / 2);
  for (let i = 0; i < ring.length; i += 2) positions[i / 2] = [ring[i]!, ring[i + 1]!];
  return positions;
}
