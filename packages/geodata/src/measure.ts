import type gdal from 'gdal-async';
import { mollweideArea, mollweideLength } from './mollweide.js';
import type { GeometryFamily } from './vector.js';
import { readWkb } from './wkb.js';

/**
 * pandarus's measure of a WGS84 geometry: area in m² (polygons) or length in m (lines) on the
 * spherical Mollweide projection, or the number of points.
 */
export function measure(geometry: gdal.Geometry, family: GeometryFamily): number {
  return measureWkb(geometry.toWKB(), family);
}

/** The same, from WKB: computed in JavaScript, no geometry objects needed. */
export function measureWkb(wkb: Uint8Array, family: GeometryFamily): number {
  const shapes = readWkb(wkb);
  if (family === 'polygon') return mollweideArea(shapes.polygons);
  if (family === 'line') return mollweideLength(shapes.lines);
  return shapes.points.length;
}
