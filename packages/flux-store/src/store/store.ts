import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { gridSpacing } from '../geometry.js';
import { isoSeconds } from '../models/describe.js';
import type {
  Aggregate,
  DatasetLoad,
  DatasetMetadata,
  GriddedLoad,
  Interval,
  MetadataDocument,
  ParameterStats,
  PointsLoad,
} from '../types.js';
import {
  codeOf,
  decodeBlock,
  FLOAT64,
  fitsInt32,
  float64View,
  int32View,
  INT32_SCALED,
  MISSING_CODE,
  scaleOf,
  statsFromCounts,
  ValueCounts,
} from './codec.js';
import {
  CellNotFoundError,
  DatasetConflictError,
  DatasetNameError,
  DatasetNotFoundError,
  QueryInputError,
  QueryTooLargeError,
  TimeNotFoundError,
  UnsupportedQueryError,
} from './errors.js';
import { bucketStart } from './intervals.js';
import { migrate } from './schema.js';

/** Names the original kept for its own collections. */
export const RESERVED_NAMES = ['coord_index', 'metadata', 'summary_stats'] as const;
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Cells per block: a cell's series reads 64 cells' worth per time block, a map N/64 rows. */
const BLOCK_CELLS = 64;
/**
 * Values buffered per time block while loading (32 MB of doubles), at most 32 steps: an 8 KB
 * block keeps a map read near 8 MB of blobs for a global grid while a year of one cell is still
 * only 92 rows (64 steps doubled map reads; 16 took 6% more space and twice the series rows).
 */
const BLOCK_VALUES = 1 << 22;
const MAX_BLOCK_STEPS = 32;

export interface FluxStoreOptions {
  /** Largest number of stored values one query may read (413 beyond); default 250 million. */
  maxQueryValues?: number;
}

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

export interface DatasetSummary {
  _id: string;
  title: string;
  gridded: boolean;
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

interface DatasetRow {
  id: number;
  name: string;
  kind: 'gridded' | 'points';
  parameters: string[];
  precision: Record<string, number>;
  cellCount: number;
  blockCells: number;
  blockSteps: number;
}

interface StepRow {
  time: number;
  span: number | null;
  timeBlock: number;
  slot: number;
}

/** Running moments of values (exact when fed integer codes). */
class Moments {
  n = 0;
  sum = 0;
  squares = 0;
  min = Infinity;
  max = -Infinity;

