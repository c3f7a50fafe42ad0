// The providers' HTTP client: @geoworks/http-client's rules (retries with backoff on network
// errors, 429 honouring Retry-After and 5xx; redirects followed by hand so Authorization only
// reaches hosts the provider allows; a cookie jar for NASA's Earthdata Login flow), the
// providers' errors, and credentials renewed once on a 401.
import { isGeoworksError } from '@geoworks/errors';
import {
  HttpClient as Http,
  HttpTimeoutError,
  NetworkError,
  RedirectError,
  sleep as timer,
  type Exchange,
  type RedirectPolicy,
  type RequestOptions as Options,
  type RetryPolicy,
  type Sleep,
} from '@geoworks/http-client';
import { AuthenticationError, DownloadCancelled, ProviderError, redactUrl } from '../errors.js';

export type { RetryPolicy };

/** Supplies credentials: headers for the next request, renewed when `invalidate` was called. */
export interface AuthProvider {
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /** The server answered 401 with the current headers: renew before the next call. */
  invalidate(): void;
}

export interface HttpClientOptions {
  /** Provider name for messages. */
  provider: string;
  /** Retries (default 5), first backoff ceiling (500 ms) and longest wait (60 s). */
  retry?: Partial<RetryPolicy>;
  /** Longest wait for response headers (default 60 s). */
  timeoutMs?: number;
  auth?: AuthProvider;
  /**
   * Whether the Authorization header may follow a redirect (default: to the same origin only;
   * a signed S3 URL must never receive it, Copernicus's download host needs it).
   */
  keepAuthorization?(from: URL, to: URL): boolean;
  /** Keep cookies across requests and redirects (session cookies of login flows). */
  cookies?: boolean;
  maxRedirects?: number;
  userAgent?: string;
  /**
   * How backoffs and Retry-After waits are waited out (default: a timer that rejects with
   * DownloadCancelled when the signal fires). Tests pass their own to see the delays asked
   * for without letting time pass.
   */
  sleep?: Sleep;
}

export interface RequestOptions extends Pick<Options, 'method' | 'json' | 'form' | 'signal'> {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the client's credentials (default true). */
  auth?: boolean;
  /** Retry on network errors, 429 and 5xx (default true). */
  retry?: boolean;
  /** Extra headers for one redirect hop (HTTP Basic only towards the login host, say). */
  redirectHeaders?: RedirectPolicy['headers'];
}

/** Resolves after `ms`, or rejects with DownloadCancelled when `signal` fires first. */
export const sleep: Sleep = (ms, signal) =>
  timer(ms, signal).catch((reason: unknown) => {
    throw new DownloadCancelled(undefined, { cause: reason });
  });

const RENEW = Symbol('renew the credentials');

export class HttpClient {
  readonly provider: string;
  readonly retry: RetryPolicy;
  /** Waits out backoffs (the `sleep` option, else a timer); downloads wait through it too. */
  readonly sleep: Sleep;
  readonly #options: HttpClientOptions;
  readonly #http: Http;

  constructor(options: HttpClientOptions) {
    this.provider = options.provider;
    this.sleep = options.sleep ?? sleep;
    this.#options = options;
    this.retry = { retries: 5, baseDelayMs: 500, maxDelayMs: 60_000, ...options.retry };
    this.#http = new Http({
      retry: this.retry,
      timeoutMs: options.timeoutMs ?? 60_000,
      cookies: options.cookies === true,
      maxRedirects: options.maxRedirects ?? 10,
      headers: { 'user-agent': options.userAgent ?? 'geoworks-sensor-downloaders/0.1' },
      sleep: this.sleep,
    });
  }

  /**
   * The final response (redirects followed) of a request, retried as the policy says. Statuses
   * other than the retryable ones are returned as they are: callers check them. A 401 with
   * credentials renews them once. The timeout ends with the headers: the body is the caller's.
   */
  fetch(url: string, options: RequestOptions = {}): Promise<Response> {
    return this.#exchange(url, options, async ({ response }) => response);
  }

  /** As `fetch`, with the whole body as text, read within the timeout (and retried with it). */
  fetchText(
    url: string,
    options: RequestOptions = {},
  ): Promise<{ response: Response; text: string }> {
    return this.#exchange(url, options, async ({ response }) => ({
      response,
      text: await response.text(),
    }));
  }

  /** A JSON response; any status outside 2xx is a ProviderError (401/403: AuthenticationError). */
  async json<T>(url: string, options: RequestOptions = {}): Promise<T> {
    const { response, text } = await this.fetchText(url, {
      ...options,
      headers: { accept: 'application/json', ...options.headers },
    });
    if (!response.ok) throw this.statusError(response, text, url);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ProviderError(
        this.provider,
        `${redactUrl(url)} did not answer JSON (${text.slice(0, 120)})`,
        {
          status: response.status,
          cause: error,
          url: redactUrl(url),
        },
      );
    }
  }

  /** The error for an unexpected status, with the start of the body. */
  statusError(response: Response, body: string, url: string): Error {
    const excerpt = body.replace(/\s+/g, ' ').slice(0, 300);
    if (response.status === 401 || response.status === 403) {
      return new AuthenticationError(
        this.provider,
        `${response.status} from ${redactUrl(url)}: ${excerpt}`,
      );
    }
    return new ProviderError(
      this.provider,
      `${response.status} from ${redactUrl(url)}: ${excerpt}`,
      {
        status: response.status,
        url: redactUrl(url),
      },
    );
  }

  async #exchange<T>(
    url: string,
    options: RequestOptions,
    read: (exchange: Exchange) => Promise<T>,
  ): Promise<T> {
    const auth = options.auth === false ? undefined : this.#options.auth;
    for (let renewed = false; ; renewed = true) {
      let result: T | typeof RENEW;
      try {
        result = await this.#http.request(
          url,
          {
            method: options.method,
            // Made for each attempt, so a token renewed meanwhile is the one sent.
            headers: async (signal) => ({ ...options.headers, ...(await auth?.headers(signal)) }),
            body: options.body,
            json: options.json,
            form: options.form,
            signal: options.signal,
            retry: options.retry !== false,
            redirect: {
              keepCredentials: this.#options.keepAuthorization,
              headers: options.redirectHeaders,
            },
          },
          async (exchange) => {
            if (exchange.response.status === 401 && auth !== undefined && !renewed) {
              await exchange.response.body?.cancel();
              return RENEW;
            }
            return read(exchange);
          },
        );
      } catch (error) {
        throw this.#failure(error, url, options.signal);
      }
      if (result !== RENEW) return result;
      auth!.invalidate();
    }
  }

  /** The provider's error for a request that got no usable answer. */
  #failure(error: unknown, url: string, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return new DownloadCancelled(undefined, { cause: signal.reason });
    const failed = (reason: string, cause?: unknown) =>
      new ProviderError(this.provider, `request to ${redactUrl(url)} failed: ${reason}`, {
        cause,
        url: redactUrl(url),
      });
    if (error instanceof NetworkError) return failed((error.cause as Error).message, error.cause);
    if (error instanceof HttpTimeoutError) return failed(`no answer within ${error.timeoutMs} ms`);
    if (error instanceof RedirectError && error.reason === 'too-many') {
      return new ProviderError(this.provider, `too many redirects from ${redactUrl(url)}`, {
        url: redactUrl(url),
      });
    }
    // Our own typed errors (a refused token renewal) pass through as they are.
    if (isGeoworksError(error) && !(error instanceof RedirectError)) return error;
    return failed((error as Error).message, error);
  }
}
