import gdal from 'gdal-async';

let configured = false;

/**
 * gdal-async, with the process-wide options geoworks relies on set the first time: longitude
 * (easting) first for every CRS, whatever its authority says. GDAL 3 otherwise reads EPSG:4326
 * from files latitude-first, and transformations between a file's CRS and another swap the
 * axes. A CRS object takes the option when it is made, so call this before opening a dataset
 * or making a CRS (`setUpGdal().open(path)`); geodata's own functions do. Nothing is set by
 * importing the package.
 */
export function setUpGdal(): typeof gdal {
  if (!configured) {
    gdal.config.set('OSR_DEFAULT_AXIS_MAPPING_STRATEGY', 'TRADITIONAL_GIS_ORDER');
    configured = true;
  }
  return gdal;
}
