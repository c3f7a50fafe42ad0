import type { MultiPolygon, Polygon, Position } from 'geojson';
import { describe, expect, it } from 'vitest';
import {
  flatPointInRing,
  flatPointInRings,
  pointInPolygon,
  pointInRing,
  toFlat,
} from '../src/index.js';

const box = (x0: number, y0: number, x1: number, y1: number): Position[] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

// pandarus's grid fixture: four 1-degree cells sharing edges and the corner (1, 1).
const GRID = [box(0, 0, 1, 1), box(0, 1, 1, 2), box(1, 0, 2, 1), box(1, 1, 2, 2)];
const cellsHolding = (point: Position) =>
  GRID.flatMap((ring, cell) => (pointInRing(point, ring) ? [cell] : []));

describe('pointInRing', () => {
  it('finds a point inside and outside, whatever the orientation', () => {
    const ring = box(0, 0, 1, 1);
    expect(pointInRing([0.5, 0.5], ring)).toBe(true);
    expect(pointInRing([0.5, 0.5], [...ring].reverse())).toBe(true);
    expect(pointInRing([1.5, 0.5], ring)).toBe(false);
    expect(pointInRing([0.5, -0.5], ring)).toBe(false);
  });

  it('puts a point on an edge two cells share in exactly one: the one right of it or above', () => {
    expect(cellsHolding([1, 0.5])).toEqual([2]);
    expect(cellsHolding([0.5, 1])).toEqual([1]);
    expect(cellsHolding([1, 1])).toEqual([3]);
    // The grid's outer boundary: in on its left and bottom edges, out on its right and top.
    expect(cellsHolding([0, 0.5])).toEqual([0]);
    expect(cellsHolding([0.5, 0])).toEqual([0]);
    expect(cellsHolding([2, 0.5])).toEqual([]);
    expect(cellsHolding([0.5, 2])).toEqual([]);
  });

  it('gives the flat form the same answers', () => {
    for (const ring of GRID) {
      for (const point of [
        [1, 0.5],
        [0.5, 1],
        [1, 1],
        [0.25, 1.75],
      ]) {
        expect(flatPointInRing(point[0]!, point[1]!, toFlat(ring))).toBe(pointInRing(point, ring));
      }
    }
  });

  it('finds nothing in degenerate rings', () => {
    expect(pointInRing([0, 0], [])).toBe(false);
    expect(pointInRing([0.5, 0.5], [[0.5, 0.5]])).toBe(false);
    const line = [
      [0, 0],
      [1, 1],
      [0, 0],
    ];
    expect(pointInRing([0.5, 0.5], line)).toBe(false);
    expect(pointInRing([0.25, 0.5], line)).toBe(false);
  });

  it('takes longitude as a plain x: a ring across the antimeridian spans it the long way', () => {
    const across = [
      [170, 0],
      [-170, 0],
      [-170, 10],
      [170, 10],
    ];
    expect(pointInRing([0, 5], across)).toBe(true);
    expect(pointInRing([180, 5], across)).toBe(false);
    expect(pointInRing([-175, 5], across)).toBe(false);
  });
});

describe('pointInPolygon', () => {
  const withHole: Polygon = { type: 'Polygon', coordinates: [box(0, 0, 4, 4), box(1, 1, 3, 3)] };

  it('leaves out the holes, whatever their orientation', () => {
    expect(pointInPolygon([0.5, 0.5], withHole)).toBe(true);
    expect(pointInPolygon([3.5, 2], withHole)).toBe(true);
    expect(pointInPolygon([2, 2], withHole)).toBe(false);
    const holeReversed: Polygon = {
      type: 'Polygon',
      coordinates: [box(0, 0, 4, 4), [...box(1, 1, 3, 3)].reverse()],
    };
    expect(pointInPolygon([2, 2], holeReversed)).toBe(false);
    expect(pointInPolygon([5, 2], withHole)).toBe(false);
  });

  it("puts a point on a hole's edge where the edge rule puts it", () => {
    // The hole's left edge: the hole lies right of it, so the point is in the hole.
    expect(pointInPolygon([1, 2], withHole)).toBe(false);
    // The hole's right edge: the polygon lies right of it.
    expect(pointInPolygon([3, 2], withHole)).toBe(true);
  });

  it('finds a point in any polygon of a MultiPolygon', () => {
    const two: MultiPolygon = {
      type: 'MultiPolygon',
      coordinates: [[box(0, 0, 1, 1)], [box(5, 5, 6, 6), box(5.25, 5.25, 5.75, 5.75)]],
    };
    expect(pointInPolygon([0.5, 0.5], two)).toBe(true);
    expect(pointInPolygon([5.1, 5.1], two)).toBe(true);
    expect(pointInPolygon([5.5, 5.5], two)).toBe(false);
    expect(pointInPolygon([3, 3], two)).toBe(false);
  });

  it('gives the flat form of the rings the same answers', () => {
    const rings = withHole.coordinates.map(toFlat);
    for (let x = -0.5; x <= 4.5; x += 0.5) {
      for (let y = -0.5; y <= 4.5; y += 0.5)
        expect(flatPointInRings(x, y, rings)).toBe(pointInPolygon([x, y], withHole));
    }
  });
});
