import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { InvalidInputError } from '@geoworks/errors';
import { cellEncoder, type CellEncoder } from './encode.js';
import { columnType, sqliteDeclaration, toStored, type ColumnType } from './field-types.js';
import type { Connection, Store } from './store.js';
import type { Backend, ResourceSpec, ResourceSummary, Row } from './types.js';

export interface Column {
  /** The CKAN field id. */
  id: string;
  type: ColumnType;
  /** Its SQLite column: `_id`, `c1`, `c2`…, so field ids never need quoting in SQL. */
  sql: string;
  info: Record<string, unknown> | undefined;
  cell: CellEncoder;
}

export interface Resource {
  id: string;
  table: string;
  /** `_id` first. */
  columns: Column[];
  byId: Map<string, Column>;
  private: boolean;
  apiKey: string | undefined;
  backend: Backend | undefined;
  /** Rows loaded; `_id` runs from 1 to `total` with no gaps. */
  total: number;
}

const ID_COLUMN_TYPE: ColumnType = { pgName: 'int', kind: 'integer' };

export class DuplicateResourceError extends InvalidInputError {
  constructor(id: string) {
    super(`A resource with id "${id}" already exists`, {
      code: 'DUPLICATE_RESOURCE',
      details: { id },
    });
  }
}

/** A resource's fields checked as `datastore_create` checks them, with their SQL columns. */
export function describeColumns(spec: ResourceSpec): Column[] {
  if (typeof spec.id !== 'string' || spec.id === '')
    throw new InvalidInputError('A resource needs a non-empty string id', { code: 'BAD_RESOURCE' });
  const seen = new Set<string>();
  const columns: Column[] = [column('_id', ID_COLUMN_TYPE, '_id', undefined)];
  spec.fields.forEach((field, index) => {
    // CKAN's is_valid_field_name, and PostgreSQL's 63-character identifiers.
    if (
      typeof field.id !== 'string' ||
      field.id === '' ||
      field.id.startsWith('_') ||
      field.id.includes('"') ||
      field.id !== field.id.trim()
    )
      throw new InvalidInputError(`"${String(field.id)}" is not a valid field name`, {
        code: 'BAD_FIELD_NAME',
      });
    if (field.id.length > 63)
      throw new InvalidInputError(`Column heading "${field.id}" exceeds limit of 63 characters.`, {
        code: 'BAD_FIELD_NAME',
      });
    if (seen.has(field.id))
      throw new InvalidInputError('Duplicate column names are not supported', {
        code: 'BAD_FIELD_NAME',
        details: { field: field.id },
      });
    seen.add(field.id);
    columns.push(column(field.id, columnType(field.type), `c${index + 1}`, field.info));
  });
  return columns;
}

function column(
  id: string,
  type: ColumnType,
  sql: string,
  info: Record<string, unknown> | undefined,
): Column {
  return { id, type, sql, info, cell: cellEncoder(type.kind) };
}

/** Rows per transaction: the load yields to the event loop between them. */
const CHUNK_ROWS = 50_000;

/**
 * Creates the resource's table and loads its rows in bulk: multi-row INSERT statements inside
 * transactions of CHUNK_ROWS rows. The resource is only registered (searchable) by the caller
 * once this resolves, so a half-loaded table is never seen; on failure the table is dropped.
 */
export async function loadResource(
  store: Store,
  spec: ResourceSpec,
  table: string,
  signal: AbortSignal,
): Promise<{ resource: Resource; summary: ResourceSummary }> {
  const started = performance.now();
  const columns = describeColumns(spec);
  if (spec.private && !spec.apiKey)
    throw new InvalidInputError(`Private resource "${spec.id}" needs an apiKey`, {
      code: 'BAD_RESOURCE',
    });
  const byId = new Map(columns.map((c) => [c.id, c]));
  for (const field of spec.indexes ?? [])
    if (!byId.has(field))
      throw new InvalidInputError(`The field "${field}" is not a valid column name.`, {
        code: 'BAD_INDEX',
      });

  const total = await store.write(async (connection) => {
    const declarations = columns
      .slice(1)
      .map((c) => `${c.sql} ${sqliteDeclaration(c.type.kind)}`)
      .join(', ');
    connection.db.exec(
      `CREATE TABLE ${table} (_id INTEGER PRIMARY KEY${declarations ? `, ${declarations}` : ''})`,
    );
    try {
      const count = await insertRows(connection, table, columns, spec.rows, signal);
      for (const field of spec.indexes ?? [])
        connection.db.exec(
          `CREATE INDEX ${table}_${byId.get(field)!.sql} ON ${table} (${byId.get(field)!.sql})`,
        );
      return count;
    } catch (error) {
      if (connection.db.inTransaction) connection.db.exec('ROLLBACK');
      connection.db.exec(`DROP TABLE IF EXISTS ${table}`);
      throw error;
    }
  });

  const resource: Resource = {
    id: spec.id,
    table,
    columns,
    byId,
    private: spec.private ?? false,
    apiKey: spec.apiKey,
    backend: spec.backend,
    total,
  };
  const summary: ResourceSummary = {
    id: spec.id,
    fields: columns.map((c) => ({ id: c.id, type: c.type.pgName })),
    total,
    milliseconds: performance.now() - started,
  };
  return { resource, summary };
}

