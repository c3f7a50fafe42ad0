import { BadRequestError, pythonRepr } from './errors.js';

export interface RequestData {
  /** The data dict the action receives. */
  data: Record<string, unknown>;
  /** The body parsed as JSON, when it was JSON (for the request log). */
  json: unknown;
}

/**
 * Reads a call's data dict as CKAN's `_get_request_data` does, in this order:
 * 1. a form-encoded body: its fields, or, when it is one field with an empty value or `1`, that
 *    field's name parsed as JSON (what `urlopen(url, quote(json.dumps(params)))` sends, as the
 *    original ckanpackager did);
 * 2. the query string, for GET and POST alike (values stay strings; a repeated key is a list);
 * 3. a JSON body. CKAN 2.10 also wants `Content-Type: application/json` here; this fake reads
 *    any body as JSON (the request log keeps the content type for tests that care).
 * Anything that is not a JSON object is a 400 with a bare JSON string, as in CKAN.
 */
export function readRequestData(
  contentType: string | undefined,
  query: URLSearchParams,
  body: string,
): RequestData {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let json: unknown;
  let data: unknown = {};
  if (type === 'application/x-www-form-urlencoded' && body !== '') {
    const form = new URLSearchParams(body);
    const keys = [...new Set(form.keys())];
    const first = keys.length === 1 ? form.get(keys[0]!) : undefined;
    if (first === '' || first === '1') {
      try {
        data = json = JSON.parse(keys[0]!) as unknown;
      } catch (error) {
        throw new BadRequestError(
          `JSON Error: Error decoding JSON data. Error: ${describe(error)} JSON data extracted from the request: {}`,
        );
      }
    } else {
      data = mixed(form);
    }
  } else if (query.size > 0) {
    data = mixed(query);
    json = tryJson(body);
  } else if (body !== '' && type !== 'multipart/form-data') {
    try {
      data = json = JSON.parse(body) as unknown;
    } catch (error) {
      throw new BadRequestError(
        `JSON Error: Error decoding JSON data. Error: ${describe(error)} JSON data extracted from the request: {}`,
      );
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new BadRequestError(
      `JSON Error: Request data JSON decoded to ${pythonRepr(data)} but it needs to be a dictionary.`,
    );
  return { data: data as Record<string, unknown>, json };
}

/** Werkzeug's MultiDict flattened as CKAN does: one value as is, several as a list. */
function mixed(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

function tryJson(body: string): unknown {
  if (body === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
