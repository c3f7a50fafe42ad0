import { AbortedError } from '@geoworks/errors';
import {
  AddressRefusedError,
  HostRefusedError,
  hostAllowed,
  hostNamed,
  HttpClient,
  HttpTimeoutError,
  NetworkError,
  nonPublicRange,
  RedirectError,
  retry,
  waitBeforeRetry,
  type AllowedHosts as HostList,
  type RetryOptions as HttpRetryOptions,
} from '@geoworks/http-client';
import { checkLiteralHost } from './addresses.js';
import {
  BadTaskParameterError,
  CkanError,
  HostNotAllowedError,
  PrivateAddressError,
} from './errors.js';

export { hostAllowed, hostNamed };

/**
 * Hosts that `api_url` and `resource_url` may point at. Entries are host names
 * (`data.example.org`), host and port (`localhost:5000`) or a wildcard for subdomains
 * (`*.example.org`); `*` alone allows every host. `undefined` or an empty list allows every
 * host too (development); production configurations should name their CKAN hosts.
 *
 * Whatever the list, a host that is not named in it (allowed by `*` or by an empty list) must
 * lead to public addresses: loopback, private, link-local and other internal addresses are
 * refused, unless `allowPrivateAddresses` is set (development against a local CKAN).
 */
export type AllowedHosts = HostList;

/** True when requests to `url` must reach public addresses only. */
export function publicOnly(
  url: URL,
  allowedHosts: AllowedHosts,
  allowPrivateAddresses: boolean | undefined,
): boolean {
  return allowPrivateAddresses !== true && !hostNamed(url, allowedHosts);
}

/**
 * Parses a task URL parameter: http or https only, no user name or password in it, a host
 * the allow-list accepts and, unless the list names it or `allowPrivateAddresses` is set, not
 * an IP address outside the public internet (host names are resolved by `checkResolvedHost`
 * and checked again when connecting).
 */
export function parseTaskUrl(
  value: string,
  parameter: string,
  allowedHosts: AllowedHosts,
  allowPrivateAddresses?: boolean,
): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BadTaskParameterError(parameter, `Parameter ${parameter} must be an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BadTaskParameterError(
      parameter,
      `Parameter ${parameter} must be an http or https URL`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new BadTaskParameterError(
      parameter,
      `Parameter ${parameter} must not contain a user name or password`,
    );
  }
  if (!hostAllowed(url, allowedHosts)) throw new HostNotAllowedError(url.host, parameter);
  if (publicOnly(url, allowedHosts, allowPrivateAddresses)) checkLiteralHost(url, parameter);
  return url;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Longest wait for the answer's headers. */
  timeoutMs: number;
  allowedHosts: AllowedHosts;
  /** Let hosts not named in `allowedHosts` reach internal addresses (see `AllowedHosts`). */
  allowPrivateAddresses?: boolean;
  signal?: AbortSignal;
  /** Redirects followed, to the same host only. Default 5. */
  maxRedirects?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

// One client for every CKAN and file request, so connections (and the address-checking agent's)
// are reused. It sends single attempts: the retries are the callers' (`withRetries`, `backOff`),
// over their own notion of transient.
const client = new HttpClient();

/**
 * One HTTP request that follows redirects only within the same host (scheme may go from
 * http to https), so a CKAN site cannot send us, with the user's API key, somewhere else; the
 * key itself goes along to the same origin only. Every hop is checked against the allow-list
 * and, unless the list names its host, must connect to public addresses. Network failures and
 * a missing answer within `timeoutMs` become transient `CkanError`s; the caller's abort
 * becomes `AbortedError`.
 */
export async function requestSameHost(url: URL, options: RequestOptions): Promise<Response> {
  try {
    return await client.send(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        body: options.body,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        redirect: { max: options.maxRedirects ?? 5, allow: (to) => to.hostname === url.hostname },
        allowedHosts: options.allowedHosts,
        addresses: {
          refuse: nonPublicRange,
          appliesTo: (hop) => publicOnly(hop, options.allowedHosts, options.allowPrivateAddresses),
        },
      },
      async ({ response, url: at }) => {
        if (REDIRECT_STATUSES.has(response.status)) {
          await response.body?.cancel();
          throw new CkanError(`${at.host} answered ${response.status} without a Location`, {
            status: response.status,
            transient: false,
          });
        }
        return response;
      },
    );
  } catch (error) {
    throw requestFailure(error, url, options.timeoutMs);
  }
}

/** The packager's error for a request that got no usable answer. */
function requestFailure(error: unknown, url: URL, timeoutMs: number): unknown {
  const what = (hop: number) => (hop === 0 ? url.host : `Redirect from ${url.host}`);
  if (error instanceof AbortedError) return new AbortedError('The download was stopped');
  if (error instanceof AddressRefusedError) {
    return new PrivateAddressError(what(error.hop), error.host, error.address, error.range);
  }
  if (error instanceof HostRefusedError)
    return new HostNotAllowedError(error.url.host, what(error.hop));
  if (error instanceof RedirectError) {
    return error.reason === 'refused'
      ? new HostNotAllowedError(error.to.host, what(1))
      : new CkanError(`Too many redirects from ${url.host}`, { transient: false });
  }
  if (error instanceof HttpTimeoutError) {
    return new CkanError(`${url.host} did not answer within ${timeoutMs} ms`, { transient: true });
  }
  if (error instanceof NetworkError) {
    const failed = error.cause as Error & { cause?: { code?: string; message?: string } };
    const reason = failed.cause?.code ?? failed.cause?.message ?? failed.message;
    return new CkanError(
      `Could not reach ${url.host}: ${reason}`,
      { transient: true },
      { cause: failed },
    );
  }
  return error;
}

export interface RetryOptions {
  /** Further attempts after the first; default 3. */
  retries: number;
  /** Wait before the first retry, doubled for each next one (with jitter). Default 500 ms. */
  backoffMs: number;
  signal?: AbortSignal;
  onRetry?(error: CkanError, attempt: number, delayMs: number): void;
}

/** The shared retry rule (see `backoffDelay`), over transient `CkanError`s, without a ceiling. */
function transientCkan(options: Omit<RetryOptions, 'retries'>): HttpRetryOptions<CkanError> {
  return {
    retries: 0,
    baseDelayMs: options.backoffMs,
    maxDelayMs: Number.POSITIVE_INFINITY,
    retryable: (error): error is CkanError => error instanceof CkanError && error.transient,
    signal: options.signal,
    onRetry: options.onRetry,
  };
}

/** Runs `attempt` again after transient `CkanError`s, with exponential backoff. */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  try {
    return await retry(attempt, { ...transientCkan(options), retries: options.retries });
  } catch (error) {
    throw stopped(error, options.signal);
  }
}

/** Waits before retry number `tried + 1` after `error`. */
export async function backOff(
  error: CkanError,
  tried: number,
  options: Pick<RetryOptions, 'backoffMs' | 'signal' | 'onRetry'>,
): Promise<void> {
  try {
    await waitBeforeRetry(error, tried, transientCkan(options));
  } catch (reason) {
    throw stopped(reason, options.signal);
  }
}

function stopped(error: unknown, signal: AbortSignal | undefined): unknown {
  return signal?.aborted === true ? new AbortedError('The download was stopped') : error;
}
