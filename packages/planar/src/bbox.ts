import type { Geometry, Polygon, Position } from 'geojson';
import { toFlat, type BBox, type FlatRing } from './types.js';

/**
 * The bounding box of flat rings or lines (points too: one position each). With no position at
 * all it is `[Infinity, Infinity, -Infinity, -Infinity]`, a box that overlaps nothing.
 */
export function flatBbox(rings: readonly FlatRing[]): BBox {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const ring of rings) {
    for (let i = 0; i < ring.length; i += 2) {
      const x = ring[i]!;
      const y = ring[i + 1]!;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return [minX, minY, maxX, maxY];
}

/**
 * The bounding box of a GeoJSON geometry (collections included); `[Infinity, Infinity,
 * -Infinity, -Infinity]` for an empty one. Longitude is a plain x: a geometry crossing the
 * antimeridian gets the box of its coordinates as written, not a wrapped one.
 */
export function bbox(geometry: Geometry): BBox {
  const positions: Position[] = [];
  collectPositions(geometry, positions);
  return flatBbox([toFlat(positions)]);
}

function collectPositions(geometry: Geometry, into: Position[]): void {
  switch (geometry.type) {
    case 'Point':
      into.push(geometry.coordinates);
      return;
    case 'MultiPoint':
    case 'LineString':
      into.push(...geometry.coordinates);
      return;
    case 'MultiLineString':
    case 'Polygon':
      for (const line of geometry.coordinates) into.push(...line);
      return;
    case 'MultiPolygon':
      for (const rings of geometry.coordinates) for (const ring of rings) into.push(...ring);
      return;
    case 'GeometryCollection':
      for (const part of geometry.geometries) collectPositions(part, into);
  }
}

/** Whether two boxes share any point: boxes that only touch along an edge or at a corner do. */
export function bboxesOverlap(a: BBox, b: BBox): boolean {
  return !(a[2] < b[0] || a[0] > b[2] || a[3] < b[1] || a[1] > b[3]);
}

/**
 * The box two boxes share, or null when they share no point (touching boxes share a box of no
 * width or no height).
 */
export function bboxIntersection(a: BBox, b: BBox): BBox | null {
  if (!bboxesOverlap(a, b)) return null;
  return [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
}

/** The closed, counter-clockwise polygon of a box, starting at its south-west corner. */
export function bboxPolygon([minX, minY, maxX, maxY]: BBox): Polygon {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [minX, minY],
        [maxX, minY],
        [maxX, maxY],
        [minX, maxY],
        [minX, minY],
      ],
    ],
  };
}
