/**
 * An action API failure, answered as CKAN's `ckan/views/api.py` answers it: the status, and the
 * `error` object of `{"help": …, "success": false, "error": {…}}`.
 */
export class CkanActionError extends Error {
  constructor(
    readonly status: number,
    readonly error: Record<string, unknown>,
  ) {
    super(typeof error['message'] === 'string' ? error['message'] : JSON.stringify(error));
  }
}

/** 409: CKAN puts the per-field messages first and `__type` last. */
export function validationError(fields: Record<string, unknown>): CkanActionError {
  return new CkanActionError(409, { ...fields, __type: 'Validation Error' });
}

/** 409 `{"query": ["Invalid query"], …}`: what CKAN answers when PostgreSQL refuses the SQL. */
export function invalidQuery(reason: string): CkanActionError {
  return validationError({ query: ['Invalid query'], info: { orig: [reason] } });
}

/** `{"x": ["invalid value \"y\""]}`: datastore_validate's answer to an unknown field or clause. */
export function invalidValue(key: string, value: unknown): CkanActionError {
  return validationError({ [key]: [`invalid value "${pythonStr(value)}"`] });
}

export function notFound(message: string): CkanActionError {
  return new CkanActionError(404, { __type: 'Not Found Error', message: `Not found: ${message}` });
}

export function accessDenied(message: string): CkanActionError {
  return new CkanActionError(403, {
    __type: 'Authorization Error',
    message: `Access denied: ${message}`,
  });
}

/**
 * 400 with a bare JSON string as the body (CKAN's `_finish_bad_request`): for a body that is
 * not JSON, and for unknown actions.
 */
export class BadRequestError extends Error {
  constructor(detail: string) {
    super(`Bad request - ${detail}`);
  }
}

/** Python's `str()` of a JSON value, for messages CKAN formats with `'{0}'.format(value)`. */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

/**
 * Levels of lists and dicts `pythonRepr` writes out; deeper ones are `...`, as Python's
 * `reprlib` does (a plain `repr()` of thousands of levels fails in Python, and here would
 * overflow the stack).
 */
export const MAX_REPR_DEPTH = 20;

/** Python's `repr()` of a JSON value (`['a', 1, None]`), for messages that show one. */
export function pythonRepr(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string')
    return value.includes("'") && !value.includes('"')
      ? `"${value}"`
      : `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  if (depth >= MAX_REPR_DEPTH) return '...';
  if (Array.isArray(value))
    return `[${value.map((item) => pythonRepr(item, depth + 1)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([key, item]) => `${pythonRepr(key)}: ${pythonRepr(item, depth + 1)}`,
  );
  return `{${entries.join(', ')}}`;
}
