import type { StorageKind } from './field-types.js';

/** Turns a stored value into a CSV cell, or null for SQL NULL (an empty, unquoted cell). */
export type CellEncoder = (stored: unknown) => string | null;

/**
 * SQL giving a column's value as JSON text, for the `objects` and `lists` formats. SQLite
 * writes the JSON (about twice as fast as building it in JavaScript): `json_quote` for text and
 * numbers (doubles as 17 significant digits when fewer would not round-trip, like PostgreSQL
 * they may print differently from JavaScript but parse to the same number); stored JSON text
 * is embedded as it is, as PostgreSQL's array_to_json does.
 */
export function jsonSql(kind: StorageKind, sql: string): string {
  switch (kind) {
    case 'bool':
      return `CASE ${sql} WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE 'null' END`;
    // CKAN selects timestamps through to_char(…, 'YYYY-MM-DD"T"HH24:MI:SS'): no fraction.
    case 'timestamp':
      return `json_quote(substr(${sql}, 1, 19))`;
    case 'json':
    case 'array':
      return `coalesce(${sql}, 'null')`;
    default:
      return `json_quote(${sql})`;
  }
}

/**
 * Cells as PostgreSQL's `COPY … TO STDOUT csv` writes the values CKAN selects: booleans `t`/`f`,
 * timestamps without a fraction, and json or array columns through `coalesce(…, 'null')`, so a
 * null JSON cell reads `null` rather than empty. CKAN wrote JSON values with Python's
 * `json.dumps`, and PostgreSQL's json type keeps that text, so CSV shows it in that style.
 */
export function cellEncoder(kind: StorageKind): CellEncoder {
  switch (kind) {
    case 'integer':
    case 'real':
      return (v) => (v === null ? null : String(v));
    case 'bool':
      return (v) => (v === null ? null : v ? 't' : 'f');
    case 'timestamp':
      return (v) => (v === null ? null : (v as string).slice(0, 19));
    case 'json':
      return (v) => (v === null ? 'null' : pythonJsonDumps(JSON.parse(v as string)));
    case 'array':
      return (v) => (v === null ? 'null' : (v as string));
    default:
      return (v) => (v === null ? null : (v as string));
  }
}

/**
 * One CSV cell as PostgreSQL's COPY CSV writes it: quoted when it holds the delimiter, a quote,
 * CR or LF, or when it is empty (an unquoted empty cell means NULL); quotes doubled.
 */
export function csvCell(cell: string | null, delimiter: string): string {
  if (cell === null) return '';
  if (
    cell === '' ||
    cell === '\\.' ||
    cell.includes(delimiter) ||
    cell.includes('"') ||
    cell.includes('\n') ||
    cell.includes('\r')
  )
    return `"${cell.replaceAll('"', '""')}"`;
  return cell;
}

/**
 * Python's `json.dumps(value)` with its defaults: `", "` and `": "` separators and
 * `ensure_ascii` (every character outside printable ASCII as a lower-case `\uXXXX` escape).
 * Numbers are printed as JavaScript prints them.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NaN';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([key, item]) => `${pythonString(key)}: ${pythonJsonDumps(item)}`,
  );
  return `{${entries.join(', ')}}`;
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function pythonString(text: string): string {
  return `"${text.replace(/[^ -~]|["\\]/g, (char) => {
    return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  })}"`;
}