  add(value: number): void {
    this.n++;
    this.sum += value;
    this.squares += value * value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  merge(other: Moments): void {
    this.n += other.n;
    this.sum += other.sum;
    this.squares += other.squares;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** mean, min, max, population std, n, with values divided by `scale`. */
  result(scale: number): { mean: number; min: number; max: number; std: number; n: number } {
    if (this.n === 0) return { mean: NaN, min: NaN, max: NaN, std: NaN, n: 0 };
    const variance = Math.max(0, this.n * this.squares - this.sum * this.sum) / (this.n * this.n);
    return {
      mean: this.sum / this.n / scale,
      min: this.min / scale,
      max: this.max / scale,
      std: Math.sqrt(variance) / scale,
      n: this.n,
    };
  }
}

/**
 * The flux database: datasets loaded from the models, their metadata and statistics, and the
 * queries of the flux API. One SQLite file in WAL mode: a server reads while `flux-manage`
 * loads, and sees a dataset the moment its load commits.
 */
export class FluxStore {
  readonly path: string;
  readonly #db: Database;
  readonly #maxQueryValues: number;
  readonly #statements = new Map<string, Statement>();
  #dataVersion = -1;
  readonly #cache = new Map<string, unknown>();

  private constructor(path: string, db: Database, options: FluxStoreOptions) {
    this.path = path;
    this.#db = db;
    this.#maxQueryValues = options.maxQueryValues ?? 250_000_000;
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
    return new FluxStore(path, db, options);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  // ---------------------------------------------------------------- loading

  /**
   * Loads a model's data into `name` in one transaction: on any error (a step that exists,
   * other cells than the dataset's, a reader failure half-way) the database is left as it was.
   */
  async load(name: string, plan: DatasetLoad, options: LoadOptions = {}): Promise<LoadSummary> {
    checkName(name);
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const summary =
        plan.kind === 'gridded'
          ? await this.#loadGridded(name, plan, options)
          : this.#loadPoints(name, plan, options);
      this.#db.exec('COMMIT');
      this.#cache.clear();
      return summary;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #datasetForLoad(
    name: string,
    plan: DatasetLoad,
    cellCount: number,
  ): { dataset: DatasetRow; created: boolean } {
    const existing = this.#datasetRow(name);
    if (existing !== undefined) {
      if (existing.kind !== plan.kind) {
        throw new DatasetConflictError(
          `Dataset "${name}" holds ${existing.kind} data; this load is ${plan.kind}`,
          { dataset: name },
        );
      }
      if (existing.parameters.join() !== plan.parameters.join()) {
        throw new DatasetConflictError(
          `Dataset "${name}" has parameters ${existing.parameters.join(', ')}; this load has ${plan.parameters.join(', ')}`,
          { dataset: name },
        );
      }
      return { dataset: existing, created: false };
    }
    const now = new Date().toISOString();
    const blockSteps = Math.max(
      1,
      Math.min(MAX_BLOCK_STEPS, Math.floor(BLOCK_VALUES / Math.max(1, cellCount))),
    );
    const { lastInsertRowid } = this.#db
      .prepare(
        `INSERT INTO datasets (name, kind, parameters, precision, cell_count, block_cells, block_steps, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        name,
        plan.kind,
        JSON.stringify(plan.parameters),
        JSON.stringify(plan.precision),
        cellCount,
        BLOCK_CELLS,
        blockSteps,
        now,
        now,
      );
    return { dataset: this.#datasetRow(name, Number(lastInsertRowid))!, created: true };
  }

  async #loadGridded(name: string, plan: GriddedLoad, options: LoadOptions): Promise<LoadSummary> {
    const cellCount = plan.cells.length / 2;
    if (!Number.isInteger(cellCount) || cellCount === 0) {
      throw new QueryInputError(
        `A gridded load needs cell coordinates (got ${plan.cells.length} numbers)`,
      );
    }
    const { dataset, created } = this.#datasetForLoad(name, plan, cellCount);
    const cellsBlob = Buffer.from(plan.cells.buffer, plan.cells.byteOffset, plan.cells.byteLength);
    const stored = this.#db.prepare('SELECT cells FROM coord_index WHERE name = ?').get(name) as
      { cells: Buffer } | undefined;
    if (stored === undefined) {
      this.#db.prepare('INSERT INTO coord_index (name, cells) VALUES (?, ?)').run(name, cellsBlob);
    } else if (!stored.cells.equals(cellsBlob)) {
      // The original wrote the index once and silently mixed other grids in (its bug).
      throw new DatasetConflictError(
        `Dataset "${name}" is indexed on ${stored.cells.length / 16} other cells; this load has ${cellCount} cells that differ: load it under another name`,
        { dataset: name },
      );
    }
    const parameters = dataset.parameters;
    const scales = parameters.map((parameter) =>
      scaleOf(plan.precision[parameter] ?? dataset.precision[parameter]),
    );
    const counts = parameters.map(() => new ValueCounts());
    const blockSteps = dataset.blockSteps;
    const buffers = parameters.map(() => new Float64Array(blockSteps * cellCount));
    const insertStep = this.#db.prepare(
      'INSERT INTO grid_steps (dataset_id, time, span, time_block, slot) VALUES (?, ?, ?, ?, ?)',
    );
    const insertSummary = this.#db.prepare(
      `INSERT INTO step_summaries (dataset_id, parameter, time, n, sum, sum_positive, sum_negative, min, max)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertTimeBlock = this.#db.prepare(
      'INSERT INTO grid_time_blocks (dataset_id, time_block, step_count) VALUES (?, ?, ?)',
    );
    const insertBlock = this.#db.prepare(
      'INSERT INTO grid_blocks (dataset_id, parameter, time_block, cell_block, encoding, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    let timeBlock =
      ((
        this.#db
          .prepare('SELECT max(time_block) AS last FROM grid_time_blocks WHERE dataset_id = ?')
          .get(dataset.id) as { last: number | null }
      ).last ?? -1) + 1;
    let slot = 0;
    let fitsInt = parameters.map(() => true);
    let records = 0;
    let lastTime = -Infinity;
    const flush = (): void => {
      if (slot === 0) return;
      insertTimeBlock.run(dataset.id, timeBlock, slot);
      for (let parameter = 0; parameter < parameters.length; parameter++) {
        writeBlocks(
          insertBlock,
          dataset.id,
          parameter,
          timeBlock,
          buffers[parameter]!,
          cellCount,
          slot,
          scales[parameter],
          fitsInt[parameter]!,
        );
      }
      timeBlock++;
      slot = 0;
      fitsInt = parameters.map(() => true);
    };
    for await (const step of plan.steps) {
      const time = step.time.getTime();
      if (!Number.isFinite(time))
        throw new QueryInputError(`Step ${records + 1} has no valid time`);
      if (time <= lastTime) {
        throw new QueryInputError(
          `Steps must come in time order: ${step.time.toISOString()} follows ${new Date(lastTime).toISOString()}`,
        );
      }
      lastTime = time;
      try {
        insertStep.run(dataset.id, time, step.span ?? null, timeBlock, slot);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new DatasetConflictError(
            `Dataset "${name}" already has a time step at ${isoSeconds(step.time)}: nothing was loaded`,
            {
              dataset: name,
              time: step.time.toISOString(),
            },
          );
        }
        throw error;
      }
      for (let parameter = 0; parameter < parameters.length; parameter++) {
        const values = step.values[parameters[parameter]!];
        if (values === undefined || values.length !== cellCount) {
          throw new QueryInputError(
            `Step ${isoSeconds(step.time)}: parameter "${parameters[parameter]}" has ${values?.length ?? 0} values for ${cellCount} cells`,
          );
        }
        const summary = encodeStep(
          values,
          buffers[parameter]!,
          slot * cellCount,
          scales[parameter],
          counts[parameter]!,
        );
        if (!summary.fitsInt) fitsInt[parameter] = false;
        const scale = scales[parameter] ?? 1;
        insertSummary.run(
          dataset.id,
          parameter,
          time,
          summary.n,
          summary.sum / scale,
          summary.sumPositive / scale,
          summary.sumNegative / scale,
          summary.n === 0 ? null : summary.min / scale,
          summary.n === 0 ? null : summary.max / scale,
        );
      }
      records++;
      slot++;
      if (slot === blockSteps) flush();
      options.onProgress?.(records, plan.stepCount);
      // Let the event loop breathe between steps (progress output, signals).
      if (records % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    flush();
    if (records === 0) throw new QueryInputError(`The load of "${name}" has no time steps`);
    this.#mergeCounts(dataset, counts, scales);
    const totalRecords = this.#recordCount(dataset);
    this.#writeMetadata(dataset, plan.metadata, created);
    return {
      dataset: name,
      records,
      totalRecords,
      values: records * cellCount * parameters.length,
    };
  }

  #loadPoints(name: string, plan: PointsLoad, options: LoadOptions): LoadSummary {
    const count = plan.times.length;
    if (plan.x.length !== count || plan.y.length !== count) {
      throw new QueryInputError('A points load needs as many x and y as times');
    }
    const { dataset, created } = this.#datasetForLoad(name, plan, 0);
    const parameters = dataset.parameters;
    const scales = parameters.map((parameter) => scaleOf(plan.precision[parameter]));
    const counts = parameters.map(() => new ValueCounts());
    const insert = this.#db.prepare(
      'INSERT INTO points (dataset_id, time, x, y, properties) VALUES (?, ?, ?, ?, ?)',
    );
    for (let index = 0; index < count; index++) {
      const properties: Record<string, number | null> = {};
      for (let parameter = 0; parameter < parameters.length; parameter++) {
        const key = parameters[parameter]!;
        const raw = plan.properties[key]?.[index];
        if (raw === undefined) throw new QueryInputError(`Point ${index + 1} has no "${key}"`);
        const scale = scales[parameter];
        if (Number.isNaN(raw)) {
          properties[key] = null;
          continue;
        }
        const code = scale === undefined ? raw : codeOf(raw, scale);
        counts[parameter]!.add(code);
        properties[key] = scale === undefined ? raw : code / scale;
      }
      insert.run(
        dataset.id,
        plan.times[index]!,
        plan.x[index]!,
        plan.y[index]!,
        JSON.stringify(properties),
      );
    }
    options.onProgress?.(count, count);
    this.#mergeCounts(dataset, counts, scales);
    const totalRecords = this.#recordCount(dataset);
    this.#writeMetadata(dataset, plan.metadata, created);
    return { dataset: name, records: count, totalRecords, values: count * parameters.length };
  }

  #mergeCounts(dataset: DatasetRow, counts: ValueCounts[], scales: (number | undefined)[]): void {
    const upsert = this.#db.prepare(
      `INSERT INTO value_counts (dataset_id, parameter, value, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (dataset_id, parameter, value) DO UPDATE SET count = count + excluded.count`,
    );
    counts.forEach((valueCounts, parameter) => {
      const scale = scales[parameter] ?? 1;
      for (const [key, count] of valueCounts.entries())
        upsert.run(dataset.id, parameter, key / scale, count);
    });
  }

