import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type {
  AggregateMap,
  AggregateMapOptions,
  CellAggregateOptions,
  CellSeriesOptions,
  DatasetLoad,
  DatasetSummary,
  GridMap,
  LoadOptions,
  LoadSummary,
  MetadataDocument,
  PointRecord,
  QueryOptions,
  RegionSeries,
  RegionSeriesOptions,
  SeriesAggregateOptions,
  TimeRange,
  TimeSeries,
} from '../types.js';
import type { ModelOptions } from '../models/model.js';
import { openModel } from '../models/registry.js';
import { audit, listNames, removeDataset, renameDataset } from './admin.js';
import { Connection } from './connection.js';
import { cellIndex, cells, cellSize, datasetSummaries, times } from './datasets.js';
import { loadDataset } from './load.js';
import {
  aggregateMap,
  cellSeries,
  cellSeriesAggregate,
  points,
  readMap,
  regionSeries,
  seriesAggregate,
} from './query.js';
import { migrate } from './schema.js';

/** A data file's model, configuration and overrides, and the load's progress callback. */
export interface LoadFileOptions extends ModelOptions, LoadOptions {
  /** The model that reads the file: `SpatioTemporalMatrix`, `KrigedXCO2Matrix`, `XCO2Matrix`. */
  model: string;
}

export interface FluxStoreOptions {
  /** Largest number of stored values one query may read (413 beyond); default 250 million. */
  maxQueryValues?: number;
}

/**
 * The flux database: datasets loaded from the models, their metadata and statistics, and the
 * queries of the flux API. One SQLite file in WAL mode: a server reads while `flux-manage`
 * loads, and sees a dataset the moment its load commits.
 *
 * The work is done in the modules named in each section: load.ts (the write path), admin.ts,
 * datasets.ts and query.ts (the read path), over blocks.ts (how values are laid out).
 */
export class FluxStore {
  readonly path: string;
  readonly #connection: Connection;

  private constructor(path: string, connection: Connection) {
    this.path = path;
    this.#connection = connection;
  }

