export {
  baseName,
  DatasetNotFoundError,
  DuplicateLabelError,
  GeometryTypeError,
  MalformedGeometryError,
  MissingFieldError,
  NotAVectorDatasetError,
  withoutPaths,
} from './errors.js';
export {
  asMultiPolygonWkb,
  multiPolygonText,
  multiPolygonWkb,
  positionsText,
  readWkb,
  wkbProblem,
  wkbToGeoJson,
} from './wkb.js';
export type { WkbShapes } from './wkb.js';
export { parseSrs, transformToWgs84, WGS84_PROJ4, wgs84Srs } from './srs.js';
export {
  familyOf,
  flatType,
  gdalPath,
  GdalVectorSource,
  isEmptyWithoutFields,
  openVector,
  toLabel,
} from './vector.js';
export { GeoJsonSource, geoJsonFamily, geometryWkb } from './geojson.js';
export { setUpGdal } from './gdal.js';
export type {
  FieldKind,
  GeometryFamily,
  Label,
  VectorDataset,
  VectorFeatureWkb,
  OpenVectorOptions,
  VectorFeature,
} from './vector.js';
