import {
  AbortedError,
  ForbiddenError,
  isGeoworksError,
  TimeoutError,
  TooLargeError,
  UnavailableError,
  UpstreamError,
} from '@geoworks/errors';

/** What kind of network failure ended a request before (or while) its answer came. */
export type NetworkFailureKind =
  'refused' | 'reset' | 'dns' | 'timeout' | 'unreachable' | 'tls' | 'other';

export interface NetworkFailure {
  kind: NetworkFailureKind;
  /** The system or undici code found in the error or its causes (`ECONNREFUSED`, ...). */
  code: string | undefined;
  /** Whether the same request may succeed a moment later. */
  retryable: boolean;
}

const KINDS: Record<string, NetworkFailureKind> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  ECONNABORTED: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENETDOWN: 'unreachable',
};

// Certificate and handshake failures: the same request meets the same certificate again.
const TLS_CODE =
  /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_)/;

/**
 * The network failure `error` stands for, or undefined when it is something else (a status is
 * not a network failure, nor an abort, nor one of our typed errors). Looks through the causes:
 * fetch rejects with `TypeError: fetch failed` and a body that breaks off with
 * `TypeError: terminated`, the system error being their cause.
 */
export function classifyNetworkError(error: unknown): NetworkFailure | undefined {
  if (isGeoworksError(error)) return undefined;
  const seen = new Set<unknown>();
  for (let current: unknown = error; isObject(current) && !seen.has(current);) {
    seen.add(current);
    const code = typeof current.code === 'string' ? current.code : undefined;
    if (code !== undefined) {
      const kind = KINDS[code];
      if (kind !== undefined) return { kind, code, retryable: true };
      if (TLS_CODE.test(code)) return { kind: 'tls', code, retryable: false };
      if (code.startsWith('UND_ERR_')) return { kind: 'other', code, retryable: true };
    }
    if (current.name === 'SocketError') return { kind: 'reset', code, retryable: true };
    current = current.cause;
  }
  if (error instanceof TypeError && /^(fetch failed|terminated)$/.test(error.message)) {
    return { kind: 'other', code: undefined, retryable: true };
  }
  return undefined;
}

function isObject(
  value: unknown,
): value is { code?: unknown; name?: unknown; cause?: unknown; message?: unknown } {
  return typeof value === 'object' && value !== null;
}

/** An error and its causes in one line, with their codes: `fetch failed: connect ECONNREFUSED ... (ECONNREFUSED)`. */
export function describeChain(error: unknown): string {
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

/** A URL for messages: no query string, which may carry credentials (signed URLs). */
export function displayUrl(url: URL | string): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return `${parsed.origin}${parsed.pathname}`;
}

interface Facts {
  method: string;
  url: URL;
}

/** No (complete) answer: refused, reset, DNS, unreachable, a TLS failure. */
export class NetworkError extends UnavailableError {
  /** What failed (the error's `kind`, from `@geoworks/errors`, is `unavailable`). */
  readonly failure: NetworkFailureKind;
  readonly systemCode: string | undefined;
  readonly retryable: boolean;
  readonly method: string;
  readonly url: URL;
  /** The answer's headers had come: the body broke off. */
  readonly afterHeaders: boolean;
  /** The failure and its causes in one line (see `describeChain`). */
  readonly reason: string;

  constructor(failure: NetworkFailure, facts: Facts & { afterHeaders: boolean }, cause: unknown) {
    const reason = describeChain(cause);
    super(`${facts.method} ${displayUrl(facts.url)} failed: ${reason}`, {
      code: 'HTTP_NETWORK_ERROR',
      cause,
      details: { kind: failure.kind, systemCode: failure.code, url: displayUrl(facts.url) },
    });
    this.failure = failure.kind;
    this.systemCode = failure.code;
    this.retryable = failure.retryable;
    this.method = facts.method;
    this.url = facts.url;
    this.afterHeaders = facts.afterHeaders;
    this.reason = reason;
  }
}

/** An attempt's timer ran out: no answer (or, for a body read with `touch`, no data) in time. */
export class HttpTimeoutError extends TimeoutError {
  readonly timeoutMs: number;
  readonly method: string;
  readonly url: URL;

  constructor(timeoutMs: number, facts: Facts) {
    super(`No answer within ${timeoutMs} ms (${facts.method} ${displayUrl(facts.url)})`, {
      code: 'HTTP_TIMEOUT',
      details: { timeoutMs, url: displayUrl(facts.url) },
    });
    this.timeoutMs = timeoutMs;
    this.method = facts.method;
    this.url = facts.url;
  }
}

/** The caller's signal aborted the request (or the wait before its next attempt). */
export function abortedError(facts: Facts, signal: AbortSignal | undefined): AbortedError {
  return new AbortedError(`${facts.method} ${displayUrl(facts.url)} was aborted`, {
    code: 'HTTP_ABORTED',
    cause: signal?.reason,
  });
}

/** A redirect the request may not follow: too many, or one its redirect policy refuses. */
export class RedirectError extends UpstreamError {
  readonly reason: 'too-many' | 'refused';
  /** The URL that answered with the redirect. */
  readonly from: URL;
  /** Where it pointed (too many: the next hop not taken). */
  readonly to: URL;

  constructor(reason: 'too-many' | 'refused', from: URL, to: URL) {
    super(
      reason === 'too-many'
        ? `Too many redirects, the last from ${from.host}`
        : `Redirect from ${from.host} to ${to.host} refused`,
      { code: 'HTTP_REDIRECT_REFUSED', details: { reason, from: from.host, to: to.host } },
    );
    this.reason = reason;
    this.from = from;
    this.to = to;
  }
}

/** A URL (the first or a redirect's) whose host is not in the request's `allowedHosts`. */
export class HostRefusedError extends ForbiddenError {
  readonly url: URL;
  /** 0 for the URL asked for, n for the n-th redirect. */
  readonly hop: number;

  constructor(url: URL, hop: number) {
    super(`Host "${url.host}" is not in the allowed hosts`, {
      code: 'HTTP_HOST_REFUSED',
      details: { host: url.host, hop },
    });
    this.url = url;
    this.hop = hop;
  }
}

/** A host that is, or resolves to, an address the request's `addresses` policy refuses. */
export class AddressRefusedError extends ForbiddenError {
  readonly host: string;
  readonly address: string;
  /** Why, as the policy said (`a loopback address`). */
  readonly range: string;
  readonly url: URL | undefined;
  readonly hop: number;

  constructor(refusal: { host: string; address: string; range: string }, url?: URL, hop = 0) {
    const literal = refusal.host.replace(/^\[|\]$/g, '') === refusal.address;
    super(
      `Host "${refusal.host}" ${literal ? 'is' : `resolves to ${refusal.address},`} ${refusal.range}`,
      { code: 'HTTP_ADDRESS_REFUSED', details: { ...refusal, hop } },
    );
    this.host = refusal.host;
    this.address = refusal.address;
    this.range = refusal.range;
    this.url = url;
    this.hop = hop;
  }
}

/** A body larger than the reader's `maxBytes`, announced or counted. */
export class BodyTooLargeError extends TooLargeError {
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    super(`The answer is larger than the limit of ${limitBytes} bytes`, {
      code: 'HTTP_BODY_TOO_LARGE',
      details: { limitBytes },
    });
    this.limitBytes = limitBytes;
  }
}
