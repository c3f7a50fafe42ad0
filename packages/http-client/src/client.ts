import { fetch as undiciFetch } from 'undici';
import { addressCheckingAgent, refusedLiteral, type AddressPolicy } from './addresses.js';
import { CookieJar, storeCookies } from './cookies.js';
import {
  abortedError,
  AddressRefusedError,
  classifyNetworkError,
  HostRefusedError,
  HttpTimeoutError,
  NetworkError,
  RedirectError,
} from './errors.js';
import { hostAllowed, type AllowedHosts } from './hosts.js';
import { parseRetryAfter, waitBeforeRetry, type RetryPolicy } from './retry.js';
import { sleep, type Sleep } from './sleep.js';

export type RequestBody = NonNullable<RequestInit['body']>;
type HeaderMap = Record<string, string>;

export interface HttpClientOptions {
  /** A fetch implementation (default: undici's, which pairs with its address-checking agent). */
  fetch?: typeof globalThis.fetch;
  /** Headers of every request (`user-agent`, `accept`); a request's own headers win. */
  headers?: HeaderMap;
  /** An attempt's timer (see `RequestOptions.timeoutMs`); default 60 s. */
  timeoutMs?: number;
  /** Default: 3 retries, 500 ms doubling, at most 60 s. */
  retry?: Partial<RetryPolicy>;
  /** Statuses answered again after a backoff (default 429, 500, 502, 503, 504). */
  retryStatuses?: readonly number[];
  /** Keep cookies across requests and redirects: `true` for a jar of its own, or a jar. */
  cookies?: boolean | CookieJar;
  /** Redirects followed at most (default 10). */
  maxRedirects?: number;
  /**
   * Headers dropped when a redirect leaves the origin (unless `keepCredentials` allows it), on
   * top of `authorization`, `proxy-authorization` and `cookie` (such as `x-csrftoken`).
   */
  credentialHeaders?: readonly string[];
  /** How backoffs and Retry-After waits are waited out (default: a timer). */
  sleep?: Sleep;
  /**
   * How an attempt's timer waits (default: a timer). A test that passes its own holds a
   * request's timeout and ends it when it chooses; the timer's signal aborts when disarmed.
   */
  timer?: Sleep;
  /** The current time, for Retry-After dates (default `Date.now`). */
  now?: () => number;
}

export interface RedirectPolicy {
  /** Redirects followed at most (default: the client's `maxRedirects`). */
  max?: number;
  /** Whether the request may go on to `to` (default: any http or https URL). */
  allow?(to: URL, from: URL): boolean;
  /**
   * Whether the credential headers may go along from `from` to `to` (default: only to the same
   * origin). Once dropped they stay dropped.
   */
  keepCredentials?(from: URL, to: URL): boolean;
  /** Headers for the hop to `to` only (HTTP Basic towards a login host, say). */
  headers?(to: URL): HeaderMap | undefined;
}

export interface RequestOptions {
  /** Default GET, or POST with a body. */
  method?: string;
  /** The request's headers, or a function making them anew for each attempt (fresh tokens). */
  headers?: HeaderMap | ((signal: AbortSignal) => Promise<HeaderMap>);
  /** A body, or a function making it anew for each attempt (a FormData of files). */
  body?: RequestBody | (() => RequestBody | Promise<RequestBody>);
  /** A JSON body (sets `content-type`). */
  json?: unknown;
  /** An `application/x-www-form-urlencoded` body. */
  form?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * An attempt's timer: it runs until the answer's headers come and, when `request` is given a
   * reader, until the reader is done; `Exchange.touch()` starts it again (an idle timeout for
   * a streamed body). Default: the client's.
   */
  timeoutMs?: number;
  /** `false`: one attempt (a call that must not be sent twice); or this request's policy. */
  retry?: boolean | Partial<RetryPolicy>;
  /**
   * Whether a network failure inside the reader (the body broke off) may be retried; default
   * true. False for a body already handed on as it streamed.
   */
  retryRead?: boolean;
  redirect?: RedirectPolicy;
  /** Hosts the request, and every redirect, may go to (see `AllowedHosts`). */
  allowedHosts?: AllowedHosts;
  /** Addresses the request, and every redirect, may connect to. */
  addresses?: AddressPolicy;
}

/** An answer, handed to the reader while the attempt's timer runs. */
export interface Exchange {
  response: Response;
  /** The URL that answered (after redirects). */
  url: URL;
  redirected: boolean;
  /** Aborts with the caller's signal or the attempt's timer: for the reader's own work. */
  signal: AbortSignal;
  /** Starts the attempt's timer again: call it for every chunk of a streamed body. */
  touch(): void;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];
const defaultFetch = undiciFetch as unknown as typeof globalThis.fetch;

/** A retryable status while retries remain: the answer is dropped and asked for again. */
class RetryStatus {
  constructor(readonly retryAfterMs: number | undefined) {}
}

