import { describe, expect, it } from 'vitest';
import { flatPointInRing, flatSignedArea } from '@geoworks/planar';
import { centreMask, centreSpans, coverageRuns, coverageFractions } from '../src/rasterize.js';
import { computeStats, computeStatsOverRuns, computeStatsOverSpans } from '../src/stats.js';

const ring = (...points: [number, number][]) => new Float64Array(points.flat());
const grid = (values: ArrayLike<number>, width: number) =>
  Array.from({ length: values.length / width }, (_, row) =>
    Array.from({ length: width }, (_, col) => Math.round(values[row * width + col]! * 1e9) / 1e9),
  );

describe('centreMask (GDAL rule)', () => {
  it('takes pixels whose centre is inside; a centre on a vertical edge goes left', () => {
    // Columns 0..3; the edge x = 2.5 passes through the centre of column 2.
    const leftPart = centreMask([ring([0, 0], [2.5, 0], [2.5, 2], [0, 2])], 4, 2);
    const rightPart = centreMask([ring([2.5, 0], [4, 0], [4, 2], [2.5, 2])], 4, 2);
    expect(grid(leftPart, 4)).toEqual([
      [1, 1, 1, 0],
      [1, 1, 1, 0],
    ]);
    expect(grid(rightPart, 4)).toEqual([
      [0, 0, 0, 1],
      [0, 0, 0, 1],
    ]);
  });

  it('leaves holes empty and handles both orientations', () => {
    const outer = ring([0, 0], [5, 0], [5, 5], [0, 5]);
    const hole = ring([1, 1], [1, 4], [4, 4], [4, 1]);
    const mask = centreMask([outer, hole], 5, 5);
    expect(grid(mask, 5)).toEqual([
      [1, 1, 1, 1, 1],
      [1, 0, 0, 0, 1],
      [1, 0, 0, 0, 1],
      [1, 0, 0, 0, 1],
      [1, 1, 1, 1, 1],
    ]);
  });
});

describe('coverageFractions', () => {
  it('gives exact fractions for a half-pixel-offset square', () => {
    const coverage = coverageFractions(
      [ring([0.5, 0.5], [2.5, 0.5], [2.5, 2.5], [0.5, 2.5])],
      3,
      3,
    );
    expect(grid(coverage, 3)).toEqual([
      [0.25, 0.5, 0.25],
      [0.5, 1, 0.5],
      [0.25, 0.5, 0.25],
    ]);
  });

  it('gives a triangle its exact area, split over pixels, either orientation', () => {
    for (const triangle of [ring([0, 0], [2, 0], [0, 2]), ring([0, 0], [0, 2], [2, 0])]) {
      const coverage = coverageFractions([triangle], 2, 2);
      expect(grid(coverage, 2)).toEqual([
        [1, 0.5],
        [0.5, 0],
      ]);
    }
  });

  it('subtracts holes and ignores what lies outside the window', () => {
    const outer = ring([-1, -1], [4, -1], [4, 4], [-1, 4]);
    const hole = ring([0.5, 0.5], [2.5, 0.5], [2.5, 2.5], [0.5, 2.5]);
    const coverage = coverageFractions([outer, hole], 3, 3);
    expect(grid(coverage, 3)).toEqual([
      [0.75, 0.5, 0.75],
      [0.5, 0, 0.5],
      [0.75, 0.5, 0.75],
    ]);
  });

  it('sums to the polygon area for an irregular polygon inside the window', () => {
    const star = ring(
      [5, 1],
      [6.2, 4],
      [9.5, 4.2],
      [6.8, 6.3],
      [7.9, 9.6],
      [5, 7.6],
      [2.1, 9.6],
      [3.2, 6.3],
      [0.5, 4.2],
      [3.8, 4],
    );
    const coverage = coverageFractions([star], 10, 10);
    const total = coverage.reduce((sum, value) => sum + value, 0);
    let area = 0;
    for (let i = 0; i < star.length / 2; i++) {
      const j = (i + 1) % (star.length / 2);
      area += star[2 * i]! * star[2 * j + 1]! - star[2 * j]! * star[2 * i + 1]!;
    }
    expect(total).toBeCloseTo(Math.abs(area) / 2, 9);
    for (const value of coverage) expect(value).toBeGreaterThanOrEqual(0);
    for (const value of coverage) expect(value).toBeLessThanOrEqual(1);
  });
});

/**
 * The centre rule written the plain way (every edge against every row's centre line), as it
 * was before the edge table: the fast version must give exactly its pixels.
 */
