import { InvalidInputError } from '@geoworks/errors';
import type { RequestHandler } from 'express';
import type { JsonSchema, OpenApiParameter } from './openapi.js';

/** A query parameter that does not fit the route's declaration (400, naming the parameter). */
export class BadParameterError extends InvalidInputError {
  constructor(parameter: string, message: string) {
    super(message, { code: 'BAD_PARAMETER', details: { parameter } });
  }
}

const INTEGER = /^-?\d+$/;
// Decimal notation only: `Number()` alone would also take `0x1`, `Infinity` and blanks.
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const BOOLEANS = ['true', 'false', '1', '0'];

/**
 * Checks a request against a route's declared parameters before its handlers run, so that
 * handlers can rely on them:
 *
 * - a path parameter that does not fit its schema (`/jobs/1e0` for an integer id) does not name
 *   anything the route serves: the request goes on to the next route, and in the end is a 404;
 * - a query parameter given twice is a 400, declared or not, unless its schema is an array
 *   (a handler reading one value must never receive several);
 * - a declared query parameter must fit its schema's `type` (integer, number, boolean), `enum`,
 *   `minimum` and `maximum`, and be present when `required`: else a 400 naming it.
 */
export function checkParameters(parameters: readonly OpenApiParameter[]): RequestHandler {
  const query = new Map(
    parameters.filter((parameter) => parameter.in === 'query').map((p) => [p.name, p]),
  );
  const path = parameters.filter((parameter) => parameter.in === 'path');
  return (req, _res, next) => {
    for (const parameter of path) {
      const value = (req.params as Record<string, unknown>)[parameter.name];
      if (typeof value === 'string' && problem(parameter.schema, value) !== null) {
        next('route');
        return;
      }
    }
    const url = req.originalUrl;
    const given = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    for (const name of new Set(given.keys())) {
      const values = given.getAll(name);
      const schema = query.get(name)?.schema;
      const isArray = schema?.type === 'array';
      if (values.length > 1 && !isArray) {
        next(
          new BadParameterError(
            name,
            `Query parameter "${name}" is given ${values.length} times: give it once`,
          ),
        );
        return;
      }
      const itemSchema = isArray ? (schema.items as JsonSchema | undefined) : schema;
      for (const value of values) {
        const expected = problem(itemSchema, value);
        if (expected !== null) {
          next(
            new BadParameterError(
              name,
              `Query parameter "${name}" ${expected}, not ${JSON.stringify(shorten(value))}`,
            ),
          );
          return;
        }
      }
    }
    for (const parameter of query.values()) {
      if (parameter.required === true && !given.has(parameter.name)) {
        next(
          new BadParameterError(parameter.name, `Query parameter "${parameter.name}" is required`),
        );
        return;
      }
    }
    next();
  };
}

/** What the value should have been (`must be ...`), or null when it fits the schema. */
function problem(schema: JsonSchema | undefined, text: string): string | null {
  if (schema === undefined) return null;
  const { type, minimum, maximum } = schema as {
    type?: unknown;
    minimum?: unknown;
    maximum?: unknown;
  };
  const min = typeof minimum === 'number' ? minimum : undefined;
  const max = typeof maximum === 'number' ? maximum : undefined;
  if (type === 'integer') {
    // Beyond the safe integers a value is no longer exact, nor storable in an SQLite integer.
    const low = Math.max(min ?? -Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER);
    const high = Math.min(max ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const value = Number(text);
    if (!INTEGER.test(text) || value < low || value > high)
      return `must be an integer from ${low} to ${high}`;
  } else if (type === 'number') {
    const value = Number(text);
    if (
      !NUMBER.test(text) ||
      !Number.isFinite(value) ||
      value < (min ?? -Infinity) ||
      value > (max ?? Infinity)
    )
      return `must be a number${rangeText(min, max)}`;
  } else if (type === 'boolean') {
    if (!BOOLEANS.includes(text.toLowerCase())) return 'must be true or false';
  }
  if (Array.isArray(schema.enum) && !schema.enum.map(String).includes(text))
    return `must be one of ${schema.enum.map(String).join(', ')}`;
  return null;
}

function rangeText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
