import type { Polygon, Position } from 'geojson';
import { describe, expect, it } from 'vitest';
import {
  flatMollweideArea,
  flatMollweideLength,
  MOLLWEIDE_RADIUS,
  mollweideArea,
  mollweideLength,
  projectMollweide,
  toFlat,
} from '../src/index.js';

const box = (x0: number, y0: number, x1: number, y1: number): Polygon => ({
  type: 'Polygon',
  coordinates: [
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [x0, y0],
    ],
  ],
});

// pandarus's reference areas (its tests of intersections_from_intersection and intersect):
// the four quarters of the square [0.5, 1.5]^2 cut by the grid's 1-degree cells, and the part
// of `outside` ([0.5, 1.5] x [1.5, 2.5]) in grid cell 1. Each is the area of the polygon
// projected to spherical Mollweide, reproduced up to the order GEOS wrote the vertices in.
const QUARTERS: [Polygon, number][] = [
  [box(0.5, 0.5, 1, 1), 3097719886.0413523],
  [box(1, 0.5, 1.5, 1), 3097719886.041353],
  [box(0.5, 1, 1, 1.5), 3097248058.207055],
  [box(1, 1, 1.5, 1.5), 3097248058.207057],
];

describe('mollweideArea', () => {
  it("reproduces pandarus's areas of the grid's quarter cells, to 0.0001 m²", () => {
    for (const [polygon, area] of QUARTERS) expect(mollweideArea(polygon)).toBeCloseTo(area, 4);
    expect(mollweideArea(box(0.5, 1.5, 1, 2))).toBeCloseTo(3096540361.37, 2);
  });

  it("reproduces pandarus's remaining area of `outside`: its area less its two quarters", () => {
    const parts = {
      type: 'MultiPolygon' as const,
      coordinates: [box(0.5, 1.5, 1, 2).coordinates, box(1, 1.5, 1.5, 2).coordinates],
    };
    expect(mollweideArea(box(0.5, 1.5, 1.5, 2.5)) - mollweideArea(parts)).toBeCloseTo(
      6191048105.59,
      2,
    );
  });

  it('counts the exterior positive and holes negative, whatever their orientation', () => {
    const outer = box(0, 0, 2, 2).coordinates[0]!;
    const hole = box(0.5, 0.5, 1, 1).coordinates[0]!;
    const expected = mollweideArea(box(0, 0, 2, 2)) - mollweideArea(box(0.5, 0.5, 1, 1));
    for (const [exterior, inner] of [
      [outer, hole],
      [[...outer].reverse(), hole],
      [outer, [...hole].reverse()],
    ] as [Position[], Position[]][]) {
      expect(mollweideArea({ type: 'Polygon', coordinates: [exterior, inner] })).toBe(expected);
    }
  });

  it('adds up the polygons of a MultiPolygon and gives the flat form the same number', () => {
    const [[a, areaA], [b, areaB]] = QUARTERS as [[Polygon, number], [Polygon, number]];
    const both = { type: 'MultiPolygon' as const, coordinates: [a.coordinates, b.coordinates] };
    expect(mollweideArea(both)).toBeCloseTo(areaA + areaB, 4);
    expect(flatMollweideArea([a.coordinates.map(toFlat), b.coordinates.map(toFlat)])).toBe(
      mollweideArea(both),
    );
  });

  it('gives degenerate polygons no area', () => {
    expect(mollweideArea({ type: 'Polygon', coordinates: [] })).toBe(0);
    expect(mollweideArea({ type: 'MultiPolygon', coordinates: [] })).toBe(0);
    const alongEquator: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [2, 0],
          [0, 0],
        ],
      ],
    };
    expect(mollweideArea(alongEquator)).toBe(0);
  });

  it('joins the projected vertices by straight lines: a straight line in degrees bends', () => {
    const diagonal: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 1],
          [2, 2],
          [0, 0],
        ],
      ],
    };
    expect(mollweideArea(diagonal)).toBeCloseTo(2769702.41, 2);
  });

  it('measures a ring across the antimeridian the long way, as its coordinates say', () => {
    const across: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [179, 0],
          [-179, 0],
          [-179, 1],
          [179, 1],
          [179, 0],
        ],
      ],
    };
    const wide = mollweideArea(box(-179, 0, 179, 1));
    expect(Math.abs(mollweideArea(across) / wide - 1)).toBeLessThan(1e-12);
    expect(wide / mollweideArea(box(0, 0, 2, 1))).toBeCloseTo(179, 6);
  });
});

describe('mollweideLength', () => {
  it('is x = 2√2/π R λ along the equator (λ in radians)', () => {
    const halfDegree = MOLLWEIDE_RADIUS * ((2 * Math.SQRT2) / Math.PI) * (Math.PI / 360);
    const line = {
      type: 'LineString' as const,
      coordinates: [
        [0.5, 0],
        [1, 0],
      ],
    };
    expect(mollweideLength(line)).toBeCloseTo(halfDegree, 6);
  });

  it('adds up the segments and the lines, and the flat form gives the same number', () => {
    const lines = {
      type: 'MultiLineString' as const,
      coordinates: [
        [
          [0.5, 0.5],
          [1, 0.5],
          [1.5, 0.5],
        ],
        [
          [0, 0],
          [0, 1],
        ],
      ],
    };
    const first = mollweideLength({ type: 'LineString', coordinates: lines.coordinates[0]! });
    const second = mollweideLength({ type: 'LineString', coordinates: lines.coordinates[1]! });
    expect(mollweideLength(lines)).toBeCloseTo(first + second, 6);
    expect(flatMollweideLength(lines.coordinates.map(toFlat))).toBe(mollweideLength(lines));
    // Half a degree of longitude at 0.5 degrees north: 50.11 km.
    expect(first / 2 / 1000).toBeCloseTo(50.11, 2);
  });

  it('gives a line of one position, or none, no length', () => {
    expect(mollweideLength({ type: 'LineString', coordinates: [[3, 3]] })).toBe(0);
    expect(mollweideLength({ type: 'MultiLineString', coordinates: [] })).toBe(0);
  });
});

describe('projectMollweide', () => {
  it('puts the equator at y = 0, 180 degrees at x = 2√2 R and the poles at y = ±√2 R', () => {
    // At the poles Newton's method stops within its tolerance: y is √2 R to a millimetre.
    const [x0, y0, x180, y180, , yNorth, , ySouth] = projectMollweide(
      Float64Array.from([0, 0, 180, 0, 0, 90, 0, -90]),
    );
    expect(x0).toBe(0);
    expect(y0).toBe(0);
    expect(x180).toBeCloseTo(2 * Math.SQRT2 * MOLLWEIDE_RADIUS, 6);
    expect(y180).toBe(0);
    expect(yNorth).toBeCloseTo(Math.SQRT2 * MOLLWEIDE_RADIUS, 2);
    expect(ySouth).toBe(-yNorth!);
  });

  it('does not wrap longitudes beyond 180 degrees', () => {
    const [x190] = projectMollweide(Float64Array.from([190, 0]));
    const [x170] = projectMollweide(Float64Array.from([170, 0]));
    expect(x190! / x170!).toBeCloseTo(19 / 17, 12);
  });
});