  /** Statistics of every stored value, per parameter (the original's were per-step averages). */
  #stats(dataset: DatasetRow): Record<string, ParameterStats> {
    const rows = this.#db.prepare(
      'SELECT value, count FROM value_counts WHERE dataset_id = ? AND parameter = ? ORDER BY value',
    );
    const stats: Record<string, ParameterStats> = {};
    dataset.parameters.forEach((parameter, index) => {
      const pairs = (rows.raw().all(dataset.id, index) as [number, number][]).map(
        ([value, count]) => [value, count] as [number, number],
      );
      const { mean, min, max, std, median } = statsFromCounts(pairs);
      stats[parameter] = { mean, min, max, std, median };
    });
    return stats;
  }

  #writeMetadata(dataset: DatasetRow, described: DatasetMetadata, created: boolean): void {
    const previous = created ? undefined : this.metadataOf(dataset.name);
    const document: MetadataDocument = {
      ...described,
      _id: dataset.name,
      stats: this.#stats(dataset),
    };
    if (previous !== undefined) {
      // A later load adds breakpoints and step sizes; the rest stays as first described.
      const { stats: _stale, ...kept } = previous;
      Object.assign(document, kept, { stats: document.stats });
      document.dates = [...new Set([...previous.dates, ...described.dates])].sort();
      for (const key of ['steps', 'spans'] as const) {
        const merged = [...new Set([...(previous[key] ?? []), ...(described[key] ?? [])])];
        if (merged.length > 0) document[key] = merged;
      }
    }
    this.#db
      .prepare(
        'INSERT INTO metadata (name, document) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET document = excluded.document',
      )
      .run(
        dataset.name,
        JSON.stringify(document, (_key, value: unknown) =>
          typeof value === 'number' && !Number.isFinite(value) ? null : value,
        ),
      );
    this.#db
      .prepare('UPDATE datasets SET updated_at = ? WHERE id = ?')
      .run(new Date().toISOString(), dataset.id);
  }

  // ---------------------------------------------------------------- administration

  /** Drops a dataset with its metadata and coord_index entries; false when there is nothing of that name. */
  remove(name: string): boolean {
    const removed = this.#db
      .transaction(() => {
        const dataset = this.#datasetRow(name);
        let changes = 0;
        if (dataset !== undefined) {
          for (const table of [
            'grid_blocks',
            'grid_steps',
            'grid_time_blocks',
            'step_summaries',
            'value_counts',
            'points',
          ]) {
            this.#db.prepare(`DELETE FROM ${table} WHERE dataset_id = ?`).run(dataset.id);
          }
          changes += this.#db.prepare('DELETE FROM datasets WHERE id = ?').run(dataset.id).changes;
        }
        changes += this.#db.prepare('DELETE FROM metadata WHERE name = ?').run(name).changes;
        changes += this.#db.prepare('DELETE FROM coord_index WHERE name = ?').run(name).changes;
        return changes > 0;
      })
      .immediate();
    this.#cache.clear();
    return removed;
  }

  /** Renames a dataset and its entries, in one transaction. */
  rename(name: string, newName: string): void {
    checkName(newName);
    this.#db
      .transaction(() => {
        if (this.#datasetRow(name) === undefined) throw new DatasetNotFoundError(name);
        const taken = this.#db
          .prepare(
            'SELECT 1 FROM datasets WHERE name = ? UNION ALL SELECT 1 FROM metadata WHERE name = ? UNION ALL SELECT 1 FROM coord_index WHERE name = ?',
          )
          .get(newName, newName, newName);
        if (taken !== undefined)
          throw new DatasetConflictError(`A dataset named "${newName}" exists already`, {
            dataset: newName,
          });
        this.#db
          .prepare('UPDATE datasets SET name = ?, updated_at = ? WHERE name = ?')
          .run(newName, new Date().toISOString(), name);
        this.#db.prepare('UPDATE coord_index SET name = ? WHERE name = ?').run(newName, name);
        const row = this.#db.prepare('SELECT document FROM metadata WHERE name = ?').get(name) as
          { document: string } | undefined;
        if (row !== undefined) {
          const document = JSON.parse(row.document) as MetadataDocument;
          document._id = newName;
          this.#db
            .prepare('UPDATE metadata SET name = ?, document = ? WHERE name = ?')
            .run(newName, JSON.stringify(document), name);
        }
      })
      .immediate();
    this.#cache.clear();
  }

  /** Names in a collection, in name order; `counts` adds each dataset's records. */
  list(
    kind: 'collections' | 'metadata' | 'coord_index',
    options: { counts?: boolean } = {},
  ): { name: string; count?: number }[] {
    this.#refresh();
    if (kind === 'metadata' || kind === 'coord_index') {
      return (
        this.#db.prepare(`SELECT name FROM ${kind} ORDER BY name`).all() as { name: string }[]
      ).map(({ name }) => ({ name }));
    }
    return this.#datasetRows().map((dataset) =>
      options.counts === true
        ? { name: dataset.name, count: this.#recordCount(dataset) }
        : { name: dataset.name },
    );
  }

  /** The original's audit messages for datasets missing entries and entries without a dataset. */
  audit(): string[] {
    this.#refresh();
    const problems: string[] = [];
    const names = (table: string): Set<string> =>
      new Set(
        (this.#db.prepare(`SELECT name FROM ${table}`).all() as { name: string }[]).map(
          ({ name }) => name,
        ),
      );
    const metadata = names('metadata');
    const coordIndex = names('coord_index');
    const datasets = this.#datasetRows();
    for (const dataset of datasets) {
      if (!metadata.has(dataset.name))
        problems.push(
          `INCONSISTENCY FOUND: missing metadata entry for collection ID "${dataset.name}"`,
        );
      if (dataset.kind === 'gridded' && !coordIndex.has(dataset.name)) {
        problems.push(
          `INCONSISTENCY FOUND: missing coord_index entry for collection ID "${dataset.name}"`,
        );
      }
    }
    const known = new Set(datasets.map((dataset) => dataset.name));
    for (const [table, entries] of [
      ['metadata', metadata],
      ['coord_index', coordIndex],
    ] as const) {
      for (const name of [...entries].sort()) {
        if (!known.has(name))
          problems.push(`INCONSISTENCY FOUND: stale entry for collection ID "${name}" in ${table}`);
      }
    }
    return problems;
  }

  // ---------------------------------------------------------------- reading

  /** Every dataset with metadata: `{_id, title, gridded}` in name order. */
  datasets(): DatasetSummary[] {
    this.#refresh();
    return (
      this.#db.prepare('SELECT document FROM metadata ORDER BY name').all() as {
        document: string;
      }[]
    ).map(({ document }) => {
      const parsed = JSON.parse(document) as MetadataDocument;
      return { _id: parsed._id, title: parsed.title, gridded: parsed.gridded };
    });
  }

  /** The metadata document, or undefined. */
  metadataOf(name: string): MetadataDocument | undefined {
    const row = this.#db.prepare('SELECT document FROM metadata WHERE name = ?').get(name) as
      { document: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.document) as MetadataDocument);
  }

  /** The metadata document (for the CLI and API); undefined when there is none. */
  metadata(name: string): MetadataDocument | undefined {
    this.#refresh();
    return this.metadataOf(name);
  }

  /** Whether the dataset holds gridded data; throws DatasetNotFoundError. */
  isGridded(name: string): boolean {
    return this.#dataset(name).kind === 'gridded';
  }

  /** Cell centres `[x0, y0, x1, y1, ...]` in the order of every map. */
  cells(name: string): Float64Array {
    const dataset = this.#gridded(name, 'has no grid');
    return this.#cached(`cells:${dataset.id}`, () => {
      const row = this.#db.prepare('SELECT cells FROM coord_index WHERE name = ?').get(name) as
        { cells: Buffer } | undefined;
      if (row === undefined) throw new DatasetNotFoundError(name);
      return new Float64Array(Uint8Array.prototype.slice.call(row.cells).buffer);
    });
  }

  /** The times of a gridded dataset's steps (ms), ascending. */
  times(name: string): number[] {
    const dataset = this.#gridded(name, 'has no time steps');
    return this.#steps(dataset).map((step) => step.time);
  }

  /** Records: time steps of a grid, rows of a points dataset. */
  recordCount(name: string): number {
    return this.#recordCount(this.#dataset(name));
  }

  /**
   * The index of the cell at (x, y): its centre, or the cell whose extent (the grid size
   * around the centre) holds the point; CellNotFoundError otherwise.
   */
  cellIndex(name: string, x: number, y: number): number {
    const dataset = this.#gridded(name, 'has no cells');
    const cells = this.cells(name);
    const exact = this.#cached(`cellIndex:${dataset.id}`, () => {
      const index = new Map<string, number>();
      for (let cell = 0; cell < cells.length / 2; cell++)
        index.set(`${cells[2 * cell]},${cells[2 * cell + 1]}`, cell);
      return index;
    });
    const key = `${Math.round(x * 1e5) / 1e5},${Math.round(y * 1e5) / 1e5}`;
    const found = exact.get(key);
    if (found !== undefined) return found;
    // A point inside a cell's extent finds it: the configured cell size, else the spacing of
    // the centres (kriged grids carry no `grid`).
    const [halfX, halfY] = this.#cached(`halfCell:${dataset.id}`, () => {
      const grid = this.metadataOf(name)?.grid as { x?: unknown; y?: unknown } | undefined;
      const count = cells.length / 2;
      const xs = Float64Array.from({ length: count }, (_, cell) => cells[2 * cell]!);
      const ys = Float64Array.from({ length: count }, (_, cell) => cells[2 * cell + 1]!);
      return [gridSpacing(xs, grid?.x) / 2, gridSpacing(ys, grid?.y) / 2];
    });
    let best = -1;
    let bestDistance = Infinity;
    for (let cell = 0; cell < cells.length / 2; cell++) {
      const dx = Math.abs(cells[2 * cell]! - x);
      const dy = Math.abs(cells[2 * cell + 1]! - y);
      if (dx <= halfX && dy <= halfY && dx + dy < bestDistance) {
        best = cell;
        bestDistance = dx + dy;
      }
    }
    if (best < 0) throw new CellNotFoundError(name, x, y);
    return best;
  }

  /** The map at `time` (a step's exact time, or within a step's span), one value per cell (NaN: none). */
  map(name: string, time: Date, parameter?: string): { time: number; values: Float64Array } {
    const dataset = this.#gridded(name, 'has no maps: ask for a time range');
    const parameterIndex = this.#parameterIndex(dataset, parameter);
    const step = this.#stepAt(dataset, time.getTime());
    if (step === undefined) throw new TimeNotFoundError(name, time);
    const values = new Float64Array(dataset.cellCount).fill(NaN);
    const stepCount = this.#blockStepCount(dataset, step.timeBlock);
    const scale = scaleOf(dataset.precision[dataset.parameters[parameterIndex]!]);
    const rows = this.#statement(
      'SELECT cell_block, encoding, data FROM grid_blocks WHERE dataset_id = ? AND parameter = ? AND time_block = ?',
    )
      .raw()
      .iterate(dataset.id, parameterIndex, step.timeBlock) as IterableIterator<
      [number, number, Buffer]
    >;
    for (const [cellBlock, encoding, data] of rows) {
      const first = cellBlock * dataset.blockCells;
      // Only one value per cell is wanted: pick it out of the stored block without decoding it.
      if (encoding === INT32_SCALED) {
        const codes = int32View(data);
        const divide = scale ?? 1;
        const cellsInBlock = codes.length / stepCount;
        for (let cell = 0; cell < cellsInBlock; cell++) {
          const code = codes[cell * stepCount + step.slot]!;
          values[first + cell] = code === MISSING_CODE ? NaN : code / divide;
        }
      } else {
        const block = float64View(data);
        const cellsInBlock = block.length / stepCount;
        for (let cell = 0; cell < cellsInBlock; cell++)
          values[first + cell] = block[cell * stepCount + step.slot]!;
      }
    }
    return { time: step.time, values };
  }

  /**
   * Per cell, an aggregate of the maps with start <= time < end (NaN for a cell with no value):
   * min, max, the sum of positive or of negative values, the sum (net) or the mean.
   */
  aggregateMap(
    name: string,
    start: Date,
    end: Date,
    aggregate: Aggregate,
    parameter?: string,
  ): { steps: number; values: Float64Array } {
    const dataset = this.#gridded(name, 'has no maps');
    const parameterIndex = this.#parameterIndex(dataset, parameter);
    const steps = this.#stepsBetween(dataset, start.getTime(), end.getTime() - 1);
    this.#checkSize(steps.length * dataset.cellCount);
    const cells = dataset.cellCount;
    const acc = new Float64Array(cells).fill(
      aggregate === 'min' ? Infinity : aggregate === 'max' ? -Infinity : 0,
    );
    const counts = new Float64Array(cells);
    const scale = scaleOf(dataset.precision[dataset.parameters[parameterIndex]!]);
    const statement = this.#statement(
      'SELECT cell_block, encoding, data FROM grid_blocks WHERE dataset_id = ? AND parameter = ? AND time_block = ?',
    ).raw();
    for (const [timeBlock, slots] of groupByBlock(steps)) {
      const stepCount = this.#blockStepCount(dataset, timeBlock);
      for (const [cellBlock, encoding, data] of statement.iterate(
        dataset.id,
        parameterIndex,
        timeBlock,
      ) as IterableIterator<[number, number, Buffer]>) {
        const block = decodeBlock(encoding, data, scale);
        const first = cellBlock * dataset.blockCells;
        const cellsInBlock = block.length / stepCount;
        for (let cell = 0; cell < cellsInBlock; cell++) {
          const at = first + cell;
          for (const slot of slots) {
            const value = block[cell * stepCount + slot]!;
            if (Number.isNaN(value)) continue;
            counts[at]!++;
            switch (aggregate) {
              case 'min':
                if (value < acc[at]!) acc[at] = value;
                break;
              case 'max':
                if (value > acc[at]!) acc[at] = value;
                break;
              case 'positive':
                if (value > 0) acc[at]! += value;
                break;
              case 'negative':
                if (value < 0) acc[at]! += value;
                break;
              default:
                acc[at]! += value;
            }
          }
        }
      }
    }
    for (let cell = 0; cell < cells; cell++) {
      if (counts[cell] === 0) acc[cell] = NaN;
      else if (aggregate === 'mean') acc[cell] = acc[cell]! / counts[cell]!;
    }
    return { steps: steps.length, values: acc };
  }

  /** The values of one cell at every step with start <= time <= end. */
  cellSeries(name: string, cell: number, start: Date, end: Date, parameter?: string): TimeSeries {
    const dataset = this.#gridded(name, 'has no cells');
    if (!Number.isInteger(cell) || cell < 0 || cell >= dataset.cellCount) {
      throw new QueryInputError(
        `Cell ${cell} is not one of the ${dataset.cellCount} cells of "${name}"`,
      );
    }
    const parameterIndex = this.#parameterIndex(dataset, parameter);
    const steps = this.#stepsBetween(dataset, start.getTime(), end.getTime());
    const cellBlock = Math.floor(cell / dataset.blockCells);
    const inBlock = cell - cellBlock * dataset.blockCells;
    const byBlock = this.#readCellBlocks(dataset, parameterIndex, [cellBlock], steps);
    const values = steps.map((step) => {
      const block = byBlock.get(step.timeBlock)?.get(cellBlock);
      if (block === undefined) return NaN;
      return block.values[inBlock * block.stepCount + step.slot]!;
    });
    return { times: steps.map((step) => step.time), values };
  }

  /**
   * One number per step (or per interval) over every cell: the sum of positive values, of
   * negative ones, of all (net), their mean, min or max. Read from per-step summaries kept at
   * load time, so a year of a global grid answers at once.
   */
  seriesAggregate(
    name: string,
    start: Date,
    end: Date,
    aggregate: Aggregate,
    interval?: Interval,
    parameter?: string,
  ): TimeSeries {
    const dataset = this.#gridded(name, 'has no series');
    const parameterIndex = this.#parameterIndex(dataset, parameter);
    const rows = this.#statement(
      'SELECT time, n, sum, sum_positive, sum_negative, min, max FROM step_summaries WHERE dataset_id = ? AND parameter = ? AND time BETWEEN ? AND ? ORDER BY time',
    ).all(dataset.id, parameterIndex, start.getTime(), end.getTime()) as {
      time: number;
      n: number;
      sum: number;
      sum_positive: number;
      sum_negative: number;
      min: number | null;
      max: number | null;
    }[];
    const buckets = new Map<
      number,
      { n: number; sum: number; positive: number; negative: number; min: number; max: number }
    >();
    for (const row of rows) {
      const key = interval === undefined ? row.time : bucketStart(row.time, interval);
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { n: 0, sum: 0, positive: 0, negative: 0, min: Infinity, max: -Infinity };
        buckets.set(key, bucket);
      }
      bucket.n += row.n;
      bucket.sum += row.sum;
      bucket.positive += row.sum_positive;
      bucket.negative += row.sum_negative;
      if (row.min !== null && row.min < bucket.min) bucket.min = row.min;
      if (row.max !== null && row.max > bucket.max) bucket.max = row.max;
    }
    const times = [...buckets.keys()];
    const values = [...buckets.values()].map((bucket) => {
      if (bucket.n === 0) return NaN;
      switch (aggregate) {
        case 'positive':
          return bucket.positive;
        case 'negative':
          return bucket.negative;
        case 'net':
          return bucket.sum;
        case 'mean':
          return bucket.sum / bucket.n;
        case 'min':
          return bucket.min;
        case 'max':
          return bucket.max;
      }
    });
    return { times, values };
  }

  /** A cell's series bucketed by interval: every bucket with data, each a true aggregate. */
  cellSeriesAggregate(
    name: string,
    cell: number,
    start: Date,
    end: Date,
    aggregate: Aggregate,
    interval: Interval,
    parameter?: string,
  ): TimeSeries {
    const series = this.cellSeries(name, cell, start, end, parameter);
    const buckets = new Map<number, number[]>();
    series.times.forEach((time, index) => {
      const value = series.values[index]!;
      const key = bucketStart(time, interval);
      let bucket = buckets.get(key);
      if (bucket === undefined) buckets.set(key, (bucket = []));
      if (!Number.isNaN(value)) bucket.push(value);
    });
    return {
      times: [...buckets.keys()],
      values: [...buckets.values()].map((values) => aggregateOf(values, aggregate)),
    };
  }

  /**
   * Statistics over the given cells at each step (or each interval: all cells x steps in it),
   * and over everything: mean, min, max, population std and the number of values.
   */
  regionSeries(
    name: string,
    cells: readonly number[],
    start: Date,
    end: Date,
    interval?: Interval,
    parameter?: string,
  ): RegionSeries {
    const dataset = this.#gridded(name, 'has no cells');
    const parameterIndex = this.#parameterIndex(dataset, parameter);
    const steps = this.#stepsBetween(dataset, start.getTime(), end.getTime());
    this.#checkSize(steps.length * cells.length);
    const scale = scaleOf(dataset.precision[dataset.parameters[parameterIndex]!]) ?? 1;
    const byCellBlock = new Map<number, number[]>();
    for (const cell of cells) {
      const cellBlock = Math.floor(cell / dataset.blockCells);
      let members = byCellBlock.get(cellBlock);
      if (members === undefined) byCellBlock.set(cellBlock, (members = []));
      members.push(cell - cellBlock * dataset.blockCells);
    }
    const blocks = this.#readCellBlocks(dataset, parameterIndex, [...byCellBlock.keys()], steps);
    const buckets = new Map<number, Moments>();
    const all = new Moments();
    for (const step of steps) {
      const key = interval === undefined ? step.time : bucketStart(step.time, interval);
      let moments = buckets.get(key);
      if (moments === undefined) buckets.set(key, (moments = new Moments()));
      const inTime = blocks.get(step.timeBlock);
      for (const [cellBlock, members] of byCellBlock) {
        const block = inTime?.get(cellBlock);
        if (block === undefined) continue;
        for (const member of members) {
          const value = block.values[member * block.stepCount + step.slot]!;
          // Scaled values are summed as integers: exact sums of squares, exact std.
          if (!Number.isNaN(value)) moments.add(Math.round(value * scale));
        }
      }
    }
    const result: RegionSeries = {
      times: [],
      mean: [],
      min: [],
      max: [],
      std: [],
      n: [],
      all: all.result(scale),
    };
    for (const [time, moments] of buckets) {
      const stats = moments.result(scale);
      result.times.push(time);
      result.mean.push(stats.mean);
      result.min.push(stats.min);
      result.max.push(stats.max);
      result.std.push(stats.std);
      result.n.push(stats.n);
      all.merge(moments);
    }
    result.all = all.result(scale);
    return result;
  }

  /** Point retrievals with start <= time <= end, in time order. */
  points(name: string, start: Date, end: Date): PointRecord[] {
    const dataset = this.#dataset(name);
    if (dataset.kind !== 'points')
      throw new UnsupportedQueryError(`Dataset "${name}" is gridded: ask for a map or a series`);
    const rows = this.#statement(
      'SELECT time, x, y, properties FROM points WHERE dataset_id = ? AND time BETWEEN ? AND ? ORDER BY time, rowid',
    ).all(dataset.id, start.getTime(), end.getTime()) as {
      time: number;
      x: number;
      y: number;
      properties: string;
    }[];
    this.#checkSize(rows.length);
    return rows.map((row) => ({
      time: row.time,
      x: row.x,
      y: row.y,
      properties: JSON.parse(row.properties) as Record<string, number | null>,
    }));
  }

  // ---------------------------------------------------------------- internals

  /** Drops cached indexes when another connection (a `flux-manage` load) has committed. */
  #refresh(): void {
    const version = this.#db.pragma('data_version', { simple: true }) as number;
    if (version !== this.#dataVersion) {
      this.#dataVersion = version;
      this.#cache.clear();
    }
  }

  #cached<T>(key: string, make: () => T): T {
    if (this.#cache.has(key)) return this.#cache.get(key) as T;
    const value = make();
    this.#cache.set(key, value);
    return value;
  }

  #statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #datasetRow(name: string, id?: number): DatasetRow | undefined {
    const row = (
      id === undefined
        ? this.#db.prepare('SELECT * FROM datasets WHERE name = ?').get(name)
        : this.#db.prepare('SELECT * FROM datasets WHERE id = ?').get(id)
    ) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : toDatasetRow(row);
  }

  #datasetRows(): DatasetRow[] {
    return (
      this.#db.prepare('SELECT * FROM datasets ORDER BY name').all() as Record<string, unknown>[]
    ).map(toDatasetRow);
  }

  #dataset(name: string): DatasetRow {
    this.#refresh();
    const dataset = this.#cached(`dataset:${name}`, () => this.#datasetRow(name));
    if (dataset === undefined) throw new DatasetNotFoundError(name);
    return dataset;
  }

  #gridded(name: string, what: string): DatasetRow {
    const dataset = this.#dataset(name);
    if (dataset.kind !== 'gridded')
      throw new UnsupportedQueryError(`Dataset "${name}" holds point retrievals and ${what}`);
    return dataset;
  }

  #parameterIndex(dataset: DatasetRow, parameter: string | undefined): number {
    if (parameter === undefined) return 0;
    const index = dataset.parameters.indexOf(parameter);
    if (index < 0) {
      throw new QueryInputError(
        `Dataset "${dataset.name}" has no parameter "${parameter}" (it has ${dataset.parameters.join(', ')})`,
      );
    }
    return index;
  }

  #steps(dataset: DatasetRow): StepRow[] {
    return this.#cached(
      `steps:${dataset.id}`,
      () =>
        this.#db
          .prepare(
            'SELECT time, span, time_block AS timeBlock, slot FROM grid_steps WHERE dataset_id = ? ORDER BY time',
          )
          .all(dataset.id) as StepRow[],
    );
  }

  #stepsBetween(dataset: DatasetRow, first: number, last: number): StepRow[] {
    if (!(first <= last)) return [];
    const steps = this.#steps(dataset);
    const from = lowerBound(steps, first);
    const to = lowerBound(steps, last + 1);
    return steps.slice(from, to);
  }

  #stepAt(dataset: DatasetRow, time: number): StepRow | undefined {
    const steps = this.#steps(dataset);
    const at = lowerBound(steps, time);
    if (steps[at]?.time === time) return steps[at];
    // A 3-D grid's map covers its span: a time inside it is that map.
    const before = steps[at - 1];
    if (before?.span != null && time < before.time + before.span * 1000) return before;
    return undefined;
  }

  #blockStepCount(dataset: DatasetRow, timeBlock: number): number {
    const counts = this.#cached(`blocks:${dataset.id}`, () => {
      const map = new Map<number, number>();
      for (const row of this.#db
        .prepare('SELECT time_block, step_count FROM grid_time_blocks WHERE dataset_id = ?')
        .raw()
        .all(dataset.id) as [number, number][]) {
        map.set(row[0], row[1]);
      }
      return map;
    });
    return counts.get(timeBlock) ?? 0;
  }

  /** Decoded blocks of some cell blocks over the time blocks of `steps`: timeBlock -> cellBlock -> block. */
  #readCellBlocks(
    dataset: DatasetRow,
    parameterIndex: number,
    cellBlocks: number[],
    steps: StepRow[],
  ): Map<number, Map<number, { stepCount: number; values: Float64Array }>> {
    const result = new Map<number, Map<number, { stepCount: number; values: Float64Array }>>();
    if (steps.length === 0) return result;
    const wanted = new Set(steps.map((step) => step.timeBlock));
    const firstBlock = Math.min(...wanted);
    const lastBlock = Math.max(...wanted);
    const scale = scaleOf(dataset.precision[dataset.parameters[parameterIndex]!]);
    const statement = this.#statement(
      'SELECT time_block, encoding, data FROM grid_blocks WHERE dataset_id = ? AND parameter = ? AND cell_block = ? AND time_block BETWEEN ? AND ?',
    ).raw();
    for (const cellBlock of cellBlocks) {
      for (const [timeBlock, encoding, data] of statement.iterate(
        dataset.id,
        parameterIndex,
        cellBlock,
        firstBlock,
        lastBlock,
      ) as IterableIterator<[number, number, Buffer]>) {
        if (!wanted.has(timeBlock)) continue;
        let inTime = result.get(timeBlock);
        if (inTime === undefined) result.set(timeBlock, (inTime = new Map()));
        inTime.set(cellBlock, {
          stepCount: this.#blockStepCount(dataset, timeBlock),
          values: decodeBlock(encoding, data, scale),
        });
      }
    }
    return result;
  }

  #recordCount(dataset: DatasetRow): number {
    const table = dataset.kind === 'gridded' ? 'grid_steps' : 'points';
    return (
      this.#db
        .prepare(`SELECT count(*) AS n FROM ${table} WHERE dataset_id = ?`)
        .get(dataset.id) as { n: number }
    ).n;
  }

  #checkSize(values: number): void {
    if (values > this.#maxQueryValues) throw new QueryTooLargeError(values, this.#maxQueryValues);
  }
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new DatasetNameError(String(name), 'it is empty');
  if ((RESERVED_NAMES as readonly string[]).includes(name))
    throw new DatasetNameError(name, 'the name is reserved');
  if (name.length > 128) throw new DatasetNameError(name, 'it is longer than 128 characters');
  if (!NAME_PATTERN.test(name)) {
    throw new DatasetNameError(name, 'use letters, digits, "_", "-" and "." (not first)');
  }
}

