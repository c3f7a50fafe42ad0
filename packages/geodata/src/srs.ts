import gdal from 'gdal-async';
import './gdal-setup.js';

/** pandarus's WGS84: longitude first, whatever the authority says. */
export const WGS84_PROJ4 = '+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs';
/** pandarus's Mollweide (ESRI:54009); PROJ's `moll` is spherical with R = 6378137. */
export const MOLLWEIDE_PROJ4 =
  '+proj=moll +lon_0=0 +x_0=0 +y_0=0 +ellps=WGS84 +datum=WGS84 +units=m +no_defs';

let wgs84: gdal.SpatialReference | undefined;
let mollweide: gdal.CoordinateTransformation | undefined;

export function wgs84Srs(): gdal.SpatialReference {
  wgs84 ??= gdal.SpatialReference.fromProj4(WGS84_PROJ4);
  return wgs84;
}

/** WGS84 longitude/latitude to spherical Mollweide metres. */
export function wgs84ToMollweide(): gdal.CoordinateTransformation {
  mollweide ??= new gdal.CoordinateTransformation(
    wgs84Srs(),
    gdal.SpatialReference.fromProj4(MOLLWEIDE_PROJ4),
  );
  return mollweide;
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
  return gdal.SpatialReference.fromUserInput(text);
}
