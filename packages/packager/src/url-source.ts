import { Readable, Transform } from 'node:stream';
import { AbortedError } from '@geoworks/errors';
import { CkanError, DownloadTooLargeError } from './errors.js';
import { requestSameHost, withRetries, type AllowedHosts } from './http.js';

export interface UrlDownloadOptions {
  /** Longest wait for the answer's headers, and longest silence while the body streams. Default 30 s. */
  timeoutMs?: number;
  /** Largest file accepted. Default 4 GiB. */
  maxBytes?: number;
  /** Further attempts when the server cannot be reached or answers 5xx/429. Default 3. */
  retries?: number;
  retryBackoffMs?: number;
  allowedHosts?: AllowedHosts;
  /** Let hosts the allow-list does not name reach internal addresses (development). Default false. */
  allowPrivateAddresses?: boolean;
  /** A CKAN API key, sent as the raw `Authorization` header (private resources). */
  key?: string;
  signal?: AbortSignal;
  onRetry?(error: CkanError, attempt: number, delayMs: number): void;
}

export interface UrlDownload {
  /** The file's bytes; errors with `DownloadTooLargeError` or a `CkanError` (stalled, cut off). */
  stream: Readable;
  /** Size announced by the server, if any. */
  contentLength: number | undefined;
}

/**
 * Starts streaming a resource file. The body is never buffered: the caller pipes `stream`
 * into the zip. The limit is checked on the announced size and again on the bytes received.
 */
export async function openUrlDownload(
  url: URL,
  options: UrlDownloadOptions = {},
): Promise<UrlDownload> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBytes = options.maxBytes ?? 4 * 1024 ** 3;
  const headers: Record<string, string> = { accept: '*/*' };
  if (options.key !== undefined && options.key !== '') headers.authorization = options.key;
  // The caller's signal and our stall timer both stop the transfer.
  const transfer = new AbortController();
  const signal =
    options.signal === undefined
      ? transfer.signal
      : AbortSignal.any([options.signal, transfer.signal]);

  const response = await withRetries(
    async () => {
      // The timeout covers the wait for the headers only; the stall timer below takes over
      // for the body, which may rightly take hours.
      const answer = await requestSameHost(url, {
        method: 'GET',
        headers,
        timeoutMs,
        allowedHosts: options.allowedHosts,
        allowPrivateAddresses: options.allowPrivateAddresses ?? false,
        signal,
      });
      if (!answer.ok) {
        await answer.body?.cancel().catch(() => undefined);
        throw new CkanError(`${url.host} answered HTTP ${answer.status} for ${url.pathname}`, {
          status: answer.status,
          transient: answer.status >= 500 || answer.status === 429,
        });
      }
      return answer;
    },
    {
      retries: options.retries ?? 3,
      backoffMs: options.retryBackoffMs ?? 500,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
    },
  );
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new DownloadTooLargeError(`The file at ${url.host}${url.pathname}`, maxBytes);
  }
  const body =
    response.body === null ? Readable.from([]) : Readable.fromWeb(response.body as never);
  let received = 0;
  let stalled: NodeJS.Timeout | undefined;
  let stalledOut = false;
  const armStallTimer = () => {
    clearTimeout(stalled);
    stalled = setTimeout(() => {
      stalledOut = true;
      transfer.abort();
    }, timeoutMs);
  };
  armStallTimer();
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > maxBytes) {
        transfer.abort();
        callback(new DownloadTooLargeError(`The file at ${url.host}${url.pathname}`, maxBytes));
        return;
      }
      armStallTimer();
      callback(null, chunk);
    },
    flush(callback) {
      clearTimeout(stalled);
      callback();
    },
  });
  body.on('error', (error) => {
    clearTimeout(stalled);
    const reason = stalledOut
      ? new CkanError(`${url.host} sent nothing for ${timeoutMs} ms`, { transient: true })
      : options.signal?.aborted
        ? new AbortedError('The download was stopped')
        : received > maxBytes
          ? undefined
          : new CkanError(
              `${url.host} broke off the file: ${error.message}`,
              { transient: true },
              { cause: error },
            );
    if (reason !== undefined) limiter.destroy(reason);
  });
  limiter.on('close', () => clearTimeout(stalled));
  body.pipe(limiter);
  return { stream: limiter, contentLength: Number.isFinite(declared) ? declared : undefined };
}

/**
 * The zip entry name for a URL package: the URL's last path segment without its query, or the
 * resource id when that is empty. Anything but letters, digits, `.`, `_` and `-` becomes `_`
 * and leading dots go, so the name can never climb out of a folder when the zip is unpacked.
 */
export function urlFileName(url: URL, resourceId: string): string {
  const segment = url.pathname.split('/').pop() ?? '';
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // Keep the raw segment; the cleaning below makes it safe anyway.
  }
  return entryName(decoded) ?? entryName(resourceId) ?? 'resource';
}

function entryName(raw: string): string | undefined {
  const cleaned = raw
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .replace(/^\.+/, '')
    .slice(0, 120);
  return cleaned === '' ? undefined : cleaned;
}
