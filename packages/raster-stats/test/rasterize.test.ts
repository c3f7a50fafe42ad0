import { describe, expect, it } from 'vitest';
import { centreMask, coverageFractions } from '../src/rasterize.js';

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
