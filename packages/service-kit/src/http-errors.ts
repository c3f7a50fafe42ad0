// `req.id` and `req.log` come from pino-http's augmentation of IncomingMessage; this keeps it
// in the emitted declarations, for apps compiled against the built package.
/// <reference types="pino-http" preserve="true" />
import { STATUS_CODES } from 'node:http';
import { isGeoworksError, NotFoundError, type ErrorKind } from '@geoworks/errors';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isRequestError } from './request-errors.js';

const STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = {
  'invalid-input': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'request-timeout': 408,
  conflict: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  aborted: 409,
  'not-implemented': 501,
  upstream: 502,
  unavailable: 503,
  timeout: 504,
  'rate-limited': 429,
  internal: 500,
};

/** What a client may learn about an error: never the message or stack of an internal one. */
export interface PublicError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  /** The request id given by `requestLogger`, when it runs. */
  requestId?: string;
}

const INTERNAL = { status: 500, code: 'INTERNAL', message: 'Internal server error' } as const;

/**
 * An app's own statuses for some kinds, where its wire protocol differs from the common table
 * (pandarus_remote answers 406 for input it cannot use). They apply to what the app's use
 * cases throw, not to service-kit's refusals of a malformed request (`isRequestError`).
 */
export type StatusByKind = Partial<Readonly<Record<ErrorKind, number>>>;

/** The HTTP status for any thrown value: a geoworks error's kind, an HTTP error's status, or 500. */
export function httpStatusFor(error: unknown, statusByKind: StatusByKind = {}): number {
  return publicError(error, statusByKind).status;
}

/**
 * The client's view of an error. Geoworks errors are deliberate and keep their message, code
 * and details, except kind `internal`. Errors carrying an HTTP `status` (Express's body parsers,
 * `http-errors`) keep their message when it is a 4xx. Anything else is a bug: 500, no detail.
 */
