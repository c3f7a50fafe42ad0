import gdal from 'gdal-async';
import { wgs84ToMollweide } from './srs.js';
import { flatType, type GeometryFamily } from './vector.js';

/**
 * pandarus's measure of a WGS84 geometry: area in m² (polygons) or length in m (lines) on the
 * spherical Mollweide projection, or the number of points.
 */
export function measure(geometry: gdal.Geometry, family: GeometryFamily): number {
  if (family === 'point') return countPoints(geometry);
  const projected = geometry.clone();
  projected.transform(wgs84ToMollweide());
  return family === 'polygon'
    ? (projected as gdal.Polygon | gdal.MultiPolygon).getArea()
    : (projected as gdal.LineString | gdal.MultiLineString).getLength();
}

function countPoints(geometry: gdal.Geometry): number {
  if (geometry.isEmpty()) return 0;
  if (flatType(geometry.wkbType) === gdal.wkbPoint) return 1;
  if (geometry instanceof gdal.GeometryCollection) {
    let count = 0;
    for (const child of geometry.children) count += countPoints(child);
    return count;
  }
  return 0;
}
