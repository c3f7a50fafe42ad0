// One HTTP client for every provider: retries with exponential backoff and full jitter on network
// errors, 429 (honouring Retry-After) and 5xx; redirects followed by hand so Authorization only
// reaches hosts the provider allows; an optional cookie jar (NASA's Earthdata Login flow);
// credentials renewed once on a 401.
import { CookieJar } from 'tough-cookie';
import { isGeoworksError } from '@geoworks/errors';
import { AuthenticationError, DownloadCancelled, ProviderError, redactUrl } from '../errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt (default 5). */
  retries: number;
  /** First backoff ceiling (default 500 ms); it doubles per retry up to `maxDelayMs`. */
  baseDelayMs: number;
  /** Backoff ceiling, also the longest Retry-After honoured (default 60 s). */
  maxDelayMs: number;
}

/** Supplies credentials: headers for the next request, renewed when `invalidate` was called. */
export interface AuthProvider {
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /** The server answered 401 with the current headers: renew before the next call. */
  invalidate(): void;
}

export interface HttpClientOptions {
  /** Provider name for messages. */
  provider: string;
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
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A JSON body (sets Content-Type). */
  json?: unknown;
  /** A form body (application/x-www-form-urlencoded). */
  form?: Record<string, string>;
  body?: string | Buffer;
  signal?: AbortSignal;
  /** Send the client's credentials (default true). */
  auth?: boolean;
  /** Retry on network errors, 429 and 5xx (default true). */
  retry?: boolean;
  /**
   * Extra headers for a redirect hop (e.g. HTTP Basic only towards the login host), or
   * undefined for none.
   */
  redirectHeaders?(to: URL): Record<string, string> | undefined;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

/** Resolves after `ms`, or rejects with DownloadCancelled when `signal` fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DownloadCancelled(undefined, { cause: signal.reason }));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DownloadCancelled(undefined, { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Seconds or an HTTP date, as milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  return Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}

/** Whether an error thrown by fetch is the network's fault (worth a retry). */
export function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'AbortError' || error instanceof DownloadCancelled) return false;
  const code =
    (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return (
    error.name === 'TypeError' ||
    [
      'ECONNRESET',
      'ECONNREFUSED',
      'EPIPE',
      'ETIMEDOUT',
      'UND_ERR_SOCKET',
      'UND_ERR_CONNECT_TIMEOUT',
      'UND_ERR_HEADERS_TIMEOUT',
      'UND_ERR_BODY_TIMEOUT',
      'EAI_AGAIN',
    ].includes(code ?? '')
  );
}

export class HttpClient {
  readonly provider: string;
  readonly retry: RetryPolicy;
  /** Waits out backoffs (the `sleep` option, else a timer); downloads wait through it too. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #options: HttpClientOptions;
  readonly #jar: CookieJar | undefined;

  constructor(options: HttpClientOptions) {
    this.provider = options.provider;
    this.sleep = options.sleep ?? sleep;
    this.#options = options;
    this.retry = { retries: 5, baseDelayMs: 500, maxDelayMs: 60_000, ...options.retry };
    this.#jar = options.cookies === true ? new CookieJar() : undefined;
  }

  /**
   * The final response (redirects followed) of a request, retried as the policy says. Statuses
   * other than the retryable ones are returned as they are: callers check them. A 401 with
   * credentials renews them once.
   */
  async fetch(url: string, options: RequestOptions = {}): Promise<Response> {
    let renewed = false;
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted)
        throw new DownloadCancelled(undefined, { cause: options.signal.reason });
      let response: Response;
      try {
        response = await this.#followRedirects(url, options);
      } catch (error) {
        if (options.retry !== false && isNetworkError(error) && attempt < this.retry.retries) {
          await this.sleep(backoffMs(attempt, this.retry), options.signal);
          continue;
        }
        if (options.signal?.aborted)
          throw new DownloadCancelled(undefined, { cause: options.signal.reason });
        // Our own typed errors (a refused token renewal) pass through as they are.
        if (isGeoworksError(error)) throw error;
        throw new ProviderError(
          this.provider,
          `request to ${redactUrl(url)} failed: ${(error as Error).message}`,
          { cause: error, url: redactUrl(url) },
        );
      }
      if (
        response.status === 401 &&
        options.auth !== false &&
        this.#options.auth !== undefined &&
        !renewed
      ) {
        renewed = true;
        await response.body?.cancel();
        this.#options.auth.invalidate();
        attempt--;
        continue;
      }
      if (
        options.retry !== false &&
        RETRYABLE_STATUS.has(response.status) &&
        attempt < this.retry.retries
      ) {
        const wait = retryAfterMs(response.headers.get('retry-after'));
        await response.body?.cancel();
        await this.sleep(
          wait === undefined
            ? backoffMs(attempt, this.retry)
            : Math.min(wait, this.retry.maxDelayMs),
          options.signal,
        );
        continue;
      }
      return response;
    }
  }

  /** A JSON response; any status outside 2xx is a ProviderError (401/403: AuthenticationError). */
  async json<T>(url: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.fetch(url, {
      ...options,
      headers: { accept: 'application/json', ...options.headers },
    });
    const text = await response.text();
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

  async #followRedirects(url: string, options: RequestOptions): Promise<Response> {
    // Lower-case names, so dropping Authorization on a redirect cannot miss a spelling.
    const headers: Record<string, string> = lowerCaseKeys({
      'user-agent': this.#options.userAgent ?? 'geoworks-sensor-downloaders/0.1',
      ...options.headers,
      ...(options.auth !== false && this.#options.auth !== undefined
        ? await this.#options.auth.headers(options.signal)
        : {}),
    });
    // Headers a redirect hook added for one hop only (HTTP Basic towards a login host).
    let hopHeaders: Record<string, string> = {};
    let body: string | Buffer | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.form !== undefined) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    let method = options.method ?? (body === undefined ? 'GET' : 'POST');
    let current = new URL(url);
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 60_000);
    const signal =
      options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    for (let hop = 0; ; hop++) {
      if (this.#jar !== undefined) {
        const cookie = await this.#jar.getCookieString(current.href);
        if (cookie !== '') headers.cookie = cookie;
        else delete headers.cookie;
      }
      const response = await fetch(current, {
        method,
        headers: { ...headers, ...hopHeaders },
        body,
        redirect: 'manual',
        signal,
      });
      if (this.#jar !== undefined) {
        for (const setCookie of response.headers.getSetCookie()) {
          await this.#jar.setCookie(setCookie, current.href, { ignoreError: true });
        }
      }
      const location = response.headers.get('location');
      if (!REDIRECT_STATUS.has(response.status) || location === null) return response;
      await response.body?.cancel();
      if (hop >= (this.#options.maxRedirects ?? 10)) {
        throw new ProviderError(this.provider, `too many redirects from ${redactUrl(url)}`, {
          url: redactUrl(url),
        });
      }
      const next = new URL(location, current);
      const keep =
        this.#options.keepAuthorization ?? ((from: URL, to: URL) => from.origin === to.origin);
      if (!keep(current, next)) delete headers.authorization;
      hopHeaders = lowerCaseKeys(options.redirectHeaders?.(next) ?? {});
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      ) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      current = next;
    }
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
}
