import { pythonRepr, validationError } from './errors.js';
import type { Backend } from './types.js';

export type RecordsFormat = 'objects' | 'lists' | 'csv' | 'tsv';

const RECORDS_FORMATS: readonly RecordsFormat[] = ['objects', 'lists', 'csv', 'tsv'];

/** A `datastore_search` call after CKAN's schema has validated and converted it. */
export interface SearchRequest {
  resourceId: string;
  filters: Record<string, unknown> | undefined;
  q: string | Record<string, unknown> | undefined;
  fullText: string | undefined;
  /** Default true, as CKAN's `data_dict.get('plain', True)`. */
  plain: boolean;
  limit: number;
  offset: number;
  /** Field ids from `fields` (a list, or a comma-separated string), in order. */
  fields: string[] | undefined;
  /** Sort clauses from `sort` (a list, or a comma-separated string). */
  sort: string[] | undefined;
  distinct: boolean;
  includeTotal: boolean;
  recordsFormat: RecordsFormat;
  /** solr backend: `*` or a `next_cursor` received before. */
  cursor: string | undefined;
  /** versioned-datastore backend: an `after` received before. */
  after: unknown;
  /** The validated data dict: CKAN answers with it, records and the rest added. */
  echo: Record<string, unknown>;
}

export interface Limits {
  rowsMax: number;
  rowsDefault: number;
}

type Errors = Record<string, string[]>;

/**
 * CKAN's `datastore_search_schema()` applied to a data dict: defaults, type conversions and
 * every error found, answered together as one 409 (`{"limit": ["Invalid integer"], …}`).
 * The backend decides whether `cursor` or `after` are expected or junk.
 */
export function validateSearch(
  input: Record<string, unknown>,
  backend: Backend,
  limits: Limits,
): SearchRequest {
  const data = { ...input };
  delete data['callback']; // JSONP, removed by CKAN's API view before the action runs
  // `id` is renamed to `resource_id` (and wins over it, as CKAN's rename does).
  if (present(data['id'])) data['resource_id'] = data['id'];
  delete data['id'];

  const errors: Errors = {};
  const fail = (key: string, message: string) => (errors[key] ??= []).push(message);
  const echo: Record<string, unknown> = {};

  const resourceId = data['resource_id'];
  if (resourceId === undefined || resourceId === null || resourceId === '')
    fail('resource_id', 'Missing value');
  else echo['resource_id'] = String(resourceId);

  let q: SearchRequest['q'];
  if (present(data['q'])) echo['q'] = q = unicodeOrJson(data['q']);

  let plain = true;
  if (present(data['plain'])) echo['plain'] = plain = toBoolean(data['plain']);

  let filters: SearchRequest['filters'];
  if (present(data['filters'])) {
    const parsed = parseJson(data['filters']);
    if (parsed === INVALID) fail('filters', 'Cannot parse JSON');
    else echo['filters'] = filters = parsed as Record<string, unknown>;
  }

  if (present(data['language'])) echo['language'] = String(data['language']);

  let limit = limits.rowsDefault;
  if (present(data['limit']) && data['limit'] !== '') {
    const value = toInteger(data['limit']);
    if (value === INVALID) fail('limit', 'Invalid integer');
    else if (value !== null && value < 0) fail('limit', 'Must be a natural number');
    else if (value !== null) limit = value;
  }
  echo['limit'] = limit = Math.min(limit, limits.rowsMax);

  let offset = 0;
  if (present(data['offset'])) {
    const value = toInteger(data['offset']);
    if (value === INVALID) fail('offset', 'Invalid integer');
    else if (value !== null) offset = value;
  }
  // CKAN echoes offset only when given; its documentation lists it as always there.
  echo['offset'] = offset;

  let fields: string[] | undefined;
  if (present(data['fields'])) {
    const problem = listOfStringsOrString(data['fields']);
    if (problem) fail('fields', problem);
    else fields = getList(data['fields'], true);
  }

  let sort: string[] | undefined;
  if (present(data['sort'])) {
    const problem = listOfStringsOrString(data['sort']);
    if (problem) fail('sort', problem);
    else echo['sort'] = data['sort'];
    sort = problem ? undefined : getList(data['sort'], false);
  }

  let distinct = false;
  if (present(data['distinct'])) echo['distinct'] = distinct = toBoolean(data['distinct']);

  const includeTotal =
    data['include_total'] === undefined ||
    data['include_total'] === null ||
    data['include_total'] === ''
      ? true
      : toBoolean(data['include_total']);
  echo['include_total'] = includeTotal;

  echo['total_estimation_threshold'] = null;
  if (present(data['total_estimation_threshold']) && data['total_estimation_threshold'] !== '') {
    const value = toInteger(data['total_estimation_threshold']);
    if (value === INVALID) fail('total_estimation_threshold', 'Invalid integer');
    else echo['total_estimation_threshold'] = value;
  }

  let recordsFormat: RecordsFormat = 'objects';
  if (present(data['records_format']) && data['records_format'] !== '') {
    const value = data['records_format'];
    if (!RECORDS_FORMATS.includes(value as RecordsFormat))
      fail('records_format', `Value must be one of ${pythonRepr(RECORDS_FORMATS)}`);
    else recordsFormat = value as RecordsFormat;
  }
  echo['records_format'] = recordsFormat;

  let fullText: string | undefined;
  if (present(data['full_text'])) echo['full_text'] = fullText = String(data['full_text']);

  let cursor: string | undefined;
  let after: unknown;
  const known = new Set(KNOWN_KEYS);
  if (backend === 'solr') {
    known.add('cursor');
    if (present(data['cursor'])) echo['cursor'] = cursor = String(data['cursor']);
  }
  if (backend === 'versioned-datastore') {
    known.add('after');
    if (present(data['after'])) {
      const parsed = typeof data['after'] === 'string' ? parseJson(data['after']) : data['after'];
      echo['after'] = after = parsed === INVALID ? data['after'] : parsed;
    }
  }

  // Anything else is junk (whatever its value), refused with Python's list of flattened keys.
  const junk = Object.keys(data).filter((key) => !known.has(key));
  if (junk.length > 0)
    fail(
      '__junk',
      `The input field [${junk.map((key) => `(${pythonRepr(key)},)`).join(', ')}] was not expected.`,
    );

  if (Object.keys(errors).length > 0) throw validationError(errors);
  return {
    resourceId: echo['resource_id'] as string,
    filters,
    q,
    fullText,
    plain,
    limit,
    offset,
    fields,
    sort,
    distinct,
    includeTotal,
    recordsFormat,
    cursor,
    after,
    echo,
  };
}

