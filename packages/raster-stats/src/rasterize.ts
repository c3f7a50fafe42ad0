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
  const spans = centreSpans(rings, width, height);
  for (let k = 0; k < spans.length; k += 3) {
    const base = spans[k]! * width;
    mask.fill(1, base + spans[k + 1]!, base + spans[k + 2]! + 1);
  }
  return mask;
}

/**
 * The pixels of the centre rule (see `centreMask`) as column spans: flat triples `row, from,
 * to` (inclusive), clipped to the window, in row order, and merged so that no pixel appears
 * twice (a horizontal edge's span may overlap a filled one). Statistics can then walk the
 * covered pixels without a mask over the whole window. The result is a view of a buffer the
 * next call reuses (thousands of windows otherwise allocate and collect as many arrays).
 */
export function centreSpans(rings: readonly Ring[], width: number, height: number): Int32Array {
  // An edge table: each non-horizontal edge crosses the centre lines of the rows whose centre
  // y lies in [ymin, ymax); its crossings are bucketed by row in one pass (counting sort), so
  // the cost is the number of crossings, not rows x edges.
  if (scratch.perRow.length < height + 1) {
    scratch.perRow = new Int32Array(2 * (height + 1));
    scratch.filled = new Int32Array(2 * (height + 1));
  }
  const perRow = scratch.perRow;
  perRow.fill(0, 0, height + 1);
  const horizontal: number[] = [];
  for (const ring of rings) {
    const n = ring.length / 2;
    for (let i = 0; i < n; i++) {
      const j = i + 1 === n ? 0 : i + 1;
      const ay = ring[2 * i + 1]!;
      const by = ring[2 * j + 1]!;
      if (ay === by) {
        const row = ay - 0.5;
        // A horizontal edge on a centre line: GDAL fills it when it runs right to left.
        if (Number.isInteger(row) && row >= 0 && row < height && ring[2 * i]! > ring[2 * j]!) {
          horizontal.push(row, Math.floor(ring[2 * j]! + 0.5), Math.floor(ring[2 * i]! + 0.5) - 1);
        }
        continue;
      }
      const first = firstRow(Math.min(ay, by));
      const last = lastRow(Math.max(ay, by), height);
      for (let row = first; row <= last; row++) perRow[row + 1]!++;
    }
  }
  for (let row = 0; row < height; row++) perRow[row + 1]! += perRow[row]!;
  if (scratch.crossings.length < perRow[height]!)
    scratch.crossings = new Float64Array(2 * perRow[height]!);
  const crossings = scratch.crossings;
  const filled = scratch.filled;
  filled.set(perRow.subarray(0, height));
  for (const ring of rings) {
    const n = ring.length / 2;
    for (let i = 0; i < n; i++) {
      const j = i + 1 === n ? 0 : i + 1;
      const ax = ring[2 * i]!;
      const ay = ring[2 * i + 1]!;
      const bx = ring[2 * j]!;
      const by = ring[2 * j + 1]!;
      if (ay === by) continue;
      const x1 = ay < by ? ax : bx;
      const y1 = ay < by ? ay : by;
      const x2 = ay < by ? bx : ax;
      const y2 = ay < by ? by : ay;
      const first = firstRow(y1);
      const last = lastRow(y2, height);
      const slope = (x2 - x1) / (y2 - y1);
      for (let row = first; row <= last; row++)
        crossings[filled[row]!++] = (row + 0.5 - y1) * slope + x1;
    }
  }
  let count = 0;
  const push = (row: number, from: number, to: number) => {
    if (count + 3 > scratch.out.length) {
      const grown = new Int32Array(2 * scratch.out.length);
      grown.set(scratch.out);
      scratch.out = grown;
    }
    scratch.out[count++] = row;
    scratch.out[count++] = from;
    scratch.out[count++] = to;
  };
  const spans: number[] = [];
  let h = 0;
  for (let row = 0; row < height; row++) {
    const start = perRow[row]!;
    const end = perRow[row + 1]!;
    // Rows hold a handful of crossings: insertion sort, no comparator calls.
    for (let a = start + 1; a < end; a++) {
      const value = crossings[a]!;
      let b = a - 1;
      while (b >= start && crossings[b]! > value) {
        crossings[b + 1] = crossings[b]!;
        b--;
      }
      crossings[b + 1] = value;
    }
    if (h < horizontal.length && horizontal[h] === row) {
      spans.length = 0;
      for (let a = start; a + 1 < end; a += 2) {
        spans.push(Math.floor(crossings[a]! + 0.5), Math.floor(crossings[a + 1]! + 0.5) - 1);
      }
      while (h < horizontal.length && horizontal[h] === row) {
        spans.push(horizontal[h + 1]!, horizontal[h + 2]!);
        h += 3;
      }
      for (const [from, to] of mergedSpans(spans, width)) push(row, from, to);
      continue;
    }
    // Pairs of sorted crossings never overlap: only clipping is needed.
    for (let a = start; a + 1 < end; a += 2) {
      const from = Math.max(0, Math.floor(crossings[a]! + 0.5));
      const to = Math.min(width - 1, Math.floor(crossings[a + 1]! + 0.5) - 1);
      if (to >= from) push(row, from, to);
    }
  }
  return scratch.out.subarray(0, count);
}

const scratch = {
  perRow: new Int32Array(1024),
  filled: new Int32Array(1024),
  crossings: new Float64Array(4096),
  out: new Int32Array(3 * 1024),
};

/** The first row (within the window) whose centre line y = row + 0.5 is at least `ymin`. */
function firstRow(ymin: number): number {
  return Math.max(0, Math.ceil(ymin - 0.5));
}

/** The last row (within the window) whose centre line lies below `ymax` (strictly). */
function lastRow(ymax: number, height: number): number {
  let last = Math.min(height - 1, Math.ceil(ymax - 0.5) - 1);
  if (last + 0.5 >= ymax) last--;
  return last;
}

/** Clips `[from, to]` pairs to the row, sorts and merges them. */
function mergedSpans(spans: number[], width: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let k = 0; k < spans.length; k += 2) {
    const from = Math.max(0, spans[k]!);
    const to = Math.min(width - 1, spans[k + 1]!);
    if (to >= from) pairs.push([from, to]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of pairs) {
    const lastPair = merged.at(-1);
    if (lastPair !== undefined && from <= lastPair[1] + 1) lastPair[1] = Math.max(lastPair[1], to);
    else merged.push([from, to]);
  }
  return merged;
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
