import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError } from '@geoworks/errors';
import { Agent, fetch, type Response } from 'undici';
import { checkLiteralHost, publicOnlyLookup } from './addresses.js';
import { backoffDelay } from './clock.js';
import {
  BadTaskParameterError,
  CkanError,
  DownloadTooLargeError,
  HostNotAllowedError,
  PrivateAddressError,
} from './errors.js';

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
export type AllowedHosts = readonly string[] | undefined;

/** True when `url`'s host is allowed by `allowedHosts`. */
export function hostAllowed(url: URL, allowedHosts: AllowedHosts): boolean {
  if (allowedHosts === undefined || allowedHosts.length === 0) return true;
  return matchingEntry(url, allowedHosts) !== undefined;
}

/** True when an entry other than `*` names `url`'s host: its addresses are the operator's choice. */
export function hostNamed(url: URL, allowedHosts: AllowedHosts): boolean {
  const entry = matchingEntry(url, allowedHosts ?? []);
  return entry !== undefined && entry !== '*';
}

/** The first allow-list entry that accepts `url`'s host, named entries before `*`. */
function matchingEntry(url: URL, allowedHosts: readonly string[]): string | undefined {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  let any: string | undefined;
  for (const raw of allowedHosts) {
    const entry = raw.trim().toLowerCase();
    if (entry === '*') {
      any = entry;
      continue;
    }
    const match = /^(.*?)(?::(\d+))?$/.exec(entry)!;
    const pattern = match[1]!.replace(/^\[|\]$/g, '');
    if (match[2] !== undefined && match[2] !== port) continue;
    if (pattern.startsWith('*.')) {
      if (host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1) return entry;
    } else if (host === pattern) {
      return entry;
    }
  }
  return any;
}

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
  /** Longest time for the answer's headers (and, with `readBody`, its body). */
  timeoutMs: number;
  allowedHosts: AllowedHosts;
  /** Let hosts not named in `allowedHosts` reach internal addresses (see `AllowedHosts`). */
  allowPrivateAddresses?: boolean;
  signal?: AbortSignal;
  /** Redirects followed, to the same host only. Default 5. */
  maxRedirects?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

let publicOnlyAgent: Agent | undefined;

/** Connections whose address is checked when connecting (see `publicOnlyLookup`); shared, so they are reused. */
function publicOnlyDispatcher(): Agent {
  publicOnlyAgent ??= new Agent({ connect: { lookup: publicOnlyLookup } });
  return publicOnlyAgent;
}

/**
 * One HTTP request that follows redirects only within the same host (scheme may go from
 * http to https), so a CKAN site cannot send us, with the user's API key, somewhere else.
 * Network failures become transient `CkanError`s; the caller's abort becomes `AbortedError`
 * and an expired `timeoutSignal` a `TimeoutError`.
 */
export async function requestSameHost(
  url: URL,
  options: RequestOptions,
  timeoutSignal: AbortSignal,
): Promise<Response> {
  const signal =
    options.signal === undefined ? timeoutSignal : AbortSignal.any([options.signal, timeoutSignal]);
  let current = url;
  let method = options.method ?? 'GET';
  let body = options.body;
  for (let redirects = 0; ; redirects++) {
    const what = redirects === 0 ? url.host : `Redirect from ${url.host}`;
    // Every hop is checked: its port may fall outside the named hosts.
    const guarded = publicOnly(current, options.allowedHosts, options.allowPrivateAddresses);
    if (guarded) checkLiteralHost(current, what);
    let response: Response;
    try {
      response = await fetch(current, {
        method,
        headers: options.headers ?? {},
        ...(body === undefined ? {} : { body }),
        redirect: 'manual',
        signal,
        ...(guarded ? { dispatcher: publicOnlyDispatcher() } : {}),
      });
    } catch (error) {
      throw fetchFailure(error, current, what, options.signal, timeoutSignal, options.timeoutMs);
    }
    if (!REDIRECT_STATUSES.has(response.status)) return response;
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (location === null) {
      throw new CkanError(`${current.host} answered ${response.status} without a Location`, {
        status: response.status,
        transient: false,
      });
    }
    if (redirects >= (options.maxRedirects ?? 5)) {
      throw new CkanError(`Too many redirects from ${url.host}`, { transient: false });
    }
    const next = new URL(location, current);
    if (
      next.hostname !== url.hostname ||
      (next.protocol !== 'http:' && next.protocol !== 'https:') ||
      !hostAllowed(next, options.allowedHosts)
    ) {
      throw new HostNotAllowedError(next.host, `Redirect from ${url.host}`);
    }
    if (
      response.status === 303 ||
      ((response.status === 301 || response.status === 302) && method === 'POST')
    ) {
      method = 'GET';
      body = undefined;
    }
    current = next;
  }
}

