// @geoworks/flux-loader: flux grids (read by @geoworks/matfile) into an embedded SQLite store, and
// the queries of the Carbon Data Explorer's API.
export type {
  Aggregate,
  DatasetLoad,
  DatasetMetadata,
  GriddedLoad,
  GriddedStep,
  Interval,
  MetadataDocument,
  ParameterStats,
  PointsLoad,
} from './types.js';
export { FluxConfigError, loadFluxConfig, parseOverrides, type FluxConfig } from './config.js';
export {
  bboxMd5,
  CovarianceMatrix,
  isoSeconds,
  KrigedXCO2Matrix,
  MODEL_NAMES,
  ModelInputError,
  openModel,
  pythonFloatRepr,
  SpatioTemporalMatrix,
  UnknownModelError,
  XCO2Matrix,
  type FluxModel,
  type ModelName,
  type ModelOptions,
} from './models/index.js';
export * from './store/index.js';
export { parseWktPoint, parseWktPolygon, cellsInPolygon } from './geometry.js';
export { mapToGeoTiff } from './geotiff.js';
export { runFluxManage, databasePath, USAGE, type CliIo } from './cli.js';
export { AGGREGATES, FluxApi, parseApiDate, round2, type ApiQuery } from './api.js';