async function insertRows(
  connection: Connection,
  table: string,
  columns: Column[],
  rows: Iterable<Row> | AsyncIterable<Row>,
  signal: AbortSignal,
): Promise<number> {
  const fields = columns.slice(1);
  const width = columns.length;
  // Several rows per statement: one call into SQLite binds many values (SQLite allows 32766).
  const rowsPerStatement = Math.max(1, Math.min(64, Math.floor(32766 / width)));
  const placeholders = `(${new Array(width).fill('?').join(',')})`;
  const insertSql = (count: number) =>
    `INSERT INTO ${table} (${columns.map((c) => c.sql).join(',')}) VALUES ${new Array(count).fill(placeholders).join(',')}`;
  const batchStatement = connection.db.prepare(insertSql(rowsPerStatement));
  const fieldIds = fields.map((f) => f.id);
  const kinds = fields.map((f) => f.type.kind);
  const pgNames = fields.map((f) => f.type.pgName);
  const known = new Set(fieldIds);

  const values: unknown[] = new Array(rowsPerStatement * width);
  let inBatch = 0;
  let id = 0;
  let inChunk = 0;

  const flush = (count: number) => {
    if (count === rowsPerStatement) batchStatement.run(values);
    else connection.db.prepare(insertSql(count)).run(values.slice(0, count * width));
  };

  /** Adds one row; true when a chunk is complete and the caller should commit and yield. */
  const add = (row: Row): boolean => {
    if (row === null || typeof row !== 'object' || Array.isArray(row))
      throw new InvalidInputError(`row "${id + 1}" is not a json object`, { code: 'BAD_ROW' });
    id++;
    let base = inBatch * width;
    values[base++] = id;
    let matched = 0;
    for (let i = 0; i < fieldIds.length; i++) {
      const value = row[fieldIds[i]!];
      if (value !== undefined) matched++;
      values[base++] = toStored(kinds[i]!, value, pgNames[i]!);
    }
    // Keys that are not fields are refused, as CKAN does; counting first keeps this cheap.
    if (matched !== countKeys(row)) {
      const extra = Object.keys(row).filter((key) => !known.has(key) && row[key] !== undefined);
      if (extra.length > 0)
        throw new InvalidInputError(`row "${id}" has extra keys "${extra.join(', ')}"`, {
          code: 'BAD_ROW',
        });
    }
    if (++inBatch === rowsPerStatement) {
      flush(inBatch);
      inBatch = 0;
    }
    if (++inChunk < CHUNK_ROWS) return false;
    if (inBatch > 0) flush(inBatch);
    inBatch = 0;
    inChunk = 0;
    return true;
  };
  const nextChunk = async () => {
    connection.db.exec('COMMIT');
    await yieldToEventLoop();
    signal.throwIfAborted();
    connection.db.exec('BEGIN');
  };

  connection.db.exec('BEGIN');
  // A plain loop for synchronous rows: `for await` would cost a promise per row.
  if (Symbol.iterator in rows) {
    for (const row of rows) if (add(row)) await nextChunk();
  } else {
    for await (const row of rows) if (add(row)) await nextChunk();
  }
  if (inBatch > 0) flush(inBatch);
  connection.db.exec('COMMIT');
  return id;
}

function countKeys(row: Row): number {
  let count = 0;
  for (const key in row) if (row[key] !== undefined) count++;
  return count;
}