export function publicError(error: unknown, statusByKind: StatusByKind = {}): PublicError {
  if (isGeoworksError(error)) {
    const status =
      (isRequestError(error) ? undefined : statusByKind[error.kind]) ??
      STATUS_BY_KIND[error.kind] ??
      500;
    if (status === 500) return { ...INTERNAL };
    return {
      status,
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  const http = httpErrorFields(error);
  if (http === undefined || http.status >= 500) return { ...INTERNAL };
  const exposed = http.expose !== false;
  switch (http.type) {
    case 'entity.too.large':
      return {
        status: http.status,
        code: 'TOO_LARGE',
        message:
          typeof http.limit === 'number'
            ? `Request body is larger than the limit of ${http.limit} bytes`
            : 'Request body is too large',
        ...(typeof http.limit === 'number' ? { details: { limit: http.limit } } : {}),
      };
    case 'entity.parse.failed':
      return {
        status: http.status,
        code: 'MALFORMED_BODY',
        message: exposed ? `Malformed request body: ${http.message}` : 'Malformed request body',
      };
    default:
      return {
        status: http.status,
        code: codeForStatus(http.status),
        message: exposed && http.message !== '' ? http.message : (STATUS_CODES[http.status] ?? ''),
      };
  }
}

interface HttpErrorFields {
  status: number;
  message: string;
  expose?: unknown;
  type?: unknown;
  limit?: unknown;
}

/** The `status`/`statusCode` convention of http-errors, body-parser and Express itself. */
function httpErrorFields(error: unknown): HttpErrorFields | undefined {
  if (!(error instanceof Error)) return undefined;
  const fields = error as Error & { status?: unknown; statusCode?: unknown };
  const status = fields.status ?? fields.statusCode;
  if (!(typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 600)) {
    return undefined;
  }
  return { ...fields, status, message: error.message };
}

function codeForStatus(status: number): string {
  const kind = (Object.keys(STATUS_BY_KIND) as ErrorKind[]).find(
    (candidate) => STATUS_BY_KIND[candidate] === status,
  );
  const words = kind ?? STATUS_CODES[status] ?? 'error';
  return words.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** A response body for services whose wire format is not the default JSON error object. */
export interface FormattedError {
  /** A string or Buffer is sent as is; anything else as JSON. */
  body: unknown;
  /** Default: `text/plain; charset=utf-8` for strings and Buffers, JSON otherwise. */
  contentType?: string;
}

export type ErrorFormatter = (
  error: unknown,
  status: number,
  req: Request,
  /** The same facts the default JSON body carries, already stripped of internal detail. */
  publicError: PublicError,
) => FormattedError;

export interface ErrorHandlerOptions {
  /** Used when the request has no `req.log` (that is, `requestLogger` is not installed). */
  logger: Logger;
  /** Replaces the default `{"error": {"code", "message", "details"?}, "requestId"}` body. */
  format?: ErrorFormatter;
  /** The app's statuses for some error kinds (see `StatusByKind`). */
  statusByKind?: StatusByKind;
}

/**
 * The one place errors become HTTP responses; install it last. Server errors (5xx) are logged at
 * `error` with their stack, client errors (4xx) at `info` without. When the response has
 * already started there is nothing sensible left to send, so Express's default handler closes
 * the connection.
 */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const view = publicError(error, options.statusByKind);
    const requestId = typeof req.id === 'string' ? req.id : undefined;
    if (requestId !== undefined) view.requestId = requestId;
    const log = (req.log as Logger | undefined) ?? options.logger;
    if (view.status >= 500) {
      log.error({ err: error, status: view.status }, `${req.method} ${req.originalUrl} failed`);
    } else {
      log.info({ status: view.status, code: view.code }, view.message);
    }
    if (res.headersSent) {
      next(error);
      return;
    }
    // The client was too slow to send its request: do not wait for the rest of it.
    if (view.status === 408) res.setHeader('Connection', 'close');
    res.status(view.status);
    const retryAfter = retryAfterSeconds(view);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    send(res, format(options, error, req, view, log));
  };
}

/**
 * An error that says when to come back (`details.retryAfterSeconds`: a queue whose Redis is
 * down, a throttled login) tells clients through `Retry-After`, which HTTP clients and proxies
 * act on, instead of only in the body.
 */
function retryAfterSeconds(view: PublicError): number | undefined {
  if (view.status !== 429 && view.status !== 503) return undefined;
  const seconds = view.details?.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? Math.ceil(seconds)
    : undefined;
}

function format(
  options: ErrorHandlerOptions,
  error: unknown,
  req: Request,
  view: PublicError,
  log: Logger,
): FormattedError {
  if (options.format !== undefined) {
    try {
      return options.format(error, view.status, req, { ...view });
    } catch (formatError) {
      // A broken formatter must not turn every error into Express's HTML page.
      log.error({ err: formatError }, 'the error formatter failed; answering with the default');
    }
  }
  const { code, message, details, requestId } = view;
  return {
    body: { error: { code, message, ...(details === undefined ? {} : { details }) }, requestId },
  };
}

function send(res: Parameters<ErrorRequestHandler>[2], formatted: FormattedError): void {
  const { body } = formatted;
  const raw = typeof body === 'string' || Buffer.isBuffer(body);
  const payload = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : (JSON.stringify(body) ?? 'null'));
  // Written directly: `res.send` would append a charset to the formatter's content type.
  res.setHeader(
    'Content-Type',
    formatted.contentType ??
      (raw ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8'),
  );
  res.setHeader('Content-Length', payload.length);
  res.end(payload);
}

/** Turns any request no route answered into a 404 for `errorHandler` (install just before it). */
export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => {
    const path = req.path.length > 200 ? `${req.path.slice(0, 200)}...` : req.path;
    next(
      new NotFoundError(`No route for ${req.method} ${path}`, {
        code: 'ROUTE_NOT_FOUND',
        details: { method: req.method, path },
      }),
    );
  };
}
