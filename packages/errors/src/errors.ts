/**
 * What went wrong, in terms a caller can act on. Services map each kind to one HTTP status
 * (see @geoworks/service-kit); libraries never think in status codes.
 */
export type ErrorKind =
  | 'invalid-input'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media-type'
  | 'not-implemented'
  | 'aborted'
  | 'request-timeout'
  | 'timeout'
  | 'upstream'
  | 'unavailable'
  | 'rate-limited'
  | 'internal';

export interface GeoworksErrorOptions {
  /** A stable, machine-readable identifier such as `UNKNOWN_JOB_TYPE`. */
  code?: string;
  cause?: unknown;
  /** Structured facts about the failure (field names, limits, ids), safe to show to a client. */
  details?: Record<string, unknown>;
}

/** Base class of every error a geoworks package throws on purpose. */
export class GeoworksError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, message: string, options: GeoworksErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = options.code ?? defaultCode(kind);
    this.details = options.details;
  }

  /** A plain object that survives JSON, structured clone and process boundaries. */
  toJSON(): SerializedError {
    return serializeError(this);
  }
}

function defaultCode(kind: ErrorKind): string {
  return kind.toUpperCase().replaceAll('-', '_');
}

/** The request or the data given was wrong; retrying the same thing will fail the same way. */
export class InvalidInputError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('invalid-input', message, options);
  }
}

export class UnauthorizedError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('unauthorized', message, options);
  }
}

export class ForbiddenError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('forbidden', message, options);
  }
}

export class NotFoundError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('not-found', message, options);
  }
}

/** The request clashes with the current state (a duplicate, a job still running, ...). */
export class ConflictError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('conflict', message, options);
  }
}

export class TooLargeError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('too-large', message, options);
  }
}

export class UnsupportedMediaTypeError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('unsupported-media-type', message, options);
  }
}

export class NotImplementedError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('not-implemented', message, options);
  }
}

/** Work stopped because somebody asked it to (an AbortSignal, an abort request). */
export class AbortedError extends GeoworksError {
  constructor(message = 'The operation was aborted', options: GeoworksErrorOptions = {}) {
    super('aborted', message, options);
  }
}

/**
 * The client did not send its request in time (a body trickling in below the minimum rate):
 * HTTP 408, and the connection is closed. `TimeoutError` is for what this side waited on.
 */
export class RequestTimeoutError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('request-timeout', message, options);
  }
}

export class TimeoutError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('timeout', message, options);
  }
}

/** A third-party service (CKAN, CMR, Redis, ...) failed or answered something unusable. */
export class UpstreamError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('upstream', message, options);
  }
}

/** This service cannot take the request now (shutting down, overloaded); try again later. */
export class UnavailableError extends GeoworksError {
  constructor(message: string, options: GeoworksErrorOptions = {}) {
    super('unavailable', message, options);
  }
}

/**
 * Too many attempts (failed logins, requests) from one user or address: refused until
 * `retryAfterSeconds` have passed, kept in `details` so it survives serialisation.
 */
export class RateLimitedError extends GeoworksError {
  constructor(
    message: string,
    options: GeoworksErrorOptions & { retryAfterSeconds?: number } = {},
  ) {
    const { retryAfterSeconds, ...rest } = options;
    super(
      'rate-limited',
      message,
      retryAfterSeconds === undefined
        ? rest
        : { ...rest, details: { ...rest.details, retryAfterSeconds } },
    );
  }

  /** Seconds until trying again may work, when known. */
  get retryAfterSeconds(): number | undefined {
    const value = this.details?.retryAfterSeconds;
    return typeof value === 'number' ? value : undefined;
  }
}

export function isGeoworksError(value: unknown): value is GeoworksError {
  return value instanceof GeoworksError;
}

/** An error as plain data, for storage and for crossing thread or process boundaries. */
export interface SerializedError {
  name: string;
  message: string;
  kind?: ErrorKind;
  code?: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof GeoworksError) {
    return {
      name: error.name,
      message: error.message,
      kind: error.kind,
      code: error.code,
      ...(error.details === undefined ? {} : { details: error.details }),
      ...(error.stack === undefined ? {} : { stack: error.stack }),
    };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack === undefined ? {} : { stack: error.stack }),
    };
  }
  return { name: 'Error', message: typeof error === 'string' ? error : safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Rebuilds an error from its serialized form. Geoworks kinds come back as the matching base
 * class (the subclass itself lives in a package this one cannot know), keeping `code`.
 */
export function deserializeError(data: SerializedError): Error {
  let error: Error;
  if (data.kind !== undefined) {
    const kind = LEGACY_KINDS[data.kind] ?? data.kind;
    const Class = classForKind[kind] ?? GeoworksError;
    error =
      Class === GeoworksError
        ? new GeoworksError(kind, data.message, optionsOf(data))
        : new (Class as typeof InvalidInputError)(data.message, optionsOf(data));
  } else {
    error = new Error(data.message);
  }
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}

/**
 * Kinds that errors stored by earlier versions may carry: `not-acceptable` named an input that
 * is well formed but unusable (an HTTP status, not a kind), now plain `invalid-input`.
 */
const LEGACY_KINDS: Readonly<Record<string, ErrorKind>> = { 'not-acceptable': 'invalid-input' };

function optionsOf(data: SerializedError): GeoworksErrorOptions {
  return {
    ...(data.code === undefined ? {} : { code: data.code }),
    ...(data.details === undefined ? {} : { details: data.details }),
  };
}

const classForKind: Partial<Record<ErrorKind, typeof GeoworksError | typeof InvalidInputError>> = {
  'invalid-input': InvalidInputError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  'not-found': NotFoundError,
  conflict: ConflictError,
  'too-large': TooLargeError,
  'unsupported-media-type': UnsupportedMediaTypeError,
  'not-implemented': NotImplementedError,
  aborted: AbortedError,
  'request-timeout': RequestTimeoutError,
  timeout: TimeoutError,
  upstream: UpstreamError,
  unavailable: UnavailableError,
  'rate-limited': RateLimitedError,
};
