// @geoworks/flux-store: the flux-python-api models, and the SQLite block store they load into
// with the queries of the Carbon Data Explorer.
export {
  AGGREGATES,
  type Aggregate,
  type AggregateMap,
  type AggregateMapOptions,
  type CellAggregateOptions,
  type CellSeriesOptions,
  type DatasetLoad,
  type DatasetMetadata,
  type DatasetSummary,
  type GriddedLoad,
  type GriddedStep,
  type GridMap,
  type Interval,
  type LoadOptions,
  type LoadSummary,
  type MetadataDocument,
  type ParameterStats,
  type PointRecord,
  type PointsLoad,
  type QueryOptions,
  type RegionSeries,
  type RegionSeriesOptions,
  type SeriesAggregateOptions,
  type TimeRange,
  type TimeSeries,
} from './types.js';
export { FluxConfigError, type FluxConfig } from './config.js';
export { parseIsoDate } from './dates.js';
export { CovarianceMatrix } from './models/covariance.js';
export { ModelInputError, UnknownModelError } from './models/errors.js';
export { KrigedXCO2Matrix } from './models/kriged.js';
export type { FluxModel, ModelOptions } from './models/model.js';
export { MODEL_NAMES, openModel, type ModelName } from './models/registry.js';
export { SpatioTemporalMatrix } from './models/spatio-temporal.js';
export { XCO2Matrix } from './models/xco2.js';
export { FluxStore, type FluxStoreOptions, type LoadFileOptions } from './store/store.js';
export { RESERVED_NAMES } from './store/names.js';
export {
  CellNotFoundError,
  DatasetConflictError,
  DatasetNameError,
  DatasetNotFoundError,
  QueryInputError,
  QueryTooLargeError,
  TimeNotFoundError,
  UnsupportedQueryError,
} from './store/errors.js';
export { INTERVALS } from './store/intervals.js';
export { cellsInPolygon } from './geometry.js';