/**
 * Outbound HTTP with the rules every geoworks client follows: retries with one backoff rule and
 * `Retry-After`, a timer per attempt, cancellation, cookies, redirects followed by hand (so
 * each hop is checked and credentials stay with their origin), host and address policies, and
 * typed failures (`NetworkError`, `HttpTimeoutError`, `AbortedError`, ...). Statuses are the
 * caller's to judge: any answer that is not retried is handed back.
 */
export class HttpClient {
  readonly retry: RetryPolicy;
  /** The cookie jar, when the client keeps cookies. */
  readonly cookies: CookieJar | undefined;
  readonly sleep: Sleep;
  readonly #fetch: typeof globalThis.fetch;
  readonly #headers: HeaderMap;
  readonly #timeoutMs: number;
  readonly #retryStatuses: ReadonlySet<number>;
  readonly #maxRedirects: number;
  readonly #credentialHeaders: readonly string[];
  readonly #timer: Sleep | undefined;
  readonly #now: () => number;

  constructor(options: HttpClientOptions = {}) {
    this.retry = { retries: 3, baseDelayMs: 500, maxDelayMs: 60_000, ...options.retry };
    this.cookies =
      options.cookies instanceof CookieJar
        ? options.cookies
        : options.cookies === true
          ? new CookieJar()
          : undefined;
    this.sleep = options.sleep ?? sleep;
    this.#fetch = options.fetch ?? defaultFetch;
    this.#headers = lowerCaseKeys(options.headers ?? {});
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#retryStatuses = new Set(options.retryStatuses ?? [429, 500, 502, 503, 504]);
    this.#maxRedirects = options.maxRedirects ?? 10;
    this.#credentialHeaders = [
      ...CREDENTIAL_HEADERS,
      ...(options.credentialHeaders ?? []).map((name) => name.toLowerCase()),
    ];
    this.#timer = options.timer;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Sends a request, retrying network failures and retryable statuses as the policy says, and
   * gives what `read` makes of the answer (by default the `Response`, once its headers came).
   * Whatever `read` throws that is not a network failure is thrown as it is.
   */
  async request<T = Response>(
    url: string | URL,
    options: RequestOptions = {},
    read?: (exchange: Exchange) => Promise<T>,
  ): Promise<T> {
    const policy: RetryPolicy =
      options.retry === false
        ? { ...this.retry, retries: 0 }
        : { ...this.retry, ...(options.retry === true ? {} : options.retry) };
    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < policy.retries;
      try {
        return await this.#attempt(url, options, read, retriesLeft);
      } catch (error) {
        const again =
          retriesLeft &&
          (error instanceof RetryStatus ||
            (error instanceof NetworkError &&
              error.retryable &&
              !(error.afterHeaders && options.retryRead === false)));
        if (!again) throw error;
        try {
          await waitBeforeRetry(error, attempt, {
            ...policy,
            signal: options.signal,
            sleep: this.sleep,
            retryAfterMs: error instanceof RetryStatus ? error.retryAfterMs : undefined,
          });
        } catch (waitError) {
          if (options.signal?.aborted) throw abortedError(facts(url, options), options.signal);
          throw waitError;
        }
      }
    }
  }

  /** One attempt, without retries: for a caller that retries by its own rules. */
  send<T = Response>(
    url: string | URL,
    options: RequestOptions = {},
    read?: (exchange: Exchange) => Promise<T>,
  ): Promise<T> {
    return this.#attempt(url, options, read, false);
  }

  async #attempt<T>(
    url: string | URL,
    options: RequestOptions,
    read: ((exchange: Exchange) => Promise<T>) | undefined,
    retryStatuses: boolean,
  ): Promise<T> {
    const callerSignal = options.signal;
    if (callerSignal?.aborted) throw abortedError(facts(url, options), callerSignal);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = startTimer(timeoutMs, this.#timer, () => {
      timedOut = true;
      controller.abort(new Error(`No answer within ${timeoutMs} ms`));
    });
    const signal =
      callerSignal === undefined
        ? controller.signal
        : AbortSignal.any([controller.signal, callerSignal]);
    let afterHeaders = false;
    try {
      const exchange = await this.#follow(url, options, signal, timer.restart);
      afterHeaders = true;
      if (retryStatuses && this.#retryStatuses.has(exchange.response.status)) {
        await exchange.response.body?.cancel().catch(() => undefined);
        const header = exchange.response.headers.get('retry-after');
        throw new RetryStatus(parseRetryAfter(header, this.#now()));
      }
      return read === undefined ? (exchange.response as T) : await read(exchange);
    } catch (error) {
      if (callerSignal?.aborted) throw abortedError(facts(url, options), callerSignal);
      if (timedOut) throw new HttpTimeoutError(timeoutMs, facts(url, options));
      const failure = classifyNetworkError(error);
      if (failure === undefined) throw error;
      throw new NetworkError(failure, { ...facts(url, options), afterHeaders }, error);
    } finally {
      timer.stop();
    }
  }

  /** Sends the request and follows its redirects, checking every hop. */
  async #follow(
    start: string | URL,
    options: RequestOptions,
    signal: AbortSignal,
    touch: () => void,
  ): Promise<Exchange> {
    const own =
      typeof options.headers === 'function' ? await options.headers(signal) : options.headers;
    const headers = { ...this.#headers, ...lowerCaseKeys(own ?? {}) };
    let body: RequestBody | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    } else if (options.form !== undefined) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else {
      body = typeof options.body === 'function' ? await options.body() : options.body;
    }
    let method = (options.method ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
    const redirect = options.redirect ?? {};
    const keepCredentials = redirect.keepCredentials ?? sameOrigin;
    let current = new URL(start);
    let hopHeaders: HeaderMap = {};
    for (let hop = 0; ; hop++) {
      if (!hostAllowed(current, options.allowedHosts)) throw new HostRefusedError(current, hop);
      const guard = options.addresses;
      const guarded = guard !== undefined && (guard.appliesTo?.(current) ?? true);
      if (guarded) {
        const refusal = refusedLiteral(current, guard.refuse);
        if (refusal !== undefined) throw new AddressRefusedError(refusal, current, hop);
      }
      const sent = { ...headers, ...hopHeaders };
      if (this.cookies !== undefined) {
        const cookie = await this.cookies.getCookieString(current.href);
        if (cookie !== '') sent.cookie = cookie;
      }
      let response: Response;
      try {
        response = await this.#fetch(current, {
          method,
          headers: sent,
          body,
          redirect: 'manual',
          signal,
          ...(guarded ? { dispatcher: addressCheckingAgent(guard.refuse) } : {}),
        } as RequestInit);
      } catch (error) {
        const refused = refusalIn(error);
        if (refused !== undefined) throw new AddressRefusedError(refused, current, hop);
        throw error;
      }
      if (this.cookies !== undefined) await storeCookies(this.cookies, response.headers, current);
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null) {
        return {
          response,
          // A custom fetch may have followed redirects itself.
          url: response.url === '' ? current : new URL(response.url),
          redirected: hop > 0 || response.redirected,
          signal,
          touch,
        };
      }
      await response.body?.cancel().catch(() => undefined);
      const next = new URL(location, current);
      if (hop >= (redirect.max ?? this.#maxRedirects)) {
        throw new RedirectError('too-many', current, next);
      }
      if (
        (next.protocol !== 'http:' && next.protocol !== 'https:') ||
        redirect.allow?.(next, current) === false
      ) {
        throw new RedirectError('refused', current, next);
      }
      if (!keepCredentials(current, next)) {
        for (const name of this.#credentialHeaders) delete headers[name];
      }
      hopHeaders = lowerCaseKeys(redirect.headers?.(next) ?? {});
      if (
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && method === 'POST')
      ) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
        delete headers['content-length'];
      }
      current = next;
    }
  }
}

