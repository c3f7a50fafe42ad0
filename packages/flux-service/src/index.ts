// @geoworks/flux-service: the Carbon Data Explorer's flux API use cases over a flux-store.
export {
  FluxService,
  SeriesNotSupportedError,
  type AggregateMapOptions,
  type CellSeriesOptions,
  type RegionSeriesOptions,
  type TimeSeriesOptions,
  type VerboseOption,
} from './service.js';
export type {
  AggregateMapDocument,
  AggregateMapProperties,
  CellFeature,
  GeoJsonPointsDocument,
  GridDocument,
  MapDocument,
  Point,
  PointsDocument,
  Polygon,
  RegionSeriesDocument,
  Rounded,
  ScenarioKind,
  SeriesDocument,
  SeriesProperties,
  VerboseAggregateMapDocument,
  VerboseMapDocument,
} from './documents.js';
