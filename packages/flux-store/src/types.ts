// The contracts between the parts of flux-store: models -> store -> queries.

/** A dataset's metadata as the API serves it (`describe()` of the model, plus what the store adds). */
export interface DatasetMetadata {
  /** Gridded data (a value per cell and time step) or point retrievals. */
  gridded: boolean;
  title: string;
  /** `{units, x, y}` cell size; `{}` when unknown. */
  grid: Record<string, unknown>;
  units: Record<string, string>;
  /** ISO `YYYY-MM-DDTHH:MM:SS` breakpoints: [first, last] for 4-D grids, one per file for 3-D, unique days for points. */
  dates: string[];
  /** Seconds between successive steps (4-D grids). */
  steps?: number[];
  /** Seconds one step covers (3-D grids, e.g. 6 days for kriged XCO2). */
  spans?: number[];
  /** [minx, miny, maxx, maxy]. */
  bbox?: [number, number, number, number];
  /** md5 of the bbox written as Python prints a tuple of floats. */
  bboxmd5?: string;
  /** Decimals kept when values are stored. */
  precision?: number;
  /** Anything else the configuration carried (header, columns, ...). */
  [key: string]: unknown;
}

/** Statistics of one parameter over every stored value of a dataset. */
export interface ParameterStats {
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation (ddof = 1), as pandas. */
  std: number;
  median: number;
}

/** The metadata document of a stored dataset (the original's `metadata` collection entry). */
export type MetadataDocument = DatasetMetadata & {
  _id: string;
  stats: Record<string, ParameterStats>;
};

/** One time step of a gridded load: a value per cell for each parameter. */
export interface GriddedStep {
  time: Date;
  /** Seconds this step covers (3-D grids: `spans[0]`). */
  span?: number;
  /** Per parameter, one value per cell in the order of `GriddedLoad.cells` (NaN: no value). */
  values: Record<string, Float64Array>;
}

/** What a gridded model hands the store. */
export interface GriddedLoad {
  kind: 'gridded';
  metadata: DatasetMetadata;
  /** `['values']` (4-D) or `['values', 'errors']` (3-D kriged). */
  parameters: string[];
  /** Cell centres `[x0, y0, x1, y1, ...]` (rounded to 5 decimals), the order of every values array. */
  cells: Float64Array;
  /** Decimals each parameter is rounded to when stored. */
  precision: Record<string, number>;
  /** How many steps `steps` yields. */
  stepCount: number;
  /**
   * The steps in time order; may be a generator that slices the source matrix lazily. It may be
   * asynchronous (matrix readers stream columns asynchronously), so `FluxStore.load` is async:
   * it runs `BEGIN IMMEDIATE` ... `COMMIT` around a `for await` (ROLLBACK on any error).
   */
  steps: Iterable<GriddedStep> | AsyncIterable<GriddedStep>;
}

/** What a point (non-gridded) model hands the store, column by column. */
export interface PointsLoad {
  kind: 'points';
  metadata: DatasetMetadata;
  /** e.g. `['value', 'error']`. */
  parameters: string[];
  precision: Record<string, number>;
  /** Milliseconds since the epoch, one per point. */
  times: Float64Array;
  x: Float64Array;
  y: Float64Array;
  /** Per parameter, one value per point. */
  properties: Record<string, Float64Array>;
}

export type DatasetLoad = GriddedLoad | PointsLoad;

/** Aggregates of the map and series queries. */
export const AGGREGATES = ['positive', 'negative', 'net', 'mean', 'min', 'max'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** Bucket sizes of the series queries (UTC calendar). */
export type Interval = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'annual';