function referenceMask(rings: readonly Float64Array[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const fill = (row: number, from: number, to: number) => {
    for (let col = Math.max(0, from); col <= Math.min(width - 1, to); col++)
      mask[row * width + col] = 1;
  };
  for (let row = 0; row < height; row++) {
    const y = row + 0.5;
    const crossings: number[] = [];
    for (const ring of rings) {
      const n = ring.length / 2;
      for (let i = 0; i < n; i++) {
        const j = (i + 1) % n;
        const [ax, ay, bx, by] = [ring[2 * i]!, ring[2 * i + 1]!, ring[2 * j]!, ring[2 * j + 1]!];
        if ((ay < y && by < y) || (ay > y && by > y)) continue;
        if (ay === by) {
          if (ax > bx) fill(row, Math.floor(bx + 0.5), Math.floor(ax + 0.5) - 1);
          continue;
        }
        const [x1, y1, x2, y2] = ay < by ? [ax, ay, bx, by] : [bx, by, ax, ay];
        if (y < y2 && y >= y1) crossings.push(((y - y1) * (x2 - x1)) / (y2 - y1) + x1);
      }
    }
    crossings.sort((a, b) => a - b);
    for (let i = 0; i + 1 < crossings.length; i += 2) {
      fill(row, Math.floor(crossings[i]! + 0.5), Math.floor(crossings[i + 1]! + 0.5) - 1);
    }
  }
  return mask;
}

describe('centreSpans and the statistics over them', () => {
  // Star-shaped polygons with a hole, some vertices on pixel centres and horizontal edges on
  // centre lines, compared with the mask they must reproduce exactly.
  function star(seed: number, width: number, height: number): Float64Array[] {
    let state = seed;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const cx = width / 2;
    const cy = height / 2;
    const outer: number[] = [];
    const inner: number[] = [];
    for (let k = 0; k < 24; k++) {
      const angle = (Math.PI * 2 * k) / 24;
      const radius = (k % 2 === 0 ? 0.45 : 0.25) * Math.min(width, height) * (0.8 + 0.4 * next());
      // Snap some vertices to half-pixels so edges meet centre lines exactly.
      const snap = (value: number) => (k % 3 === 0 ? Math.round(value) + 0.5 : value);
      outer.push(snap(cx + radius * Math.cos(angle)), snap(cy + radius * Math.sin(angle)));
      if (k % 4 === 0)
        inner.push(cx + 0.1 * radius * Math.cos(-angle), cy + 0.1 * radius * Math.sin(-angle));
    }
    // A horizontal edge on a centre line, running right to left (GDAL fills it).
    outer.push(cx + 3, Math.floor(cy) + 0.5, cx - 3, Math.floor(cy) + 0.5);
    return [Float64Array.from(outer), Float64Array.from(inner)];
  }

  it('covers exactly the pixels of the mask, each once', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const [width, height] = [17 + (seed % 23), 13 + (seed % 19)];
      const rings = star(seed, width, height);
      const mask = centreMask(rings, width, height);
      const fromSpans = new Uint8Array(width * height);
      const spans = centreSpans(rings, width, height);
      for (let k = 0; k < spans.length; k += 3) {
        for (let col = spans[k + 1]!; col <= spans[k + 2]!; col++)
          fromSpans[spans[k]! * width + col]!++;
      }
      expect(Array.from(fromSpans)).toEqual(Array.from(mask));
      expect(Array.from(mask)).toEqual(Array.from(referenceMask(rings, width, height)));
    }
  });

  it('gives the statistics computeStats gives on the mask', () => {
    const stats = ['min', 'max', 'mean', 'count', 'sum', 'std', 'range', 'nodata'] as const;
    for (let seed = 1; seed <= 20; seed++) {
      const [width, height] = [31, 27];
      const rings = star(seed, width, height);
      const values = Float32Array.from({ length: width * height }, (_, i) =>
        i % 7 === 0 ? -9999 : i % 5 === 0 ? NaN : ((i * 37) % 101) / 3,
      );
      expect(
        computeStatsOverSpans(values, width, centreSpans(rings, width, height), -9999, stats),
      ).toEqual(computeStats(values, centreMask(rings, width, height), -9999, stats));
    }
  });
});

/**
 * Coverage fractions the plain way, as they were computed before the row-by-row version: every
 * edge adds its share to a dense window, the columns left of it through a running sum. The
 * fast version must give exactly these values.
 */