  /** Opens (creating when missing) the database file. */
  static open(path: string, options: FluxStoreOptions = {}): FluxStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new BetterSqlite3(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 10000');
      db.pragma('cache_size = -65536');
      migrate(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return new FluxStore(path, new Connection(db, options.maxQueryValues ?? 250_000_000));
  }

  close(): void {
    if (this.#connection.db.open) this.#connection.db.close();
  }

  // ---------------------------------------------------------------- loading (load.ts)

  /**
   * Loads a model's data into `name` in one transaction: on any error (a step that exists,
   * other cells than the dataset's, a reader failure half-way) the database is left as it was.
   */
  load(name: string, plan: DatasetLoad, options: LoadOptions = {}): Promise<LoadSummary> {
    return loadDataset(this.#connection, name, plan, options);
  }

  /**
   * Reads a data file through its model and loads it into `name` (as `flux-manage load -p path
   * -m model -n name` does), closing the file when done.
   */
  async loadFile(name: string, path: string, options: LoadFileOptions): Promise<LoadSummary> {
    const { model: modelName, configFile, overrides, onProgress } = options;
    const model = await openModel(modelName, path, { configFile, overrides });
    try {
      return await this.load(name, await model.toLoad(), { onProgress });
    } finally {
      model.close();
    }
  }

  // ---------------------------------------------------------------- administration (admin.ts)

  /** Drops a dataset with its metadata and coord_index entries; false when there is nothing of that name. */
  remove(name: string): boolean {
    return removeDataset(this.#connection, name);
  }

  /** Renames a dataset and its entries, in one transaction. */
  rename(name: string, newName: string): void {
    renameDataset(this.#connection, name, newName);
  }

  /** Names in a collection, in name order; `counts` adds each dataset's records. */
  list(
    kind: 'collections' | 'metadata' | 'coord_index',
    options: { counts?: boolean } = {},
  ): { name: string; count?: number }[] {
    return listNames(this.#connection, kind, options);
  }

  /** The original's audit messages for datasets missing entries and entries without a dataset. */
  audit(): string[] {
    return audit(this.#connection);
  }

  // ---------------------------------------------------------------- what is stored (datasets.ts)

  /** Every dataset with metadata: `{_id, title, gridded}` in name order. */
  datasets(): DatasetSummary[] {
    return datasetSummaries(this.#connection);
  }

  /** The metadata document (for the CLI and API); undefined when there is none. */
  metadata(name: string): MetadataDocument | undefined {
    this.#connection.refresh();
    return this.#connection.metadataOf(name);
  }

  /** Whether the dataset holds gridded data; throws DatasetNotFoundError. */
  isGridded(name: string): boolean {
    return this.#connection.dataset(name).kind === 'gridded';
  }

  /** Cell centres `[x0, y0, x1, y1, ...]` in the order of every map. */
  cells(name: string): Float64Array {
    return cells(this.#connection, name);
  }

  /** A cell's size: the configured `grid` size, else the spacing of the centres. */
  cellSize(name: string): { x: number; y: number } {
    return cellSize(this.#connection, name);
  }

  /** The times of a gridded dataset's steps (ms), ascending. */
  times(name: string): number[] {
    return times(this.#connection, name);
  }

  /** Records: time steps of a grid, rows of a points dataset. */
  recordCount(name: string): number {
    return this.#connection.recordCount(this.#connection.dataset(name));
  }

  /**
   * The index of the cell at (x, y): its centre, or the cell whose extent (the cell size around
   * the centre) holds the point; CellNotFoundError otherwise.
   */
  cellIndex(name: string, x: number, y: number): number {
    return cellIndex(this.#connection, name, x, y);
  }

  // ---------------------------------------------------------------- queries (query.ts)

  /** The map at `time` (a step's exact time, or within a step's span), one value per cell (NaN: none). */
  map(name: string, time: Date, options: QueryOptions = {}): GridMap {
    return readMap(this.#connection, name, time, options);
  }

  /**
   * Per cell, an aggregate of the maps with start <= time < end (NaN for a cell with no value):
   * min, max, the sum of positive or of negative values, the sum (net) or the mean.
   */
  aggregateMap(name: string, range: TimeRange, options: AggregateMapOptions): AggregateMap {
    return aggregateMap(this.#connection, name, range, options);
  }

  /** The values of one cell at every step with start <= time <= end. */
  cellSeries(name: string, range: TimeRange, options: CellSeriesOptions): TimeSeries {
    return cellSeries(this.#connection, name, range, options);
  }

  /**
   * A cell's series (start <= time <= end) bucketed by interval: every bucket with data, each a
   * true aggregate of its values.
   */
  cellSeriesAggregate(name: string, range: TimeRange, options: CellAggregateOptions): TimeSeries {
    return cellSeriesAggregate(this.#connection, name, range, options);
  }

  /**
   * One number per step (or per interval) with start <= time <= end over every cell: the sum
   * of positive values, of negative ones, of all (net), their mean, min or max. Read from
   * per-step summaries kept at load time, so a year of a global grid answers at once.
   */
  seriesAggregate(name: string, range: TimeRange, options: SeriesAggregateOptions): TimeSeries {
    return seriesAggregate(this.#connection, name, range, options);
  }

  /**
   * Statistics over the given cells at each step with start <= time <= end (or each interval:
   * all cells x steps in it), and over everything: mean, min, max, population std and the
   * number of values.
   */
  regionSeries(name: string, range: TimeRange, options: RegionSeriesOptions): RegionSeries {
    return regionSeries(this.#connection, name, range, options);
  }

  /** Point retrievals with start <= time <= end, in time order. */
  points(name: string, range: TimeRange): PointRecord[] {
    return points(this.#connection, name, range);
  }
}
