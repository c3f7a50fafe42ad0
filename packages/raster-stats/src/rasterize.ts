/**
 * Which pixels of a window a polygon covers, in pixel space: x grows right, y grows down, pixel
 * (col, row) is the square [col, col+1) x [row, row+1). Rings are flat [x0, y0, x1, y1, ...]
 * arrays, closed or not; all rings of one feature are given together (holes included).
 */
export type Ring = Float64Array;

/**
 * GDAL's pixel-centre rule, as `GDALRasterizeGeometries` without ALL_TOUCHED fills polygons
 * (llrasterize.cpp, GDALdllImageFilledPolygon): for each row, the scanline through the pixel
 * centres crosses the edges (an edge counts for y in [ymin, ymax)), crossings are paired
 * even-odd, and a pixel is in when floor(x1 + 0.5) <= col < floor(x2 + 0.5). So a centre
 * exactly on a shared vertical edge goes to the polygon on its left, and horizontal edges
 * lying on a centre line are filled only when they run right to left, as GDAL does.
 */
export function centreMask(rings: readonly Ring[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const crossings: number[] = [];
  for (let row = 0; row < height; row++) {
    const y = row + 0.5;
    crossings.length = 0;
    for (const ring of rings) {
      const n = ring.length / 2;
      for (let i = 0; i < n; i++) {
        const j = (i + 1) % n;
        const ax = ring[2 * i]!;
        const ay = ring[2 * i + 1]!;
        const bx = ring[2 * j]!;
        const by = ring[2 * j + 1]!;
        if ((ay < y && by < y) || (ay > y && by > y)) continue;
        let x1: number;
        let y1: number;
        let x2: number;
        let y2: number;
        if (ay < by) {
          [x1, y1, x2, y2] = [ax, ay, bx, by];
        } else if (ay > by) {
          [x1, y1, x2, y2] = [bx, by, ax, ay];
        } else {
          // A horizontal edge on the centre line: GDAL fills it when it runs right to left.
          if (ax > bx) fillSpan(mask, width, row, Math.floor(bx + 0.5), Math.floor(ax + 0.5) - 1);
          continue;
        }
        if (y < y2 && y >= y1) crossings.push(((y - y1) * (x2 - x1)) / (y2 - y1) + x1);
      }
    }
    crossings.sort((a, b) => a - b);
    for (let i = 0; i + 1 < crossings.length; i += 2) {
      fillSpan(
        mask,
        width,
        row,
        Math.floor(crossings[i]! + 0.5),
        Math.floor(crossings[i + 1]! + 0.5) - 1,
      );
    }
  }
  return mask;
}

function fillSpan(mask: Uint8Array, width: number, row: number, from: number, to: number): void {
  const start = from < 0 ? 0 : from;
  const end = to > width - 1 ? width - 1 : to;
  for (let k = row * width + start, last = row * width + end; k <= last; k++) mask[k] = 1;
}

/**
 * The exact fraction of each pixel the polygon covers (0 to 1), as exactextract computes it.
 * By Green's theorem the covered area of pixel (col, row) is the sum over the polygon's edges,
 * restricted to the row's band of y, of the integral of clamp(x - col, 0, 1) dy. Each edge
 * only visits the rows and columns it crosses; the columns to its left take a constant share,
 * gathered in a running sum, so the cost is about the number of edge/pixel crossings.
 */
export function coverageFractions(
  rings: readonly Ring[],
  width: number,
  height: number,
): Float64Array {
  const coverage = new Float64Array(width * height);
  // left[row * (width + 1) + k]: dy to add to every column < k of that row.
  const left = new Float64Array(height * (width + 1));
  for (const ring of rings) {
    const sign = ringSign(ring, rings);
    const n = ring.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      addEdge(
        ring[2 * i]!,
        ring[2 * i + 1]!,
        ring[2 * j]!,
        ring[2 * j + 1]!,
        sign,
        coverage,
        left,
        width,
        height,
      );
    }
  }
  for (let row = 0; row < height; row++) {
    let running = 0;
    const base = row * (width + 1);
    for (let col = width - 1; col >= 0; col--) {
      running += left[base + col + 1]!;
      coverage[row * width + col]! += running;
    }
  }
  for (let k = 0; k < coverage.length; k++) {
    const value = coverage[k]!;
    // Rounding leaves tiny negative or above-one values at exact boundaries.
    coverage[k] = value < 1e-12 ? 0 : value > 1 ? 1 : value;
  }
  return coverage;
}

/**
 * +1 or -1 so that exterior rings add area and holes remove it, whatever their orientation:
 * a ring inside an odd number of other rings is a hole.
 */
function ringSign(ring: Ring, rings: readonly Ring[]): number {
  const area = signedArea(ring);
  let depth = 0;
  for (const other of rings) {
    if (other !== ring && pointInRing(ring[0]!, ring[1]!, other)) depth++;
  }
  const isHole = depth % 2 === 1;
  return area > 0 !== isHole ? 1 : -1;
}

export function signedArea(ring: Ring): number {
  let sum = 0;
  const n = ring.length / 2;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    sum += ring[2 * i]! * ring[2 * j + 1]! - ring[2 * j]! * ring[2 * i + 1]!;
  }
  return sum / 2;
}

function pointInRing(x: number, y: number, ring: Ring): boolean {
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
 * Adds one edge's share (its integral of clamp(x - col, 0, 1) dy, times `sign`) to every pixel
 * of the rows it crosses. A ring with a positive shoelace area adds positive area.
 */
function addEdge(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  sign: number,
  coverage: Float64Array,
  left: Float64Array,
  width: number,
  height: number,
): void {
  if (ay === by) return; // horizontal: no dy, no area
  const yMin = Math.max(0, Math.min(ay, by));
  const yMax = Math.min(height, Math.max(ay, by));
  if (yMin >= yMax) return;
  const slope = (bx - ax) / (by - ay); // dx per dy
  const direction = by > ay ? 1 : -1;
  for (let row = Math.floor(yMin); row < yMax; row++) {
    const y0 = Math.max(yMin, row);
    const y1 = Math.min(yMax, row + 1);
    if (y1 <= y0) continue;
    // The edge inside this row's band, oriented as the edge runs.
    const dy = (y1 - y0) * direction * sign;
    const xa = ax + (y0 - ay) * slope;
    const xb = ax + (y1 - ay) * slope;
    const xLow = Math.min(xa, xb);
    const xHigh = Math.max(xa, xb);
    const rowBase = row * (width + 1);
    // Columns entirely left of the edge (col + 1 <= xLow) get the whole dy.
    const firstPartial = Math.floor(xLow);
    left[rowBase + Math.max(0, Math.min(width, firstPartial))]! += dy;
    // Columns the edge passes through get the integral of clamp(x - col, 0, 1).
    const lastPartial = Math.min(width - 1, Math.floor(xHigh));
    for (let col = Math.max(0, firstPartial); col <= lastPartial; col++) {
      coverage[row * width + col]! += dy * meanClamp(xLow, xHigh, col);
    }
  }
}

/** The mean over x uniform in [lo, hi] of clamp(x - col, 0, 1) (x is linear in y on an edge). */
function meanClamp(lo: number, hi: number, col: number): number {
  if (hi - lo < 1e-15) {
    const t = lo - col;
    return t < 0 ? 0 : t > 1 ? 1 : t;
  }
  return (clampIntegral(hi - col) - clampIntegral(lo - col)) / (hi - lo);
}

/** An antiderivative of clamp(t, 0, 1). */
function clampIntegral(t: number): number {
  return t <= 0 ? 0 : t <= 1 ? (t * t) / 2 : t - 0.5;
}