function referenceCoverage(
  rings: readonly Float64Array[],
  width: number,
  height: number,
): Float64Array {
  const coverage = new Float64Array(width * height);
  const left = new Float64Array(height * (width + 1));
  const clampIntegral = (t: number) => (t <= 0 ? 0 : t <= 1 ? (t * t) / 2 : t - 0.5);
  for (const ring of rings) {
    // Holes (inside an odd number of other rings) remove area whatever their orientation.
    let depth = 0;
    for (const other of rings) {
      if (other !== ring && flatPointInRing(ring[0]!, ring[1]!, other)) depth++;
    }
    const sign = flatSignedArea(ring) > 0 !== (depth % 2 === 1) ? 1 : -1;
    const n = ring.length / 2;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const [ax, ay, bx, by] = [ring[2 * i]!, ring[2 * i + 1]!, ring[2 * j]!, ring[2 * j + 1]!];
      if (ay === by) continue;
      const yMin = Math.max(0, Math.min(ay, by));
      const yMax = Math.min(height, Math.max(ay, by));
      const slope = (bx - ax) / (by - ay);
      for (let row = Math.floor(yMin); row < yMax; row++) {
        const y0 = Math.max(yMin, row);
        const y1 = Math.min(yMax, row + 1);
        if (y1 <= y0) continue;
        const dy = (y1 - y0) * (by > ay ? 1 : -1) * sign;
        const xa = ax + (y0 - ay) * slope;
        const xb = ax + (y1 - ay) * slope;
        const [lo, hi] = [Math.min(xa, xb), Math.max(xa, xb)];
        left[row * (width + 1) + Math.max(0, Math.min(width, Math.floor(lo)))]! += dy;
        for (
          let col = Math.max(0, Math.floor(lo));
          col <= Math.min(width - 1, Math.floor(hi));
          col++
        ) {
          const share =
            hi - lo < 1e-15
              ? Math.min(1, Math.max(0, lo - col))
              : (clampIntegral(hi - col) - clampIntegral(lo - col)) / (hi - lo);
          coverage[row * width + col]! += dy * share;
        }
      }
    }
  }
  for (let row = 0; row < height; row++) {
    let running = 0;
    for (let col = width - 1; col >= 0; col--) {
      running += left[row * (width + 1) + col + 1]!;
      coverage[row * width + col]! += running;
    }
  }
  return coverage.map((value) => (value < 1e-12 ? 0 : value > 1 ? 1 : value));
}

describe('coverageRuns', () => {
  // Irregular polygons with a hole, placed so that some stick out of the window on any side.
  function shape(seed: number, width: number, height: number): Float64Array[] {
    let state = seed;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
    const cx = width * (0.1 + 0.8 * next());
    const cy = height * (0.1 + 0.8 * next());
    const size = Math.min(width, height) * (0.3 + 0.6 * next());
    const outer: number[] = [];
    const hole: number[] = [];
    for (let k = 0; k < 30; k++) {
      const angle = (Math.PI * 2 * k) / 30;
      const radius = size * (k % 2 === 0 ? 1 : 0.5 + 0.3 * next());
      // Some vertices on pixel corners and edges, where rounding is at its worst.
      const snap = (value: number) => (k % 5 === 0 ? Math.round(value) : value);
      outer.push(snap(cx + radius * Math.cos(angle)), snap(cy + radius * Math.sin(angle)));
      if (k % 6 === 0)
        hole.push(cx + 0.2 * size * Math.cos(-angle), cy + 0.2 * size * Math.sin(-angle));
    }
    return [Float64Array.from(outer), Float64Array.from(hole)];
  }

  it('gives exactly the fractions of the dense computation, in row-major order', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const [width, height] = [5 + (seed % 37), 3 + ((seed * 7) % 41)];
      const rings = shape(seed, width, height);
      const expected = referenceCoverage(rings, width, height);
      const { start, end, weight } = coverageRuns(rings, width, height);
      const dense = new Float64Array(width * height);
      for (let r = 0; r < start.length; r++) {
        if (r > 0) expect(start[r]!).toBeGreaterThanOrEqual(end[r - 1]!);
        expect(end[r]!).toBeGreaterThan(start[r]!);
        // A run lies within one row.
        expect(Math.floor(start[r]! / width)).toBe(Math.floor((end[r]! - 1) / width));
        expect(weight[r]!).toBeGreaterThan(0);
        dense.fill(weight[r]!, start[r]!, end[r]!);
      }
      expect(Array.from(dense)).toEqual(Array.from(expected));
      expect(Array.from(coverageFractions(rings, width, height))).toEqual(Array.from(expected));
    }
  });

  it('gives the statistics computeStats gives on the dense fractions', () => {
    const stats = ['min', 'max', 'mean', 'count', 'sum', 'std', 'median', 'majority'] as const;
    for (let seed = 1; seed <= 20; seed++) {
      const [width, height] = [29, 23];
      const rings = shape(seed, width, height);
      const values = Float32Array.from({ length: width * height }, (_, i) =>
        i % 7 === 0 ? -9999 : i % 5 === 0 ? NaN : ((i * 37) % 101) / 3,
      );
      expect(
        computeStatsOverRuns(values, coverageRuns(rings, width, height), -9999, stats),
      ).toEqual(computeStats(values, referenceCoverage(rings, width, height), -9999, stats));
    }
  });
});
