// The cells of a grid: which lie in a polygon, and how far apart they are.
import { flatBbox, flatPointInRings, toFlat } from '@geoworks/planar';

/**
 * Indexes of the cells whose centre lies inside the polygon: inside its first ring and outside
 * its holes (@geoworks/planar's even-odd rule over every ring). The first ring's bounding box
 * skips most cells of a large grid cheaply.
 */
export function cellsInPolygon(cells: Float64Array, rings: [number, number][][]): Int32Array {
  const flat = rings.map(toFlat);
  // No ring at all: the box of nothing, which no cell is in.
  const [minX, minY, maxX, maxY] = flatBbox(flat.slice(0, 1));
  const inside: number[] = [];
  for (let cell = 0; cell < cells.length / 2; cell++) {
    const x = cells[2 * cell]!;
    const y = cells[2 * cell + 1]!;
    if (x < minX || x > maxX || y < minY || y > maxY) continue;
    if (flatPointInRings(x, y, flat)) inside.push(cell);
  }
  return Int32Array.from(inside);
}

/**
 * The grid spacing along one axis: the configured one, else the smallest gap between the
 * distinct coordinates (1 when there is a single one).
 */
export function gridSpacing(coordinates: Float64Array, configured: unknown): number {
  if (typeof configured === 'number' && configured > 0) return configured;
  const sorted = Float64Array.from(new Set(coordinates)).sort();
  let smallest = Infinity;
  for (let index = 1; index < sorted.length; index++)
    smallest = Math.min(smallest, sorted[index]! - sorted[index - 1]!);
  return Number.isFinite(smallest) ? smallest : 1;
}
