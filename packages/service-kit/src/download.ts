import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError } from '@geoworks/errors';
import type { Response } from 'express';

export interface DownloadOptions {
  /** The name the client saves it as (`Content-Disposition: attachment`); any path is dropped. */
  name: string;
  /** Default `application/octet-stream`. */
  type?: string;
  /** A file's byte ranges (206, 416 beyond its end), as download managers resume. Default true. */
  ranges?: boolean;
  /** Further headers of a successful answer (`Expires`, ...). */
  headers?: Record<string, string>;
}

/**
 * The answer to a Range no byte of the file falls in: 416 with `Content-Range: bytes *\/size`
 * (set on the response), as a status-carrying error the error handler keeps.
 */
export class RangeNotSatisfiableError extends Error {
  readonly status = 416;
  readonly expose = true;
  constructor(contentRange: string | undefined) {
    super(`Range not satisfiable${contentRange === undefined ? '' : ` (${contentRange})`}`);
    this.name = 'RangeNotSatisfiableError';
  }
}

/**
 * Sends a file to download: a path on disk (streamed, with `Content-Length`, HEAD without
 * the body, conditional GETs, and byte ranges unless `ranges: false`), bytes in memory (with
 * `Content-Length`), or a stream opened
 * only when a body is really sent (`() => Readable`, such as a zip built on the fly: no
 * length, no ranges). Either way the answer is an attachment named by `options.name`, with
 * `X-Content-Type-Options: nosniff`. A missing file is a `NotFoundError`; a range beyond the
 * end a `RangeNotSatisfiableError`. A client that goes away mid-download ends it quietly.
 */
export async function sendDownload(
  res: Response,
  source: string | Buffer | (() => Readable),
  options: DownloadOptions,
): Promise<void> {
  const headers = {
    'Content-Type': options.type ?? 'application/octet-stream',
    'Content-Disposition': attachment(options.name),
    'X-Content-Type-Options': 'nosniff',
    ...options.headers,
  };
  if (Buffer.isBuffer(source)) {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.setHeader('Content-Length', source.length);
    res.end(res.req.method === 'HEAD' ? undefined : source);
    return;
  }
  if (typeof source === 'function') {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (res.req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(source(), res).catch((error: unknown) => {
      // Started: nothing but the connection is left to tell the client (Express closes it).
      if (!res.headersSent) throw error;
      res.destroy();
    });
    return;
  }
  await new Promise<void>((resolve, reject) => {
    res.sendFile(
      source,
      {
        headers,
        acceptRanges: options.ranges ?? true,
        cacheControl: false,
        // The path is the service's own, not the client's: dotted folders on it are fine.
        dotfiles: 'allow',
      },
      (error?: Error & { code?: string; status?: number; headers?: Record<string, string> }) => {
        if (error === undefined || res.headersSent || error.code === 'ECONNABORTED') {
          resolve();
          return;
        }
        // Set for the file that is not sent: the error's answer is no attachment.
        for (const name of Object.keys(headers)) res.removeHeader(name);
        if (error.status === 404 || error.code === 'ENOENT' || error.code === 'EISDIR')
          reject(
            // Naming nothing: the file's name or path may be the server's business.
            new NotFoundError('Not Found', { code: 'NO_SUCH_FILE' }),
          );
        else if (error.status === 416) {
          const range = error.headers?.['Content-Range'];
          if (range !== undefined) res.setHeader('Content-Range', range);
          reject(new RangeNotSatisfiableError(range));
        } else reject(error);
      },
    );
  });
}

/**
 * `attachment; filename=name` (RFC 6266): bare when the name is a token, as clients that read
 * the header by hand expect; else quoted with an ASCII fallback and the exact name in
 * `filename*`. Paths and control characters never reach the header.
 */
export function attachment(name: string): string {
  const clean = name.replace(/[\p{Cc}]/gu, '').replace(/^.*[/\\]/, '') || 'download';
  if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(clean)) return `attachment; filename=${clean}`;
  const fallback = clean.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(clean).replace(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
