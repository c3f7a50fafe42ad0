import { cellEncoder, jsonSql, type CellEncoder } from './encode.js';
import { invalidQuery, invalidValue } from './errors.js';
import { toTimestamp, type StorageKind } from './field-types.js';
import type { SearchRequest } from './params.js';
import type { Column, Resource } from './resources.js';
import { compileTextQuery, RANK_FUNCTION, TextQueryError } from './text-search.js';

/** A column of the answer: a field, or a `rank` column added by a text search. */
export interface Output {
  id: string;
  /** As reported in `result.fields`. */
  type: string;
  info: Record<string, unknown> | undefined;
  /** Its value (for CSV and TSV, and for DISTINCT). */
  sql: string;
  /** Its value as JSON text (for objects and lists). */
  jsonSql: string;
  cell: CellEncoder;
}

/** One ORDER BY term, with PostgreSQL's placement of nulls made explicit. */
export interface OrderKey {
  sql: string;
  desc: boolean;
  nullsFirst: boolean;
}

/** Everything needed to run a search, checked against the resource's fields. */
export interface SearchPlan {
  resource: Resource;
  outputs: Output[];
  /** The conditions, joined with AND (empty for none), and their parameters. */
  where: string;
  params: unknown[];
  /** The full order: the sort asked for, then a tie-break (`_id`) that makes it total. */
  order: OrderKey[];
  distinct: boolean;
  /** Identifies the result set (resource, where, order) for the caches. */
  signature: string;
  /** Identifies the matching rows (resource, where), for the count cache. */
  countSignature: string;
}

const RANK_CELL = cellEncoder('real');

/**
 * What CKAN's `datastore_validate` and the PostgreSQL backend's `datastore_search` do with a
 * request: unknown fields in `filters`, `q`, `fields` or `sort` are refused (`invalid value`),
 * a text search adds `rank` columns and, without a sort, orders by them.
 */
export function planSearch(resource: Resource, request: SearchRequest): SearchPlan {
  const { byId } = resource;
  const rank = (text: string, columns: string[]) =>
    `${RANK_FUNCTION}(${sqlLiteral(text)}, ${request.plain ? 1 : 0}${columns.map((c) => `, ${c}`).join('')})`;
  const allColumns = resource.columns.slice(1).map((c) => c.sql);

  const filters = request.filters;
  if (filters !== undefined && (typeof filters !== 'object' || Array.isArray(filters)))
    throw invalidValue('filters', filters);
  for (const key of Object.keys(filters ?? {}))
    if (!byId.has(key)) throw invalidValue('filters', key);

  // Text searches: each is a condition, and `q` adds rank columns ("rank" or "rank <field>").
  const ranks = new Map<string, string>();
  const searches: string[] = [];
  const q = request.q;
  if (typeof q === 'string' && q !== '') {
    compile(q, request.plain);
    ranks.set('rank', rank(q, allColumns));
  } else if (q && typeof q === 'object') {
    for (const [key, value] of Object.entries(q)) {
      if (!byId.has(key) || typeof value !== 'string') throw invalidValue('q', key);
      compile(value, request.plain);
      ranks.set(`rank ${key}`, rank(value, [byId.get(key)!.sql]));
    }
  }
  searches.push(...ranks.values());
  if (request.fullText) {
    compile(request.fullText, request.plain);
    searches.push(rank(request.fullText, allColumns));
  }

  const fieldIds = request.fields && request.fields.length > 0 ? request.fields : undefined;
  for (const id of fieldIds ?? [])
    if (!byId.has(id) && !ranks.has(id)) throw invalidValue('fields', id);

  const sortKeys: OrderKey[] = [];
  for (const clause of request.sort ?? []) {
    const parsed = parseSortClause(clause);
    const column = parsed ? byId.get(parsed.field) : undefined;
    if (!parsed || !column) throw invalidValue('sort', clause);
    sortKeys.push({ sql: column.sql, desc: parsed.desc, nullsFirst: parsed.nullsFirst });
  }

  if (request.offset < 0) throw invalidValue('offset', request.offset);

  // Filters, once every name has been checked (CKAN validates before it queries).
  const conditions: string[] = [];
  const params: unknown[] = [];
  for (const [key, value] of Object.entries(filters ?? {})) {
    const column = byId.get(key)!;
    if (column.type.kind === 'array') {
      conditions.push(`${column.sql} = ?`);
      params.push(arrayFilterValue(value));
    } else if (Array.isArray(value)) {
      // CKAN builds `"f" in (%s,%s…)`: an empty list is a PostgreSQL syntax error.
      if (value.length === 0) throw invalidQuery('syntax error at or near ")"');
      conditions.push(`${column.sql} IN (${value.map(() => '?').join(',')})`);
      for (const item of value) params.push(filterValue(column, item));
    } else {
      conditions.push(`${column.sql} = ?`);
      params.push(filterValue(column, value));
    }
  }
  for (const search of searches) conditions.push(`${search} > 0`);

  const outputs = (fieldIds ?? [...resource.columns.map((c) => c.id), ...ranks.keys()]).map(
    (id): Output => {
      const column = byId.get(id);
      if (column) return output(column);
      const sql = ranks.get(id)!;
      return {
        id,
        type: 'float',
        info: undefined,
        sql,
        jsonSql: jsonSql('real', sql),
        cell: RANK_CELL,
      };
    },
  );
  const order = totalOrder(sortKeys, ranks, outputs, request.distinct);
  // PostgreSQL's rule, which also keeps the hidden order columns from changing what is distinct.
  if (request.distinct && order.some((key) => !outputs.some((o) => o.sql === key.sql)))
    throw invalidQuery('for SELECT DISTINCT, ORDER BY expressions must appear in select list');
  const where = conditions.join(' AND ');
  const distinctColumns = request.distinct ? outputs.map((o) => o.sql).join(',') : '';
  const countSignature = `${resource.table}|${where}|${JSON.stringify(params)}|${distinctColumns}`;
  return {
    resource,
    outputs,
    where,
    params,
    order,
    distinct: request.distinct,
    signature: `${countSignature}|${order.map(orderSql).join(',')}`,
    countSignature,
  };
}

