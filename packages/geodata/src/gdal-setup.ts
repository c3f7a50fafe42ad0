import gdal from 'gdal-async';

// Longitude (easting) first for every CRS, whatever its authority says: GDAL 3 otherwise gives
// EPSG:4326 read from files latitude-first, and transformations between a file's CRS and
// another swap the axes. Process-wide, set once when this package loads.
gdal.config.set('OSR_DEFAULT_AXIS_MAPPING_STRATEGY', 'TRADITIONAL_GIS_ORDER');