function toDatasetRow(row: Record<string, unknown>): DatasetRow {
  return {
    id: row.id as number,
    name: row.name as string,
    kind: row.kind as 'gridded' | 'points',
    parameters: JSON.parse(row.parameters as string) as string[],
    precision: JSON.parse(row.precision as string) as Record<string, number>,
    cellCount: (row.cell_count as number | null) ?? 0,
    blockCells: (row.block_cells as number | null) ?? BLOCK_CELLS,
    blockSteps: (row.block_steps as number | null) ?? 1,
  };
}

/**
 * Rounds a step's values into `buffer` at `offset` (as integer codes when scaled, doubles
 * otherwise), counting them for the statistics and summing them for the step summary.
 */
function encodeStep(
  values: Float64Array,
  buffer: Float64Array,
  offset: number,
  scale: number | undefined,
  counts: ValueCounts,
): {
  n: number;
  sum: number;
  sumPositive: number;
  sumNegative: number;
  min: number;
  max: number;
  fitsInt: boolean;
} {
  let n = 0;
  let sum = 0;
  let sumPositive = 0;
  let sumNegative = 0;
  let min = Infinity;
  let max = -Infinity;
  let fits = true;
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    if (Number.isNaN(value)) {
      buffer[offset + index] = NaN;
      continue;
    }
    const code = scale === undefined ? value : codeOf(value, scale);
    buffer[offset + index] = code;
    if (scale !== undefined && !fitsInt32(code)) fits = false;
    counts.add(code);
    n++;
    sum += code;
    if (code > 0) sumPositive += code;
    else sumNegative += code;
    if (code < min) min = code;
    if (code > max) max = code;
  }
  return { n, sum, sumPositive, sumNegative, min, max, fitsInt: scale !== undefined && fits };
}

