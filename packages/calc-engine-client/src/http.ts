import { AbortedError, isGeoworksError } from '@geoworks/errors';
import { CookieJar } from './cookies.js';
import {
  EngineConnectionError,
  EngineTimeoutError,
  EngineUnauthorizedError,
  EngineUpstreamError,
  errorForStatus,
  JobRunError,
  type EngineErrorInfo,
} from './errors.js';
import { BadShape, isRecord, serverMessageOf } from './normalize.js';
import type { CallOptions } from './types.js';

export type Method = 'GET' | 'HEAD' | 'POST';
type RequestBody = NonNullable<RequestInit['body']>;

export interface RequestSpec {
  method: Method;
  /** Relative to the server's base URL, without a leading slash: `v1/calc/list`. */
  path: string;
  query?: URLSearchParams;
  /** Made anew for each attempt (a FormData, a URLSearchParams, a string). */
  body?: () => RequestBody | Promise<RequestBody>;
  headers?: Record<string, string>;
  /**
   * A streamed body: after the headers, the timeout becomes an idle timeout (reset by
   * `Exchange.touch()`) and nothing is retried once reading has started.
   */
  stream?: boolean;
}

/** A response with a success status, handed to the reader. */
export interface Exchange {
  response: Response;
  method: Method;
  url: string;
  signal: AbortSignal;
  /** Resets the idle timer of a streamed body; call it for every chunk. */
  touch(): void;
  /** The EngineErrorInfo of this exchange, for errors about its body. */
  info(serverMessage: string): EngineErrorInfo;
}

export interface TransportOptions {
  url: string;
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  headers: Record<string, string>;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const RETRY_STATUSES = new Set([502, 503, 504]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);
const MAX_ERROR_BODY = 256 * 1024;

class TimeoutMarker extends Error {}

/**
 * HTTP exchanges with one server: URLs, cookies (the Django session and CSRF token), timeouts,
 * cancellation, retries of idempotent calls, and one typed error per failed outcome.
 */
export class Transport {
  readonly base: URL;
  readonly jar = new CookieJar();
  private readonly options: TransportOptions;

  constructor(options: TransportOptions) {
    this.options = options;
    const base = new URL(options.url);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    base.search = '';
    base.hash = '';
    this.base = base;
  }

  urlFor(path: string, query?: URLSearchParams): string {
    const url = new URL(path.replace(/^\/+/, ''), this.base);
    if (query !== undefined && [...query.keys()].length > 0) url.search = query.toString();
    return url.toString();
  }

  async request<T>(
    spec: RequestSpec,
    read: (exchange: Exchange) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    const url = this.urlFor(spec.path, spec.query);
    const idempotent = spec.method === 'GET' || spec.method === 'HEAD';
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const userSignal = options.signal;
    for (let attempt = 0; ; attempt++) {
      if (userSignal?.aborted) throw abortedError(spec.method, url, userSignal);
      const controller = new AbortController();
      // The timeout waits through the client's sleep (a timer by default), so a test can hold
      // it and let it expire when it chooses; aborting `armed` disarms it.
      let armed: AbortController | undefined;
      const disarm = () => armed?.abort();
      const arm = () => {
        disarm();
        const current = new AbortController();
        armed = current;
        this.options.sleep(timeoutMs, current.signal).then(
          () => {
            if (!current.signal.aborted) controller.abort(new TimeoutMarker());
          },
          () => {},
        );
      };
      const signal =
        userSignal === undefined
          ? controller.signal
          : AbortSignal.any([controller.signal, userSignal]);
      let reading = false;
      let retryAfterMs: number | undefined;
      arm();
      try {
        const response = await this.options.fetch(url, {
          method: spec.method,
          headers: this.headersFor(spec),
          body: spec.body === undefined ? undefined : await spec.body(),
          signal,
          redirect: 'follow',
        });
        this.jar.store(response.headers);
        if (!response.ok) {
          const error = await errorOf(response, spec.method, url);
          if (idempotent && RETRY_STATUSES.has(response.status) && attempt < this.options.retries) {
            retryAfterMs = retryAfter(response.headers);
            throw new RetryableStatus(error);
          }
          throw error;
        }
        if (response.redirected && /\/accounts\/login\b/.test(new URL(response.url).pathname)) {
          await response.body?.cancel();
          throw new EngineUnauthorizedError({
            status: 302,
            method: spec.method,
            url,
            serverMessage: `Redirected to the login page ${response.url}: log in first`,
          });
        }
        reading = true;
        const exchange: Exchange = {
          response,
          method: spec.method,
          url,
          signal,
          touch: spec.stream === true ? arm : () => {},
          info: (serverMessage) => ({
            status: response.status,
            method: spec.method,
            url,
            serverMessage,
          }),
        };
        const result = await read(exchange);
        disarm();
        return result;
      } catch (caught) {
        disarm();
        if (userSignal?.aborted) throw abortedError(spec.method, url, userSignal);
        if (controller.signal.aborted && controller.signal.reason instanceof TimeoutMarker) {
          throw new EngineTimeoutError({ method: spec.method, url }, timeoutMs);
        }
        if (caught instanceof BadShape) {
          throw new EngineUpstreamError({
            status: undefined,
            method: spec.method,
            url,
            serverMessage: `Unexpected response: ${caught.message}`,
          });
        }
        const network = isNetworkError(caught);
        const retry =
          caught instanceof RetryableStatus ||
          (network && idempotent && attempt < this.options.retries && !(reading && spec.stream));
        if (!retry) {
          if (!network) throw caught;
          throw new EngineConnectionError(
            { method: spec.method, url, serverMessage: networkMessage(caught) },
            caught,
          );
        }
        await this.options.sleep(this.backoff(attempt, retryAfterMs), userSignal).catch(() => {
          throw abortedError(spec.method, url, userSignal);
        });
      }
    }
  }

