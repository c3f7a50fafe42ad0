import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '@geoworks/errors';
import type { Request, RequestHandler, Response } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** Pino's levels, most severe first; `silent` logs nothing. Use as an enum field's values. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The `LOG_LEVEL` setting every service reads, to spread into its `defineConfig` schema. */
export const LOG_LEVEL_CONFIG = {
  logLevel: {
    env: 'LOG_LEVEL',
    type: 'enum',
    values: LOG_LEVELS,
    default: 'info',
    description: 'Log level',
  },
} as const;

export interface CreateLoggerOptions {
  /** A level as an operator writes it in `LOG_LEVEL` (`debug`, `WARN`, ...). Default `info`. */
  level?: string;
  /** Added to every line as `name`, to tell services apart in shared logs. */
  name?: string;
  /** Where lines go; default standard output. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
}

/** A pino logger writing one JSON line per entry with an ISO time. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const level = (options.level ?? 'info').trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new InvalidInputError(
      `Unknown log level "${options.level}"; expected one of ${LOG_LEVELS.join(', ')}`,
      { code: 'BAD_LOG_LEVEL' },
    );
  }
  const settings = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(options.name === undefined ? {} : { name: options.name }),
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

// A reused id ends up in our logs and headers: short, and nothing a log viewer could misread.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Express middleware giving each request an id and one log line when it ends (method, url,
 * status, duration). The id is the caller's `X-Request-Id` when that is a short safe token, so
 * one id follows a request across services; otherwise a new UUID. It is sent back in
 * `X-Request-Id`, and `req.log` is a child logger that carries it as `requestId`.
 */
export function requestLogger(logger: Logger): RequestHandler {
  const middleware = pinoHttp<Request, Response>({
    logger,
    genReqId: (req, res) => {
      const incoming = req.headers['x-request-id'];
      const id =
        typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // Bind only the id to `req.log`; the access line below carries what matters of the request.
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    // errorHandler logs failures with their stack at `error`; the access line only hints at them.
    customLogLevel: (_req, res, error) =>
      error !== undefined || res.statusCode >= 500 ? 'warn' : 'info',
    customSuccessMessage: (_req, res) =>
      res.writableEnded ? 'request completed' : 'request aborted',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (req, res, fields: { responseTime: number }) =>
      accessLine(req, res, fields),
    customErrorObject: (req, res, _error, fields: { responseTime: number }) =>
      accessLine(req, res, fields),
  });
  return (req, res, next) => middleware(req, res, next);
}

function accessLine(req: Request, res: Response, fields: { responseTime: number }) {
  return {
    method: req.method,
    url: req.originalUrl,
    status: res.statusCode,
    durationMs: fields.responseTime,
  };
}