function fetchFailure(
  error: unknown,
  url: URL,
  what: string,
  callerSignal: AbortSignal | undefined,
  timeoutSignal: AbortSignal,
  timeoutMs: number,
): Error {
  if (callerSignal?.aborted) return new AbortedError('The download was stopped');
  const refused = (error as { cause?: unknown }).cause;
  if (refused instanceof PrivateAddressError) {
    return new PrivateAddressError(what, refused.host, refused.address, refused.range);
  }
  if (timeoutSignal.aborted) {
    return new CkanError(`${url.host} did not answer within ${timeoutMs} ms`, {
      transient: true,
    });
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  return new CkanError(
    `Could not reach ${url.host}: ${reason}`,
    { transient: true },
    { cause: error },
  );
}

/** Reads a whole answer as text, refusing one larger than `limitBytes`. */
export async function readText(
  response: Response,
  limitBytes: number,
  what: string,
  timeout: { signal: AbortSignal; ms: number; host: string },
): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limitBytes) {
    await response.body?.cancel();
    throw new DownloadTooLargeError(what, limitBytes);
  }
  if (response.body === null) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > limitBytes) {
        await response.body.cancel().catch(() => undefined);
        throw new DownloadTooLargeError(what, limitBytes);
      }
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  } catch (error) {
    if (error instanceof DownloadTooLargeError) throw error;
    if (timeout.signal.aborted) {
      throw new CkanError(`${timeout.host} did not finish its answer within ${timeout.ms} ms`, {
        transient: true,
      });
    }
    throw new CkanError(
      `${timeout.host} broke off its answer: ${(error as Error).message}`,
      { transient: true },
      { cause: error },
    );
  }
  return chunks.length === 1
    ? chunks[0]!.toString('utf8')
    : Buffer.concat(chunks, size).toString('utf8');
}

export interface RetryOptions {
  /** Further attempts after the first; default 3. */
  retries: number;
  /** Wait before the first retry, doubled for each next one (with jitter). Default 500 ms. */
  backoffMs: number;
  signal?: AbortSignal;
  onRetry?(error: CkanError, attempt: number, delayMs: number): void;
}

/** Runs `attempt` again after transient `CkanError`s, with exponential backoff. */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let tried = 0; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof CkanError) || !error.transient || tried >= options.retries)
        throw error;
      await backOff(error, tried, options);
    }
  }
}

/**
 * Waits before retry number `tried + 1`: `backoffMs` doubled per earlier retry, with +-25%
 * jitter so that many jobs hit by one outage do not all come back at the same instant.
 */
export async function backOff(
  error: CkanError,
  tried: number,
  options: Pick<RetryOptions, 'backoffMs' | 'signal' | 'onRetry'>,
): Promise<void> {
  if (options.signal?.aborted) throw new AbortedError('The download was stopped');
  const delayMs = backoffDelay(options.backoffMs, tried);
  options.onRetry?.(error, tried + 1, delayMs);
  try {
    await sleep(delayMs, undefined, options.signal === undefined ? {} : { signal: options.signal });
  } catch {
    throw new AbortedError('The download was stopped');
  }
}
