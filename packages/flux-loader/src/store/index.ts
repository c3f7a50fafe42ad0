export {
  FluxStore,
  RESERVED_NAMES,
  type DatasetSummary,
  type FluxStoreOptions,
  type LoadOptions,
  type LoadSummary,
  type PointRecord,
  type RegionSeries,
  type TimeSeries,
} from './store.js';
export * from './errors.js';
export { bucketStart, INTERVALS } from './intervals.js';
