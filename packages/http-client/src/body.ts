import { UpstreamError } from '@geoworks/errors';
import { BodyTooLargeError } from './errors.js';

export interface ReadBodyOptions {
  /** The most bytes read. */
  maxBytes: number;
  /**
   * Keep the first `maxBytes` of a larger body instead of failing (an error page quoted in a
   * message). Default false: `BodyTooLargeError`.
   */
  truncate?: boolean;
}

/**
 * A whole body, refusing one over `maxBytes` with `BodyTooLargeError`: on its announced
 * `Content-Length` before reading anything, else once the bytes counted pass the limit. The
 * rest of a refused body is cancelled, so the connection is not left half-read.
 */
export async function readBytes(response: Response, options: ReadBodyOptions): Promise<Buffer> {
  const { maxBytes } = options;
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (options.truncate !== true && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(maxBytes);
  }
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > maxBytes) {
        await reader.cancel().catch(() => undefined);
        if (options.truncate !== true) throw new BodyTooLargeError(maxBytes);
        chunks.push(value.subarray(0, maxBytes - size));
        size = maxBytes;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, size);
}

/** A whole body as UTF-8 text, limited as `readBytes` says. */
export async function readText(response: Response, options: ReadBodyOptions): Promise<string> {
  return (await readBytes(response, options)).toString('utf8');
}

/**
 * A whole body parsed as JSON, limited as `readBytes` says; a body that is not JSON is an
 * `UpstreamError` quoting its start.
 */
export async function readJson<T = unknown>(
  response: Response,
  options: Omit<ReadBodyOptions, 'truncate'>,
): Promise<T> {
  const text = await readText(response, options);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UpstreamError(`The answer is not JSON: ${text.slice(0, 120)}`, {
      code: 'HTTP_BODY_NOT_JSON',
      cause: error,
    });
  }
}
