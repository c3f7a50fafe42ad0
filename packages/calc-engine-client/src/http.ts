import { AbortedError } from '@geoworks/errors';
import {
  cookieValue,
  HttpClient,
  HttpTimeoutError,
  NetworkError,
  readText,
  RedirectError,
  removeCookie,
  type Sleep,
} from '@geoworks/http-client';
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
  sleep: Sleep;
}

const MAX_ERROR_BODY = 256 * 1024;

/**
 * HTTP exchanges with one server: URLs, cookies (the Django session and CSRF token), and one
 * typed error per failed outcome. Timeouts, cancellation, retries of idempotent calls and
 * redirects are `@geoworks/http-client`'s.
 */
export class Transport {
  readonly base: URL;
  readonly #http: HttpClient;

  constructor(options: TransportOptions) {
    const base = new URL(options.url);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    base.search = '';
    base.hash = '';
    this.base = base;
    this.#http = new HttpClient({
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
      retry: {
        retries: options.retries,
        baseDelayMs: options.retryBaseDelayMs,
        maxDelayMs: options.retryMaxDelayMs,
      },
      // A 500 is the engine's answer about the job, not a passing outage.
      retryStatuses: [502, 503, 504],
      headers: {
        'user-agent': 'geoworks-calc-engine-client',
        accept: 'application/json, */*;q=0.5',
        ...options.headers,
      },
      cookies: true,
      credentialHeaders: ['x-csrftoken'],
      // fetch's own limit, which applied when fetch followed the redirects.
      maxRedirects: 20,
      // Timeouts wait through the client's sleep too, so a test can hold them.
      sleep: options.sleep,
      timer: options.sleep,
    });
  }

  urlFor(path: string, query?: URLSearchParams): string {
    const url = new URL(path.replace(/^\/+/, ''), this.base);
    if (query !== undefined && [...query.keys()].length > 0) url.search = query.toString();
    return url.toString();
  }

  /** Forgets the server's cookie `name` (the session, at logout). */
  forget(name: string): Promise<void> {
    return removeCookie(this.#http.cookies!, this.base, name);
  }

  async request<T>(
    spec: RequestSpec,
    read: (exchange: Exchange) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    const url = this.urlFor(spec.path, spec.query);
    const { method } = spec;
    try {
      return await this.#http.request(
        url,
        {
          method,
          headers: () => this.#headersFor(spec),
          body: spec.body,
          signal: options.signal,
          timeoutMs: options.timeoutMs,
          retry: method === 'GET' || method === 'HEAD',
          retryRead: spec.stream !== true,
        },
        async (exchange) => {
          const { response } = exchange;
          if (!response.ok) throw await errorOf(response, method, url);
          if (exchange.redirected && /\/accounts\/login\b/.test(exchange.url.pathname)) {
            await response.body?.cancel();
            throw new EngineUnauthorizedError({
              status: 302,
              method,
              url,
              serverMessage: `Redirected to the login page ${exchange.url.href}: log in first`,
            });
          }
          return read({
            response,
            method,
            url,
            signal: exchange.signal,
            touch: spec.stream === true ? exchange.touch : () => {},
            info: (serverMessage) => ({ status: response.status, method, url, serverMessage }),
          });
        },
      );
    } catch (error) {
      throw engineFailure(error, method, url, options.signal);
    }
  }

  async #headersFor(spec: RequestSpec): Promise<Record<string, string>> {
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.method === 'POST') {
      // Django checks the CSRF token of unsafe methods (and, over HTTPS, the Referer).
      const csrf = await cookieValue(this.#http.cookies!, this.base, 'csrftoken');
      if (csrf !== undefined) headers['x-csrftoken'] = csrf;
      headers.referer = this.base.toString();
    }
    return headers;
  }
}

/** The engine error for a failed exchange (the reader's own errors pass as they are). */
function engineFailure(
  error: unknown,
  method: Method,
  url: string,
  signal: AbortSignal | undefined,
): unknown {
  if (error instanceof AbortedError && signal?.aborted === true) {
    return new AbortedError(`${method} ${url} was aborted`, {
      code: 'ENGINE_REQUEST_ABORTED',
      cause: signal.reason,
    });
  }
  if (error instanceof HttpTimeoutError) {
    return new EngineTimeoutError({ method, url }, error.timeoutMs);
  }
  if (error instanceof NetworkError) {
    return new EngineConnectionError({ method, url, serverMessage: error.reason }, error.cause);
  }
  if (error instanceof BadShape || error instanceof RedirectError) {
    return new EngineUpstreamError({
      status: undefined,
      method,
      url,
      serverMessage:
        error instanceof BadShape ? `Unexpected response: ${error.message}` : error.message,
    });
  }
  return error;
}

async function errorOf(response: Response, method: Method, url: string): Promise<Error> {
  const body = await readText(response, { maxBytes: MAX_ERROR_BODY, truncate: true }).catch(
    () => '',
  );
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
