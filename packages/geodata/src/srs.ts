import gdal from 'gdal-async';
import { setUpGdal } from './gdal.js';

/** pandarus's WGS84: longitude first, whatever the authority says. */
export const WGS84_PROJ4 = '+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs';

let wgs84: gdal.SpatialReference | undefined;

export function wgs84Srs(): gdal.SpatialReference {
  wgs84 ??= setUpGdal().SpatialReference.fromProj4(WGS84_PROJ4);
  return wgs84;
}

/**
 * The transformation from a dataset's CRS to WGS84, or null when none is needed. As in
 * pandarus, a missing CRS means WGS84, and any geographic CRS is taken as is (no datum shift).
 */
export function transformToWgs84(
  srs: gdal.SpatialReference | null,
): gdal.CoordinateTransformation | null {
  if (srs === null || srs.isGeographic()) return null;
  return new gdal.CoordinateTransformation(srs, wgs84Srs());
}

/** Parses a CRS given as WKT, PROJ string or `EPSG:n`, with longitude/easting first. */
export function parseSrs(text: string): gdal.SpatialReference {
  return setUpGdal().SpatialReference.fromUserInput(text);
}
