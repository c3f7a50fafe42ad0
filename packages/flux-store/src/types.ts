// The contracts between the parts of flux-store and its users: what a model hands the store to
// load, and what the store's queries take and give.

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

export interface LoadOptions {
  /** Called after each step (gridded) or once (points) with steps done and the total. */
  onProgress?(done: number, total: number): void;
}

export interface LoadSummary {
  dataset: string;
  /** Records added: time steps (gridded) or points. */
  records: number;
  /** Records the dataset holds now. */
  totalRecords: number;
  values: number;
}

/** A dataset as the list of scenarios shows it. */
export interface DatasetSummary {
  _id: string;
  title: string;
  gridded: boolean;
}

/** The times a query covers: each query says whether `end` is included. */
export interface TimeRange {
  start: Date;
  end: Date;
}

/** What every grid query may choose. */
export interface QueryOptions {
  /** The parameter read (`values`, `errors`, ...); default the dataset's first. */
  parameter?: string;
}

export interface AggregateMapOptions extends QueryOptions {
  aggregate: Aggregate;
}

export interface CellSeriesOptions extends QueryOptions {
  /** The cell's index in the dataset's cell order (see `cellIndex`). */
  cell: number;
}

export interface CellAggregateOptions extends CellSeriesOptions {
  aggregate: Aggregate;
  interval: Interval;
}

export interface SeriesAggregateOptions extends QueryOptions {
  aggregate: Aggregate;
  /** Buckets of the series; default one value per step. */
  interval?: Interval;
}

export interface RegionSeriesOptions extends QueryOptions {
  /** The region's cells (indexes in the dataset's cell order; see `cellsInPolygon`). */
  cells: readonly number[];
  /** Buckets of the series; default statistics per step. */
  interval?: Interval;
}

/** A map: the step's time (ms since the epoch) and one value per cell (NaN: none). */
export interface GridMap {
  time: number;
  values: Float64Array;
}

/** An aggregate map: how many steps it aggregates, and one value per cell (NaN: none). */
export interface AggregateMap {
  steps: number;
  values: Float64Array;
}

/** A series of values with their times (ms since the epoch, UTC). */
export interface TimeSeries {
  times: number[];
  values: number[];
}

/** Per step (or per interval) statistics of the cells of a region, and over all of it. */
export interface RegionSeries {
  times: number[];
  mean: number[];
  min: number[];
  max: number[];
  /** Population standard deviation. */
  std: number[];
  n: number[];
  all: { mean: number; min: number; max: number; std: number; n: number };
}

export interface PointRecord {
  time: number;
  x: number;
  y: number;
  properties: Record<string, number | null>;
}
