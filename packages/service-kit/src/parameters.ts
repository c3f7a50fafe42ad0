import { InvalidInputError } from '@geoworks/errors';
import type { Request, RequestHandler } from 'express';
import {
  defaultProblemMessage,
  readValue,
  type InputProblem,
  type InputSource,
  type ProblemDescriber,
} from './input-schema.js';
import type { JsonSchema, OpenApiParameter } from './openapi.js';
import { markRequestError } from './request-errors.js';

/**
 * A parameter or body field that does not fit the route's declaration (400, naming it). The
 * message is the API's wording (`createApi({ describeProblem })`); `problem` holds the facts.
 */
export class BadParameterError extends InvalidInputError {
  readonly problem: InputProblem;

  constructor(problem: InputProblem, message = defaultProblemMessage(problem)) {
    super(message, { code: 'BAD_PARAMETER', details: { parameter: problem.name } });
    this.problem = problem;
    markRequestError(this);
  }
}

/** How an API reads its inputs (`createApi` options). */
export interface InputOptions {
  describeProblem?: ProblemDescriber;
  /**
   * `absent`: an empty or blank body field counts as not given (HTML forms send every input,
   * empty ones as ""). Default `value`: "" is a value like any other.
   */
  emptyFields?: 'value' | 'absent';
}

/** The error for a problem, in the API's words. */
export function parameterError(problem: InputProblem, options: InputOptions): BadParameterError {
  return new BadParameterError(
    problem,
    options.describeProblem?.(problem) ?? defaultProblemMessage(problem),
  );
}

/**
 * Reads a request's declared parameters before its handlers run, so that handlers receive
 * them typed and defaulted in `req.params` and `req.query`:
 *
 * - a path parameter that does not fit its schema (`/jobs/1e0` for an integer id) does not name
 *   anything the route serves: the request goes on to the next route, and in the end is a 404;
 * - a query parameter given twice is a 400, declared or not, unless its schema is an array
 *   (a handler reading one value must never receive several);
 * - a declared query parameter must fit its schema (see `readValue`) and be present when
 *   `required`: else a 400 naming it. Absent ones take their schema's `default`.
 *
 * Undeclared query parameters stay in `req.query` as the URL gives them.
 */
export function readParameters(
  parameters: readonly OpenApiParameter[],
  options: InputOptions = {},
): RequestHandler {
  const query = new Map(
    parameters.filter((parameter) => parameter.in === 'query').map((p) => [p.name, p]),
  );
  const path = parameters.filter((parameter) => parameter.in === 'path');
  return (req, _res, next) => {
    const params: Record<string, unknown> = { ...(req.params as Record<string, unknown>) };
    for (const parameter of path) {
      const value = params[parameter.name];
      if (typeof value !== 'string') continue;
      const read = readValue(parameter.schema ?? {}, value, 'path');
      if ('expected' in read) {
        next('route');
        return;
      }
      params[parameter.name] = read.value;
    }
    const values: Record<string, unknown> = {};
    const fail = (problem: Omit<InputProblem, 'in'>) =>
      next(parameterError({ in: 'query', ...problem }, options));
    const given = queryOf(req);
    for (const name of new Set(given.keys())) {
      const all = given.getAll(name);
      const schema = query.get(name)?.schema ?? {};
      if (all.length > 1 && schema.type !== 'array') {
        fail({ name, problem: 'repeated', expected: '', count: all.length, schema });
        return;
      }
      const read = readValue(schema, schema.type === 'array' ? all : all[0], 'query');
      if ('expected' in read) {
        fail({ name, problem: 'invalid', ...read, schema });
        return;
      }
      values[name] = read.value;
    }
    for (const parameter of query.values()) {
      if (parameter.name in values) continue;
      const schema = parameter.schema ?? {};
      if (schema.default !== undefined) {
        values[parameter.name] = defaultOf(schema);
      } else if (parameter.required === true) {
        fail({ name: parameter.name, problem: 'missing', expected: 'is required', schema });
        return;
      }
    }
    req.params = params as Request['params'];
    // Express 5 computes `req.query` in a getter; an own property hides it for this request.
    Object.defineProperty(req, 'query', {
      value: values,
      writable: true,
      configurable: true,
      enumerable: true,
    });
    next();
  };
}

/** The query string as given: `req.query` may already be replaced or parsed differently. */
function queryOf(req: Request): URLSearchParams {
  const url = req.originalUrl;
  return new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
}

/** A schema's default as the value it stands for (a date-time default becomes a Date). */
export function defaultOf(schema: JsonSchema): unknown {
  const read = readValue(schema, schema.default, 'json');
  return 'value' in read ? read.value : schema.default;
}

/**
 * Reads the declared fields of a body: each converted to its schema's type, absent ones
 * defaulted, required ones present. Undeclared fields stay as given.
 */
export function readFields(
  schema: JsonSchema,
  body: Record<string, unknown>,
  source: InputSource,
  options: InputOptions,
): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const values: Record<string, unknown> = { ...body };
  for (const [name, field] of Object.entries(properties)) {
    const raw = Object.hasOwn(body, name) ? body[name] : undefined;
    // Several values of one form field arrive as a list; which one was meant is unknowable.
    if (source === 'form' && Array.isArray(raw) && field.type !== 'array') {
      throw parameterError(
        { in: source, name, problem: 'repeated', expected: '', count: raw.length, schema: field },
        options,
      );
    }
    const blank = typeof raw === 'string' && raw.trim() === '' && options.emptyFields === 'absent';
    if (raw === undefined || raw === null || blank) {
      delete values[name];
      if (field.default !== undefined) values[name] = defaultOf(field);
      else if (required.has(name))
        throw parameterError(
          { in: source, name, problem: 'missing', expected: 'is required', schema: field },
          options,
        );
      continue;
    }
    // A multipart file: what `receiveUploads` stored for this field.
    if (field.format === 'binary' && typeof raw === 'object' && !Array.isArray(raw)) {
      values[name] = raw;
      continue;
    }
    const read = readValue(field, raw, source);
    if ('expected' in read) {
      throw parameterError(
        { in: source, name, problem: 'invalid', ...read, schema: field },
        options,
      );
    }
    values[name] = read.value;
  }
  return values;
}
