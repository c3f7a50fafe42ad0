import { InvalidInputError } from '@geoworks/errors';

/**
 * How a CKAN (PostgreSQL) type is kept in SQLite. Each kind has one stored form, chosen so that
 * SQLite sorts and compares it as PostgreSQL would: numbers as numbers, booleans as 0/1,
 * timestamps as ISO text (which sorts chronologically), JSON and arrays as JSON text.
 */
export type StorageKind =
  'text' | 'integer' | 'real' | 'bool' | 'timestamp' | 'date' | 'time' | 'json' | 'array';

export interface ColumnType {
  /** The name `datastore_search` reports: PostgreSQL's `pg_type.typname` (`int` → `int4`). */
  pgName: string;
  kind: StorageKind;
}

const SCALARS: Record<string, ColumnType> = {};
function scalar(pgName: string, kind: StorageKind, ...aliases: string[]): void {
  for (const name of [pgName, ...aliases]) SCALARS[name] = { pgName, kind };
}
scalar('text', 'text', 'varchar', 'character varying', 'citext');
scalar('int4', 'integer', 'int', 'integer', 'serial');
scalar('int8', 'integer', 'bigint', 'bigserial');
scalar('int2', 'integer', 'smallint');
scalar('numeric', 'real', 'decimal');
scalar('float8', 'real', 'float', 'double precision');
scalar('float4', 'real', 'real');
scalar('bool', 'bool', 'boolean');
scalar('timestamp', 'timestamp', 'timestamp without time zone');
scalar('date', 'date');
scalar('time', 'time', 'time without time zone');
// CKAN stores json columns in its own composite type "nested" and reports them as json.
scalar('json', 'json', 'nested', 'jsonb');

/** Resolves a type as `datastore_create` accepts it; throws like CKAN for anything else. */
export function columnType(type: string): ColumnType {
  const name = type.trim().toLowerCase();
  const known = SCALARS[name];
  if (known) return known;
  // Arrays: `text[]` or PostgreSQL's internal `_text`.
  const element = name.endsWith('[]')
    ? name.slice(0, -2)
    : name.startsWith('_')
      ? name.slice(1)
      : '';
  const elementType = element ? SCALARS[element] : undefined;
  if (elementType) return { pgName: `_${elementType.pgName}`, kind: 'array' };
  throw new InvalidInputError(`"${type}" is not a valid field type`, {
    code: 'BAD_FIELD_TYPE',
    details: { type },
  });
}

/** A value PostgreSQL would refuse for a column (CKAN turns these into errors). */
export class BadValueError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'BAD_VALUE' });
  }
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * PostgreSQL `timestamp` (without time zone) input: ISO dates and date-times; an offset is read
 * and then ignored, as PostgreSQL does for this type. Kept as `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
 */
export function toTimestamp(value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw badValue('timestamp', value);
    return trimFraction(value.toISOString().slice(0, 23));
  }
  const match = typeof value === 'string' ? TIMESTAMP.exec(value.trim()) : null;
  if (!match) throw badValue('timestamp', value);
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction] = match;
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > 31)
    throw new BadValueError(`date/time field value out of range: "${String(value)}"`);
  if (Number(hour) > 24 || Number(minute) > 59 || Number(second) > 60)
    throw new BadValueError(`date/time field value out of range: "${String(value)}"`);
  const base = `${year}-${month}-${day}T${hour}:${minute}:${second}`;
  return fraction ? trimFraction(`${base}.${fraction.slice(0, 6)}`) : base;
}

/** `…:05.500` → `…:05.5`, `…:05.000` → `…:05`. */
function trimFraction(timestamp: string): string {
  return timestamp.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

function badValue(type: string, value: unknown): BadValueError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return new BadValueError(`invalid input syntax for type ${type}: "${shown}"`);
}

const TRUE = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/**
 * Converts a value given for a column into its stored form, accepting what PostgreSQL accepts
 * from CKAN (numeric strings for numbers, `'t'`/`'false'` for booleans, ISO strings or Dates
 * for timestamps). Returns null for null and undefined.
 */
export function toStored(kind: StorageKind, value: unknown, pgName: string): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'text':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
        return String(value);
      if (value instanceof Date) return value.toISOString();
      return JSON.stringify(value);
    case 'integer': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number === 'bigint') return number;
      if (typeof number !== 'number' || !Number.isFinite(number)) throw badValue('integer', value);
      return Math.round(number);
    }
    case 'real': {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number === 'bigint') return Number(number);
      if (typeof number !== 'number' || Number.isNaN(number)) throw badValue(pgName, value);
      return number;
    }
    case 'bool': {
      if (typeof value === 'boolean') return value ? 1 : 0;
      const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
      if (TRUE.has(text)) return 1;
      if (FALSE.has(text)) return 0;
      throw badValue('boolean', value);
    }
    case 'timestamp':
      return toTimestamp(value);
    case 'date':
      return toTimestamp(value).slice(0, 10);
    case 'time':
      if (typeof value !== 'string' || !/^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim()))
        throw badValue('time without time zone', value);
      return value.trim();
    case 'json':
      return JSON.stringify(value);
    case 'array':
      if (!Array.isArray(value))
        throw new BadValueError(`malformed array literal: "${String(value)}"`);
      return JSON.stringify(value);
  }
}

/** Declared SQLite column type: its affinity makes `'5' = 5` true, as PostgreSQL casts. */
export function sqliteDeclaration(kind: StorageKind): string {
  switch (kind) {
    case 'integer':
    case 'bool':
      return 'INTEGER';
    case 'real':
      return 'REAL';
    default:
      return 'TEXT';
  }
}
