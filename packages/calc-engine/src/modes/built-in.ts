import { intersectionMode } from './intersection.js';
import { rasterStatsMode } from './raster-stats.js';
import { remainingMode } from './remaining.js';

/** The calculation modes this package ships. */
export const BUILT_IN_MODES = [intersectionMode, remainingMode, rasterStatsMode];
