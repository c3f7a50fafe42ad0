import type { GeoworksError } from '@geoworks/errors';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
  UpstreamError,
  type GeoworksErrorOptions,
} from '@geoworks/errors';

/** What every error about one HTTP exchange with the engine server carries. */
export interface EngineErrorInfo {
  /** The HTTP status, or undefined when no response came back (network failure, timeout). */
  status: number | undefined;
  method: string;
  url: string;
  /** The server's own words: its JSON `error`, its traceback lines joined, or its text. */
  serverMessage: string;
}

function describe(info: EngineErrorInfo, summary: string): string {
  const outcome = info.status === undefined ? '' : ` -> ${info.status}`;
  return `${summary} (${info.method} ${info.url}${outcome})`;
}

function detailsOf(info: EngineErrorInfo, extra: Record<string, unknown> = {}) {
  return {
    status: info.status,
    method: info.method,
    url: info.url,
    serverMessage: info.serverMessage,
    ...extra,
  };
}

type ErrorClass = new (message: string, options?: GeoworksErrorOptions) => GeoworksError;

/**
 * An error class for one status family: the shared base's kind (and so its HTTP mapping), the
 * exchange's facts as fields, and the server's words in the message.
 */
function engineError(Base: ErrorClass, code: string) {
  return class extends Base implements EngineErrorInfo {
    readonly status: number | undefined;
    readonly method: string;
    readonly url: string;
    readonly serverMessage: string;

    constructor(info: EngineErrorInfo) {
      super(describe(info, info.serverMessage), { code, details: detailsOf(info) });
      this.status = info.status;
      this.method = info.method;
      this.url = info.url;
      this.serverMessage = info.serverMessage;
    }
  };
}

/** 400 (and other 4xx the server uses for bad requests): the request itself was wrong. */
export class EngineInvalidInputError extends engineError(
  InvalidInputError,
  'ENGINE_INVALID_INPUT',
) {}

/** 401: the server wants credentials (or a login page answered instead of the API). */
export class EngineUnauthorizedError extends engineError(
  UnauthorizedError,
  'ENGINE_UNAUTHORIZED',
) {}

/**
 * 403: not logged in on a locked-down server, a failed login (`Invalid login`), or not the
 * owner of the job (`User U has no permission to abort job N`).
 */
export class EngineForbiddenError extends engineError(ForbiddenError, 'ENGINE_FORBIDDEN') {}

/** 404, or a 200 `{"error": "Unknown job N"}` from abort. */
export class EngineNotFoundError extends engineError(NotFoundError, 'ENGINE_NOT_FOUND') {}

/** 409, or a 200 `{"error": ...}` refusal such as `Job N is not running`. */
export class EngineConflictError extends engineError(ConflictError, 'ENGINE_CONFLICT') {}

/** 5xx, an unexpected status, or a body that is not what the API promises. */
export class EngineUpstreamError extends UpstreamError implements EngineErrorInfo {
  readonly status: number | undefined;
  readonly method: string;
  readonly url: string;
  readonly serverMessage: string;

  constructor(info: EngineErrorInfo, summary = info.serverMessage, code = 'ENGINE_UPSTREAM') {
    super(describe(info, summary), { code, details: detailsOf(info) });
    this.status = info.status;
    this.method = info.method;
    this.url = info.url;
    this.serverMessage = info.serverMessage;
  }
}

/**
 * `POST /v1/calc/run` answered 500 `{"traceback": [...], "job_id": N}`: the job row was
 * created and marked failed before the calculation could start (no .ini in the archive, a
 * missing input file, a bad parameter...).
 */
export class JobRunError extends EngineUpstreamError {
  readonly jobId: number | null;
  readonly traceback: string[];

  constructor(info: EngineErrorInfo, jobId: number | null, traceback: string[]) {
    const last = [...traceback].reverse().find((line) => line.trim() !== '');
    const job = jobId === null ? 'The job' : `Job ${jobId}`;
    super(
      info,
      `${job} failed before starting: ${last?.trim() ?? info.serverMessage}`,
      'JOB_RUN_FAILED',
    );
    this.jobId = jobId;
    this.traceback = traceback;
  }
}

