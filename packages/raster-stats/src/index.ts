export { rasterStatistics, zonalStatistics } from './zonal.js';
export type {
  RasterInput,
  RasterStatisticsOptions,
  RasterStatisticsResult,
  VectorInput,
  ZonalOptions,
  ZonalRow,
  ZonalRule,
} from './zonal.js';
export { ALL_STATS, computeStats, DEFAULT_STATS } from './stats.js';
export type { StatName, Stats } from './stats.js';
export { openRasterBand } from './raster.js';
export type { OpenRasterOptions, PixelArray, RasterBand, RasterReader } from './raster.js';
export { centreMask, coverageFractions } from './rasterize.js';
export { BandOutOfRangeError, NotARasterError } from './errors.js';