/**
 * An attempt's timer: `onExpire` runs `ms` after the start or the last `restart()`, unless
 * stopped. A given `timer` waits (a test holds it; its signal aborts when the timer is stopped
 * or restarted); else one native timer, refreshed, since a streamed body restarts it per chunk.
 */
function startTimer(
  ms: number,
  timer: Sleep | undefined,
  onExpire: () => void,
): { restart: () => void; stop: () => void } {
  if (timer === undefined) {
    // Node's timers take at most 2^31 - 1 ms; a longer one would fire at once.
    const handle = setTimeout(onExpire, Math.min(ms, 2 ** 31 - 1));
    return { restart: () => void handle.refresh(), stop: () => clearTimeout(handle) };
  }
  let armed: AbortController | undefined;
  const stop = () => armed?.abort();
  const restart = () => {
    stop();
    const current = new AbortController();
    armed = current;
    timer(ms, current.signal).then(
      () => {
        if (!current.signal.aborted) onExpire();
      },
      () => undefined,
    );
  };
  restart();
  return { restart, stop };
}

function facts(url: string | URL, options: RequestOptions): { method: string; url: URL } {
  const method = options.method ?? (hasBody(options) ? 'POST' : 'GET');
  return { method: method.toUpperCase(), url: new URL(url) };
}

function hasBody(options: RequestOptions): boolean {
  return options.body !== undefined || options.json !== undefined || options.form !== undefined;
}

function sameOrigin(from: URL, to: URL): boolean {
  return from.origin === to.origin;
}

/** The address refusal a fetch failed with (the agent's lookup raises it as the cause). */
function refusalIn(error: unknown): AddressRefusedError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof AddressRefusedError) return current;
    current = current.cause;
  }
  return undefined;
}

function lowerCaseKeys(headers: HeaderMap): HeaderMap {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
}
