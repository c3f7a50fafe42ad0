import { describe, expect, it } from 'vitest';
import { centreMask, centreSpans, coverageFractions } from '../src/rasterize.js';
import { computeStats, computeStatsOverSpans } from '../src/stats.js';

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