/** No response at all: connection refused or reset, DNS failure (after any retries). */
export class EngineConnectionError extends UnavailableError implements EngineErrorInfo {
  readonly status: number | undefined = undefined;
  readonly method: string;
  readonly url: string;
  readonly serverMessage: string;

  constructor(info: Omit<EngineErrorInfo, 'status'>, cause: unknown) {
    super(describe({ ...info, status: undefined }, info.serverMessage), {
      code: 'ENGINE_UNREACHABLE',
      cause,
      details: detailsOf({ ...info, status: undefined }),
    });
    this.method = info.method;
    this.url = info.url;
    this.serverMessage = info.serverMessage;
  }
}

/** One request took longer than its `timeoutMs`. */
export class EngineTimeoutError extends TimeoutError implements EngineErrorInfo {
  readonly status: number | undefined = undefined;
  readonly method: string;
  readonly url: string;
  readonly serverMessage: string;
  readonly timeoutMs: number;

  constructor(info: Omit<EngineErrorInfo, 'status' | 'serverMessage'>, timeoutMs: number) {
    const serverMessage = `No answer within ${timeoutMs} ms`;
    super(describe({ ...info, status: undefined, serverMessage }, serverMessage), {
      code: 'ENGINE_TIMEOUT',
      details: detailsOf({ ...info, status: undefined, serverMessage }, { timeoutMs }),
    });
    this.method = info.method;
    this.url = info.url;
    this.serverMessage = serverMessage;
    this.timeoutMs = timeoutMs;
  }
}

/** `wait()` gave up: the job was still running after `timeoutMs`. */
export class WaitTimeoutError extends TimeoutError {
  readonly jobId: number;
  readonly lastStatus: string;

  constructor(jobId: number, timeoutMs: number, lastStatus: string) {
    super(`Job ${jobId} is still ${lastStatus} after ${timeoutMs} ms`, {
      code: 'WAIT_TIMEOUT',
      details: { jobId, timeoutMs, lastStatus },
    });
    this.jobId = jobId;
    this.lastStatus = lastStatus;
  }
}

export type EngineError =
  | EngineInvalidInputError
  | EngineUnauthorizedError
  | EngineForbiddenError
  | EngineNotFoundError
  | EngineConflictError
  | EngineUpstreamError
  | EngineConnectionError
  | EngineTimeoutError;

/** True for every error about one exchange with the server (they all carry EngineErrorInfo). */
export function isEngineError(value: unknown): value is EngineError {
  return (
    value instanceof EngineInvalidInputError ||
    value instanceof EngineUnauthorizedError ||
    value instanceof EngineForbiddenError ||
    value instanceof EngineNotFoundError ||
    value instanceof EngineConflictError ||
    value instanceof EngineUpstreamError ||
    value instanceof EngineConnectionError ||
    value instanceof EngineTimeoutError
  );
}

/** The error for an HTTP status that is not a success. */
export function errorForStatus(info: EngineErrorInfo & { status: number }): EngineError {
  const { status } = info;
  if (status === 401) return new EngineUnauthorizedError(info);
  if (status === 403) return new EngineForbiddenError(info);
  if (status === 404 || status === 410) return new EngineNotFoundError(info);
  if (status === 409) return new EngineConflictError(info);
  if (status >= 400 && status < 500) return new EngineInvalidInputError(info);
  return new EngineUpstreamError(info);
}

/**
 * The error for a `{"error": "..."}` body that came with a 2xx status (abort answers
 * `Unknown job N` and `Job N is not running` with 200): classified by the message.
 */
export function errorForRefusal(info: EngineErrorInfo): EngineError {
  const message = info.serverMessage;
  if (/^Unknown job\b|ID does not exist/i.test(message)) {
    return new EngineNotFoundError(info);
  }
  if (/no permission|belongs to/i.test(message)) return new EngineForbiddenError(info);
  return new EngineConflictError(info);
}
