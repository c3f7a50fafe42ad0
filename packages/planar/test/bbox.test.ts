import type { BBox } from '../src/index.js';
import { describe, expect, it } from 'vitest';
import {
  bbox,
  bboxesOverlap,
  bboxIntersection,
  bboxPolygon,
  flatBbox,
  isCounterClockwise,
  toFlat,
} from '../src/index.js';

describe('bbox', () => {
  it('bounds every kind of geometry, collections included', () => {
    expect(bbox({ type: 'Point', coordinates: [3, -4] })).toEqual([3, -4, 3, -4]);
    expect(
      bbox({
        type: 'LineString',
        coordinates: [
          [1, 5],
          [-2, 3],
        ],
      }),
    ).toEqual([-2, 3, 1, 5]);
    expect(
      bbox({
        type: 'GeometryCollection',
        geometries: [
          { type: 'Point', coordinates: [10, 10] },
          { type: 'MultiPoint', coordinates: [[-1, 0]] },
          { type: 'MultiLineString', coordinates: [[[0, -3]]] },
          {
            type: 'MultiPolygon',
            coordinates: [
              [
                [
                  [0, 0],
                  [2, 0],
                  [2, 20],
                  [0, 0],
                ],
              ],
            ],
          },
          bboxPolygon([-5, 1, -4, 2]),
        ],
      }),
    ).toEqual([-5, -3, 10, 20]);
  });

  it('gives an empty geometry the box that overlaps nothing', () => {
    const empty = bbox({ type: 'MultiPolygon', coordinates: [] });
    expect(empty).toEqual([Infinity, Infinity, -Infinity, -Infinity]);
    expect(bboxesOverlap(empty, [-1e300, -1e300, 1e300, 1e300])).toBe(false);
  });

  it('takes longitude as a plain x: a line across the antimeridian gets the box as written', () => {
    const across = {
      type: 'LineString' as const,
      coordinates: [
        [179, 0],
        [-179, 1],
      ],
    };
    expect(bbox(across)).toEqual([-179, 0, 179, 1]);
  });

  it('is the same box for the flat form', () => {
    const rings = [
      [
        [0, 0],
        [4, 0],
        [4, 3],
        [0, 0],
      ],
      [
        [1, 1],
        [2, 1],
        [1, -2],
        [1, 1],
      ],
    ];
    expect(flatBbox(rings.map(toFlat))).toEqual(bbox({ type: 'Polygon', coordinates: rings }));
    expect(flatBbox([])).toEqual([Infinity, Infinity, -Infinity, -Infinity]);
  });
});

describe('bboxesOverlap and bboxIntersection', () => {
  const a: BBox = [0, 0, 2, 2];

  it('share the part two boxes have in common', () => {
    expect(bboxesOverlap(a, [1, 1, 3, 3])).toBe(true);
    expect(bboxIntersection(a, [1, 1, 3, 3])).toEqual([1, 1, 2, 2]);
    expect(bboxIntersection(a, [0.5, -1, 1, 5])).toEqual([0.5, 0, 1, 2]);
  });

  it('count boxes touching along an edge or at a corner as overlapping', () => {
    expect(bboxesOverlap(a, [2, 0, 3, 1])).toBe(true);
    expect(bboxIntersection(a, [2, 0, 3, 1])).toEqual([2, 0, 2, 1]);
    expect(bboxIntersection(a, [2, 2, 3, 3])).toEqual([2, 2, 2, 2]);
  });

  it('find nothing in common between apart boxes', () => {
    for (const b of [
      [2.5, 0, 3, 1],
      [0, -2, 2, -0.5],
      [-3, -3, -1, -1],
    ] as BBox[]) {
      expect(bboxesOverlap(a, b)).toBe(false);
      expect(bboxesOverlap(b, a)).toBe(false);
      expect(bboxIntersection(a, b)).toBeNull();
    }
  });
});

describe('bboxPolygon', () => {
  it('is the closed, counter-clockwise ring of the box', () => {
    const polygon = bboxPolygon([-10, 40, 5, 50]);
    expect(polygon).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [-10, 40],
          [5, 40],
          [5, 50],
          [-10, 50],
          [-10, 40],
        ],
      ],
    });
    expect(isCounterClockwise(polygon.coordinates[0]!)).toBe(true);
    expect(bbox(polygon)).toEqual([-10, 40, 5, 50]);
  });
});
