import type gdal from 'gdal-async';
import { readWkb, type GeometryFamily } from '@geoworks/geodata';
import { flatMollweideArea, flatMollweideLength } from '@geoworks/planar';

/**
 * pandarus's measure of a WGS84 geometry given as WKB: area in m² (polygons) or length in m
 * (lines) on the spherical Mollweide projection, or the number of points. Computed from the
 * coordinates, no geometry objects built.
 */
export function measureWkb(wkb: Uint8Array, family: GeometryFamily): number {
  const shapes = readWkb(wkb);
  if (family === 'polygon') return flatMollweideArea(shapes.polygons);
  if (family === 'line') return flatMollweideLength(shapes.lines);
  return shapes.points.length;
}

/** {@link measureWkb} of a GDAL geometry. */
export function measureGeometry(geometry: gdal.Geometry, family: GeometryFamily): number {
  return measureWkb(geometry.toWKB(), family);
}
