/**
 * Which pixels of a window a polygon covers, in pixel space: x grows right, y grows down, pixel
 * (col, row) is the square [col, col+1) x [row, row+1). Rings are flat [x0, y0, x1, y1, ...]
 * arrays, closed or not; all rings of one feature are given together (holes included).
 */
import { flatPointInRing, flatSignedArea, type FlatRing } from '@geoworks/planar';

/**
 * GDAL's pixel-centre rule, as `GDALRasterizeGeometries` without ALL_TOUCHED fills polygons
 * (llrasterize.cpp, GDALdllImageFilledPolygon): for each row, the scanline through the pixel
 * centres crosses the edges (an edge counts for y in [ymin, ymax)), crossings are paired
 * even-odd, and a pixel is in when floor(x1 + 0.5) <= col < floor(x2 + 0.5). So a centre
 * exactly on a shared vertical edge goes to the polygon on its left, and horizontal edges
 * lying on a centre line are filled only when they run right to left, as GDAL does.
 */
export function centreMask(rings: readonly FlatRing[], width: number, height: number): Uint8Array {
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
export function centreSpans(rings: readonly FlatRing[], width: number, height: number): Int32Array {
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

/** Numbers kept per edge by `coverageRuns`. */
const EDGE = 6;

/** Work buffers of `coverageRuns`, grown as needed and reused (zeroed again after use). */
const buffers = {
  edges: new Float64Array(1024),
  rowStarts: new Int32Array(1024),
  rowEdges: new Int32Array(4096),
  rowNext: new Int32Array(1024),
  active: new Int32Array(64),
  partial: new Float64Array(1024),
  left: new Float64Array(1024),
  leftAt: new Int32Array(64),
  rangeFrom: new Int32Array(64),
  rangeTo: new Int32Array(64),
};

/** `buffers[name]`, at least `length` long; a fresh one (all zeros) when it had to grow. */
function grown(name: keyof typeof buffers, length: number): Float64Array | Int32Array {
  if (buffers[name].length < length) {
    const Kind = buffers[name].constructor as new (length: number) => Float64Array | Int32Array;
    (buffers as Record<string, Float64Array | Int32Array>)[name] = new Kind(2 * length);
  }
  return buffers[name];
}

/** The output of `coverageRuns`. */
const runs = {
  start: new Int32Array(4096),
  end: new Int32Array(4096),
  weight: new Float64Array(4096),
};

/** Appends a run unless its coverage is nil (rounding leaves tiny values and above-one ones). */
function pushRun(count: number, start: number, end: number, value: number): number {
  if (value < 1e-12) return count;
  if (count === runs.start.length) {
    const size = 2 * count;
    const grow = <T extends Int32Array | Float64Array>(array: T, Kind: new (n: number) => T) => {
      const bigger = new Kind(size);
      bigger.set(array);
      return bigger;
    };
    runs.start = grow(runs.start, Int32Array);
    runs.end = grow(runs.end, Int32Array);
    runs.weight = grow(runs.weight, Float64Array);
  }
  runs.start[count] = start;
  runs.end[count] = end;
  runs.weight[count] = value > 1 ? 1 : value;
  return count + 1;
}

function reverseRuns(from: number, to: number): void {
  const { start, end, weight } = runs;
  for (let i = from, j = to - 1; i < j; i++, j--) {
    const swapStart = start[i]!;
    start[i] = start[j]!;
    start[j] = swapStart;
    const swapEnd = end[i]!;
    end[i] = end[j]!;
    end[j] = swapEnd;
    const swapWeight = weight[i]!;
    weight[i] = weight[j]!;
    weight[j] = swapWeight;
  }
}

/**
 * Sorts the first `length` values, largest first, moving `alongside`'s values with them (a
 * handful: insertion sort).
 */
function sortDescending(values: Int32Array, length: number, alongside: Int32Array | null): void {
  for (let a = 1; a < length; a++) {
    const value = values[a]!;
    const other = alongside === null ? 0 : alongside[a]!;
    let b = a - 1;
    while (b >= 0 && values[b]! < value) {
      values[b + 1] = values[b]!;
      if (alongside !== null) alongside[b + 1] = alongside[b]!;
      b--;
    }
    values[b + 1] = value;
    if (alongside !== null) alongside[b + 1] = other;
  }
}

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
 * The exact fraction of each pixel the polygon covers (0 to 1), as exactextract computes it, as
 * a dense `width * height` array (`coverageRuns` gives the covered pixels only).
 */
export function coverageFractions(
  rings: readonly FlatRing[],
  width: number,
  height: number,
): Float64Array {
  const coverage = new Float64Array(width * height);
  const { start, end, weight } = coverageRuns(rings, width, height);
  for (let r = 0; r < start.length; r++) coverage.fill(weight[r]!, start[r]!, end[r]!);
  return coverage;
}

/**
 * The covered pixels of a window as runs of one weight: pixels `start[r]` to `end[r]`
 * (exclusive; indexes `row * width + col`, within one row, ascending) each covered by the
 * fraction `weight[r]`, in (0, 1].
 */
export interface CoverageRuns {
  start: Int32Array;
  end: Int32Array;
  weight: Float64Array;
}

/**
 * The pixels a polygon covers, with the fraction of each it covers, exact as exactextract
 * computes it. By Green's theorem the covered area of pixel (col, row) is the sum over the
 * polygon's edges, restricted to the row's band of y, of the integral of clamp(x - col, 0, 1)
 * dy. Edges are bucketed by the rows they cross; in a row an edge gives a share to the columns
 * it passes through, and its whole dy to every column left of them. Between the columns edges
 * pass through the coverage is constant: a run, computed once. So the cost is about the
 * edge/pixel crossings, not the area. The result views buffers the next call reuses.
 */
export function coverageRuns(
  rings: readonly FlatRing[],
  width: number,
  height: number,
): CoverageRuns {
  // Edges that cross some row band, in ring order: [ax, ay, slope (dx per dy), yMin, yMax,
  // direction (+1 or -1: down or up the rows, times the ring's sign)], each listed under the
  // row where it starts.
  let edgeCount = 0;
  for (const ring of rings) edgeCount += ring.length / 2;
  const edges = grown('edges', EDGE * edgeCount) as Float64Array;
  const starting = grown('rowStarts', height + 1) as Int32Array;
  starting.fill(0, 0, height + 1);
  let kept = 0;
  for (const ring of rings) {
    const sign = ringSign(ring, rings);
    const n = ring.length / 2;
    for (let i = 0; i < n; i++) {
      const j = i + 1 === n ? 0 : i + 1;
      const ay = ring[2 * i + 1]!;
      const by = ring[2 * j + 1]!;
      if (ay === by) continue; // horizontal: no dy, no area
      const yMin = Math.max(0, Math.min(ay, by));
      const yMax = Math.min(height, Math.max(ay, by));
      if (yMin >= yMax) continue;
      const ax = ring[2 * i]!;
      const e = EDGE * kept++;
      edges[e] = ax;
      edges[e + 1] = ay;
      edges[e + 2] = (ring[2 * j]! - ax) / (by - ay);
      edges[e + 3] = yMin;
      edges[e + 4] = yMax;
      edges[e + 5] = (by > ay ? 1 : -1) * sign;
      starting[Math.floor(yMin) + 1]!++;
    }
  }
  for (let row = 0; row < height; row++) starting[row + 1]! += starting[row]!;
  const byStart = grown('rowEdges', kept) as Int32Array;
  const next = grown('rowNext', height) as Int32Array;
  next.set(starting.subarray(0, height));
  for (let e = 0; e < kept; e++) byStart[next[Math.floor(edges[EDGE * e + 3]!)]!++] = e;
  // Per row: each edge's share of the columns it passes through (`partial`), the dy every
  // column left of index k receives (`left[k]`), and the columns where either changes.
  const partial = grown('partial', width) as Float64Array;
  const left = grown('left', width + 1) as Float64Array;
  const active = grown('active', kept) as Int32Array;
  const leftAt = grown('leftAt', kept) as Int32Array;
  const rangeFrom = grown('rangeFrom', kept) as Int32Array;
  const rangeTo = grown('rangeTo', kept) as Int32Array;
  let activeCount = 0;
  let count = 0;
  for (let row = 0; row < height; row++) {
    let lefts = 0;
    let ranges = 0;
    let lo = width;
    let hi = -1;
    // The edges crossing this row, kept in ring order (the order of summation).
    for (let k = starting[row]!; k < starting[row + 1]!; k++) {
      const edge = byStart[k]!;
      let at = activeCount++;
      while (at > 0 && active[at - 1]! > edge) {
        active[at] = active[at - 1]!;
        at--;
      }
      active[at] = edge;
    }
    let stillActive = 0;
    for (let k = 0; k < activeCount; k++) {
      const e = EDGE * active[k]!;
      const yMax = edges[e + 4]!;
      if (yMax > row + 1) active[stillActive++] = active[k]!;
      const ax = edges[e]!;
      const ay = edges[e + 1]!;
      const slope = edges[e + 2]!;
      const y0 = Math.max(edges[e + 3]!, row);
      const y1 = Math.min(yMax, row + 1);
      if (y1 <= y0) continue;
      // The edge inside this row's band, oriented as the edge runs.
      const dy = (y1 - y0) * edges[e + 5]!;
      const xa = ax + (y0 - ay) * slope;
      const xb = ax + (y1 - ay) * slope;
      const xLow = Math.min(xa, xb);
      const xHigh = Math.max(xa, xb);
      // Columns entirely left of the edge (col + 1 <= xLow) get the whole dy.
      const firstPartial = Math.floor(xLow);
      const leftIndex = Math.max(0, Math.min(width, firstPartial));
      // (An index whose sum came back to zero is listed twice: it then adds zero.)
      if (left[leftIndex] === 0) leftAt[lefts++] = leftIndex;
      left[leftIndex]! += dy;
      if (leftIndex < lo) lo = leftIndex;
      if (leftIndex - 1 > hi) hi = leftIndex - 1;
      // Columns the edge passes through get the integral of clamp(x - col, 0, 1).
      const from = Math.max(0, firstPartial);
      const to = Math.min(width - 1, Math.floor(xHigh));
      if (to < from) continue;
      for (let col = from; col <= to; col++) partial[col]! += dy * meanClamp(xLow, xHigh, col);
      rangeFrom[ranges] = from;
      rangeTo[ranges++] = to;
      if (from < lo) lo = from;
      if (to > hi) hi = to;
    }
    activeCount = stillActive;
    // Both from the right: the `left` indexes, and the columns edges pass through merged into
    // disjoint segments.
    sortDescending(leftAt, lefts, null);
    sortDescending(rangeTo, ranges, rangeFrom);
    let segments = 0;
    for (let q = 0; q < ranges; q++) {
      const from = rangeFrom[q]!;
      const to = rangeTo[q]!;
      if (segments > 0 && to >= rangeFrom[segments - 1]! - 1) {
        if (from < rangeFrom[segments - 1]!) rangeFrom[segments - 1] = from;
      } else {
        rangeFrom[segments] = from;
        rangeTo[segments++] = to;
      }
    }
    // Walk the row from the right, as the running sum of `left` adds up: one run per column of
    // a segment, one per stretch of a gap between two `left` indexes. Left of `lo` the sum is
    // the row's total, zero for closed rings: nothing there.
    const base = row * width;
    const firstRun = count;
    let running = 0;
    let l = 0;
    let col = hi;
    for (let segment = 0; segment <= segments; segment++) {
      const gapEnd = segment < segments ? rangeTo[segment]! + 1 : lo;
      while (col >= gapEnd) {
        while (l < lefts && leftAt[l]! > col) {
          running += left[leftAt[l]!]!;
          left[leftAt[l++]!] = 0;
        }
        const stop = l < lefts && leftAt[l]! > gapEnd ? leftAt[l]! : gapEnd;
        count = pushRun(count, base + stop, base + col + 1, running);
        col = stop - 1;
      }
      if (segment === segments) break;
      for (const from = rangeFrom[segment]!; col >= from; col--) {
        while (l < lefts && leftAt[l]! > col) {
          running += left[leftAt[l]!]!;
          left[leftAt[l++]!] = 0;
        }
        count = pushRun(count, base + col, base + col + 1, partial[col]! + running);
        partial[col] = 0;
      }
    }
    while (l < lefts) left[leftAt[l++]!] = 0;
    reverseRuns(firstRun, count); // emitted right to left
  }
  return {
    start: runs.start.subarray(0, count),
    end: runs.end.subarray(0, count),
    weight: runs.weight.subarray(0, count),
  };
}

/**
 * +1 or -1 so that exterior rings add area and holes remove it, whatever their orientation:
 * a ring inside an odd number of other rings is a hole.
 */
function ringSign(ring: FlatRing, rings: readonly FlatRing[]): number {
  const area = flatSignedArea(ring);
  let depth = 0;
  for (const other of rings) {
    if (other !== ring && flatPointInRing(ring[0]!, ring[1]!, other)) depth++;
  }
  const isHole = depth % 2 === 1;
  return area > 0 !== isHole ? 1 : -1;
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
