// What the parts of the store share: the database connection, its prepared statements, the
// rows describing each dataset, and a cache of what is derived from them, dropped whenever
// another connection (a `flux-manage` load) commits.
import type { Database, Statement } from 'better-sqlite3';
import type { MetadataDocument } from '../types.js';
import {
  DatasetNotFoundError,
  QueryInputError,
  QueryTooLargeError,
  UnsupportedQueryError,
} from './errors.js';

/** Cells per block: a cell's series reads 64 cells' worth per time block, a map N/64 rows. */
export const BLOCK_CELLS = 64;

/** A row of `datasets`: what a dataset is and how its values are blocked. */
export interface DatasetRow {
  id: number;
  name: string;
  kind: 'gridded' | 'points';
  parameters: string[];
  precision: Record<string, number>;
  cellCount: number;
  blockCells: number;
  blockSteps: number;
}

export class Connection {
  readonly db: Database;
  /** Largest number of stored values one query may read. */
  readonly maxQueryValues: number;
  readonly #statements = new Map<string, Statement>();
  #dataVersion = -1;
  readonly #cache = new Map<string, unknown>();

  constructor(db: Database, maxQueryValues: number) {
    this.db = db;
    this.maxQueryValues = maxQueryValues;
  }

  /** Drops cached indexes when another connection (a `flux-manage` load) has committed. */
  refresh(): void {
    const version = this.db.pragma('data_version', { simple: true }) as number;
    if (version !== this.#dataVersion) {
      this.#dataVersion = version;
      this.#cache.clear();
    }
  }

  /** Drops cached indexes after this connection changed the data. */
  changed(): void {
    this.#cache.clear();
  }

  cached<T>(key: string, make: () => T): T {
    if (this.#cache.has(key)) return this.#cache.get(key) as T;
    const value = make();
    this.#cache.set(key, value);
    return value;
  }

  /** A prepared statement, prepared once per connection (the query paths run them often). */
  statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  datasetRow(name: string, id?: number): DatasetRow | undefined {
    const row = (
      id === undefined
        ? this.db.prepare('SELECT * FROM datasets WHERE name = ?').get(name)
        : this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id)
    ) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : toDatasetRow(row);
  }

  datasetRows(): DatasetRow[] {
    return (
      this.db.prepare('SELECT * FROM datasets ORDER BY name').all() as Record<string, unknown>[]
    ).map(toDatasetRow);
  }

  /** The dataset called `name`, as of the latest commit; DatasetNotFoundError otherwise. */
  dataset(name: string): DatasetRow {
    this.refresh();
    const dataset = this.cached(`dataset:${name}`, () => this.datasetRow(name));
    if (dataset === undefined) throw new DatasetNotFoundError(name);
    return dataset;
  }

  /** A gridded dataset; a points dataset `what` (e.g. "has no grid") cannot answer. */
  gridded(name: string, what: string): DatasetRow {
    const dataset = this.dataset(name);
    if (dataset.kind !== 'gridded')
      throw new UnsupportedQueryError(`Dataset "${name}" holds point retrievals and ${what}`);
    return dataset;
  }

  /** The index of `parameter` in the dataset's values (the first when not given). */
  parameterIndex(dataset: DatasetRow, parameter: string | undefined): number {
    if (parameter === undefined) return 0;
    const index = dataset.parameters.indexOf(parameter);
    if (index < 0) {
      throw new QueryInputError(
        `Dataset "${dataset.name}" has no parameter "${parameter}" (it has ${dataset.parameters.join(', ')})`,
      );
    }
    return index;
  }

  recordCount(dataset: DatasetRow): number {
    const table = dataset.kind === 'gridded' ? 'grid_steps' : 'points';
    return (
      this.db
        .prepare(`SELECT count(*) AS n FROM ${table} WHERE dataset_id = ?`)
        .get(dataset.id) as { n: number }
    ).n;
  }

  /** The metadata document, or undefined. */
  metadataOf(name: string): MetadataDocument | undefined {
    const row = this.db.prepare('SELECT document FROM metadata WHERE name = ?').get(name) as
      { document: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.document) as MetadataDocument);
  }

  /** Refuses a query that would read more than `maxQueryValues` values (413). */
  checkSize(values: number): void {
    if (values > this.maxQueryValues) throw new QueryTooLargeError(values, this.maxQueryValues);
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