  /** Full jitter around an exponential cap: from half the cap to the cap. */
  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    const cap = Math.min(
      this.options.retryMaxDelayMs,
      this.options.retryBaseDelayMs * 2 ** Math.min(attempt, 30),
    );
    const jittered = cap / 2 + Math.random() * (cap / 2);
    if (retryAfterMs === undefined) return jittered;
    return Math.min(Math.max(jittered, retryAfterMs), Math.max(this.options.retryMaxDelayMs, 1));
  }

  private headersFor(spec: RequestSpec): Record<string, string> {
    const headers: Record<string, string> = {
      'user-agent': 'geoworks-calc-engine-client',
      accept: 'application/json, */*;q=0.5',
      ...this.options.headers,
      ...spec.headers,
    };
    const cookie = this.jar.header();
    if (cookie !== undefined) headers.cookie = cookie;
    if (spec.method === 'POST') {
      // Django checks the CSRF token of unsafe methods (and, over HTTPS, the Referer).
      const csrf = this.jar.get('csrftoken');
      if (csrf !== undefined) headers['x-csrftoken'] = csrf;
      headers.referer = this.base.toString();
    }
    return headers;
  }
}

class RetryableStatus extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

async function errorOf(response: Response, method: Method, url: string): Promise<Error> {
  let body = '';
  try {
    body = await readLimitedText(response, MAX_ERROR_BODY);
  } catch {
    body = '';
  }
  const contentType = response.headers.get('content-type');
  const info = {
    status: response.status,
    method,
    url,
    serverMessage: serverMessageOf(body, contentType),
  };
  if (response.status >= 500) {
    // `POST /v1/calc/run` failing before the job starts: {"traceback": [...], "job_id": N}
    try {
      const parsed: unknown = JSON.parse(body);
      if (isRecord(parsed) && Array.isArray(parsed.traceback) && 'job_id' in parsed) {
        const jobId = typeof parsed.job_id === 'number' ? parsed.job_id : Number(parsed.job_id);
        return new JobRunError(
          info,
          Number.isSafeInteger(jobId) ? jobId : null,
          parsed.traceback.map(String),
        );
      }
    } catch {
      // not JSON
    }
  }
  return errorForStatus(info);
}

async function readLimitedText(response: Response, limit: number): Promise<string> {
  if (response.body === null) return '';
  const decoder = new TextDecoder();
  let text = '';
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length >= limit) {
        await reader.cancel();
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  return text + decoder.decode();
}

function retryAfter(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const time = Date.parse(value);
  return Number.isFinite(time) ? Math.max(0, time - Date.now()) : undefined;
}

function abortedError(method: string, url: string, signal: AbortSignal | undefined): AbortedError {
  return new AbortedError(`${method} ${url} was aborted`, {
    code: 'ENGINE_REQUEST_ABORTED',
    cause: signal?.reason,
  });
}

/** Errors that mean "no (complete) response": worth a retry for idempotent calls. */
export function isNetworkError(error: unknown): boolean {
  if (isGeoworksError(error)) return false;
  if (error instanceof TypeError) return true; // undici: "fetch failed", "terminated"
  const seen = new Set<unknown>();
  for (let current: unknown = error; isErrorLike(current) && !seen.has(current);) {
    seen.add(current);
    const code = current.code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) {
      return true;
    }
    if (current.name === 'SocketError') return true;
    current = current.cause;
  }
  return false;
}

function isErrorLike(value: unknown): value is { code?: unknown; name?: unknown; cause?: unknown } {
  return typeof value === 'object' && value !== null;
}

function networkMessage(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current instanceof Error && !seen.has(current);) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} (${code})` : current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(': ') : String(error);
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