const KNOWN_KEYS = [
  'resource_id',
  'q',
  'plain',
  'filters',
  'language',
  'limit',
  'offset',
  'fields',
  'sort',
  'distinct',
  'include_total',
  'total_estimation_threshold',
  'records_format',
  'full_text',
];

const INVALID = Symbol('invalid');

/** `ignore_missing`: absent and null are skipped. */
function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Python truthiness of a JSON value. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

/** CKAN's `boolean_validator`: `true`, `yes`, `t`, `y`, `1` (any case) are true. */
function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string')
    return ['true', 'yes', 't', 'y', '1'].includes(value.toLowerCase());
  return truthy(value);
}

/** CKAN's `int_validator`: whole numbers, or strings of digits; blank is null. */
function toInteger(value: unknown): number | null | typeof INVALID {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isInteger(value) ? value : INVALID;
  if (typeof value === 'string') {
    if (value.trim() === '') return null;
    return /^\s*[+-]?\d+\s*$/.test(value) ? Number.parseInt(value, 10) : INVALID;
  }
  return INVALID;
}

/** CKAN's `json_validator`: objects pass, strings are parsed. */
function parseJson(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) return value;
  if (typeof value !== 'string') return INVALID;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return INVALID;
  }
}

/** CKAN's `unicode_or_json_validator`: a JSON object (or its text) is a dict, else a string. */
function unicodeOrJson(value: unknown): string | Record<string, unknown> {
  const parsed = parseJson(value);
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
    return parsed as Record<string, unknown>;
  return typeof value === 'string' ? value : pythonRepr(value);
}

/** CKAN's `list_of_strings_or_string`: the error message, or undefined if fine. */
function listOfStringsOrString(value: unknown): string | undefined {
  if (typeof value === 'string') return undefined;
  if (!Array.isArray(value)) return 'Not a list';
  for (const item of value)
    if (typeof item !== 'string' && !Array.isArray(item))
      return `Neither a string nor a list: ${pythonRepr(item)}`;
  return undefined;
}

/**
 * CKAN's `datastore_helpers.get_list`: a string is split on commas and trimmed; with
 * `stripQuotes`, an item starting and ending with the same character loses its double quotes.
 */
function getList(value: unknown, stripQuotes: boolean): string[] {
  if (value === '') return [];
  const items = (
    Array.isArray(value)
      ? value
      : String(value)
          .split(',')
          .map((s) => s.trim())
  ) as string[];
  if (!stripQuotes) return items;
  return items.map((item) =>
    typeof item === 'string' && item.length > 0 && item[0] === item[item.length - 1]
      ? item.trim().replace(/^"+|"+$/g, '')
      : item,
  );
}