/** A string as an SQL literal, as CKAN's `literal_string` writes the text of a search. */
export function sqlLiteral(text: string): string {
  return `'${text.replaceAll('\0', '').replaceAll("'", "''")}'`;
}

function compile(text: string, plain: boolean): void {
  try {
    compileTextQuery(text, plain);
  } catch (error) {
    if (error instanceof TextQueryError) throw invalidQuery(error.message);
    throw error;
  }
}

function output(column: Column): Output {
  return {
    id: column.id,
    type: column.type.pgName,
    info: column.info,
    sql: column.sql,
    jsonSql: jsonSql(column.type.kind, column.sql),
    cell: column.cell,
  };
}

/**
 * The order actually used. Without a sort, CKAN orders by rank (text searches) or by `_id`;
 * PostgreSQL leaves ties in any order it likes, which would make paging unpredictable, so
 * `_id` always ends the order here. DISTINCT rows have no `_id`: their own columns end it.
 */
function totalOrder(
  sortKeys: OrderKey[],
  ranks: Map<string, string>,
  outputs: Output[],
  distinct: boolean,
): OrderKey[] {
  const order = [...sortKeys];
  if (order.length === 0)
    for (const sql of ranks.values()) order.push({ sql, desc: true, nullsFirst: true });
  const has = (sql: string) => order.some((key) => key.sql === sql);
  if (distinct) {
    for (const out of outputs)
      if (!has(out.sql)) order.push({ sql: out.sql, desc: false, nullsFirst: false });
  } else if (!has('_id')) {
    order.push({ sql: '_id', desc: false, nullsFirst: false });
  }
  return order;
}

export function orderSql(key: OrderKey): string {
  return `${key.sql} ${key.desc ? 'DESC' : 'ASC'} NULLS ${key.nullsFirst ? 'FIRST' : 'LAST'}`;
}

/**
 * CKAN's `_parse_sort_clause`: `field`, `"quoted field"`, then optional `asc`/`desc` and
 * `nulls first`/`nulls last`. PostgreSQL puts nulls last ascending and first descending.
 */
export function parseSortClause(
  clause: string,
): { field: string; desc: boolean; nullsFirst: boolean } | undefined {
  if (typeof clause !== 'string') return undefined;
  const match = /^(.+?)( +(asc|desc))?( nulls +(first|last) *)?$/is.exec(clause);
  if (!match) return undefined;
  let field = match[1]!;
  if (field.length > 1 && field.startsWith('"') && field.endsWith('"')) field = field.slice(1, -1);
  const desc = match[3]?.toLowerCase() === 'desc';
  const nulls = match[5]?.toLowerCase();
  return { field, desc, nullsFirst: nulls ? nulls === 'first' : desc };
}

/** A filter value as PostgreSQL would compare it with the column (or its error as CKAN's). */
function filterValue(column: Column, value: unknown): unknown {
  if (value === null) return null;
  const kind: StorageKind = column.type.kind;
  if (typeof value === 'object')
    throw invalidQuery(`can't adapt type '${Array.isArray(value) ? 'list' : 'dict'}'`);
  switch (kind) {
    case 'integer':
    case 'real':
      if (typeof value === 'number') return value;
      if (typeof value !== 'string')
        throw invalidQuery(`operator does not exist: ${column.type.pgName} = boolean`);
      if (
        kind === 'integer'
          ? /^\s*[+-]?\d+\s*$/.test(value)
          : value.trim() !== '' && !Number.isNaN(Number(value))
      )
        return Number(value);
      throw invalidQuery(
        `invalid input syntax for type ${kind === 'integer' ? 'integer' : column.type.pgName}: "${value}"`,
      );
    case 'bool':
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'string') {
        const text = value.trim().toLowerCase();
        if (['t', 'true', 'y', 'yes', 'on', '1'].includes(text)) return 1;
        if (['f', 'false', 'n', 'no', 'off', '0'].includes(text)) return 0;
        throw invalidQuery(`invalid input syntax for type boolean: "${value}"`);
      }
      throw invalidQuery('operator does not exist: boolean = integer');
    case 'timestamp':
    case 'date':
      try {
        const timestamp = toTimestamp(value);
        return kind === 'date' ? timestamp.slice(0, 10) : timestamp;
      } catch {
        throw invalidQuery(`invalid input syntax for type ${kind}: "${String(value)}"`);
      }
    case 'json':
      return typeof value === 'string' ? value : JSON.stringify(value);
    default:
      // psycopg2 sends numbers and booleans as such: PostgreSQL has no text = integer.
      if (typeof value === 'string') return value;
      throw invalidQuery(
        `operator does not exist: text = ${typeof value === 'boolean' ? 'boolean' : Number.isInteger(value) ? 'integer' : 'numeric'}`,
      );
  }
}

/** Array columns compare whole arrays: psycopg2 sends a list as an ARRAY. */
function arrayFilterValue(value: unknown): string | null {
  if (value === null) return null;
  if (!Array.isArray(value)) throw invalidQuery(`malformed array literal: "${String(value)}"`);
  return JSON.stringify(value);
}