/** Writes a time block's cell blocks: each the block's cells x steps, cell-major. */
function writeBlocks(
  insert: Statement,
  datasetId: number,
  parameter: number,
  timeBlock: number,
  buffer: Float64Array,
  cellCount: number,
  stepCount: number,
  scale: number | undefined,
  asInt: boolean,
): void {
  for (let first = 0, cellBlock = 0; first < cellCount; first += BLOCK_CELLS, cellBlock++) {
    const cells = Math.min(BLOCK_CELLS, cellCount - first);
    if (asInt) {
      const out = new Int32Array(cells * stepCount);
      for (let step = 0; step < stepCount; step++) {
        const row = step * cellCount + first;
        for (let cell = 0; cell < cells; cell++) {
          const code = buffer[row + cell]!;
          out[cell * stepCount + step] = Number.isNaN(code) ? MISSING_CODE : code;
        }
      }
      insert.run(datasetId, parameter, timeBlock, cellBlock, INT32_SCALED, Buffer.from(out.buffer));
    } else {
      const out = new Float64Array(cells * stepCount);
      const divide = scale ?? 1;
      for (let step = 0; step < stepCount; step++) {
        const row = step * cellCount + first;
        for (let cell = 0; cell < cells; cell++)
          out[cell * stepCount + step] = buffer[row + cell]! / divide;
      }
      insert.run(datasetId, parameter, timeBlock, cellBlock, FLOAT64, Buffer.from(out.buffer));
    }
  }
}

function lowerBound(steps: StepRow[], time: number): number {
  let low = 0;
  let high = steps.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (steps[middle]!.time < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

function groupByBlock(steps: StepRow[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const step of steps) {
    let slots = groups.get(step.timeBlock);
    if (slots === undefined) groups.set(step.timeBlock, (slots = []));
    slots.push(step.slot);
  }
  return groups;
}

function aggregateOf(values: number[], aggregate: Aggregate): number {
  if (values.length === 0) return NaN;
  switch (aggregate) {
    case 'positive':
      return values.reduce((sum, value) => (value > 0 ? sum + value : sum), 0);
    case 'negative':
      return values.reduce((sum, value) => (value < 0 ? sum + value : sum), 0);
    case 'net':
      return values.reduce((sum, value) => sum + value, 0);
    case 'mean':
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
  }
}
