// The cells of a grid: which lie in a polygon, and how far apart they are.

/**
 * Indexes of the cells whose centre lies inside the polygon (even-odd rule over all rings, so
 * holes are excluded). A bounding-box test skips most cells of a large grid cheaply.
 */
export function cellsInPolygon(cells: Float64Array, rings: [number, number][][]): Int32Array {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of rings[0]!) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const inside: number[] = [];
  for (let cell = 0; cell < cells.length / 2; cell++) {
    const x = cells[2 * cell]!;
    const y = cells[2 * cell + 1]!;
    if (x < minX || x > maxX || y < minY || y > maxY) continue;
    let crossings = 0;
    for (const ring of rings) {
      for (let index = 0, previous = ring.length - 1; index < ring.length; previous = index++) {
        const [xi, yi] = ring[index]!;
        const [xj, yj] = ring[previous]!;
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) crossings++;
      }
    }
    if (crossings % 2 === 1) inside.push(cell);
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
