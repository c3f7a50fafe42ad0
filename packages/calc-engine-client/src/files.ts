import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Exchange } from './http.js';
import type { SavedFile, SaveOptions } from './types.js';

/**
 * Streams a response body to a file or a Writable, chunk by chunk with backpressure, so memory
 * stays flat whatever the size. A file is written beside its target under a temporary name and
 * renamed when complete; on failure nothing is left behind.
 */
export async function saveBody(
  exchange: Exchange,
  options: Pick<SaveOptions, 'to' | 'end'>,
  defaultName: string,
): Promise<SavedFile> {
  const { response } = exchange;
  const filename =
    filenameFromDisposition(response.headers.get('content-disposition')) ?? defaultName;
  const contentType = response.headers.get('content-type');
  let bytes = 0;
  const body = response.body;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (body === null) return;
    for await (const chunk of body) {
      exchange.touch();
      bytes += chunk.byteLength;
      yield chunk;
    }
  }

  if (typeof options.to !== 'string') {
    await pipeline(chunks(), options.to as Writable, { end: options.end ?? true });
    return { path: undefined, filename, bytes, contentType };
  }

  const target = await targetPath(options.to, filename);
  const partial = join(
    dirname(target),
    `.${basename(target)}.${randomBytes(4).toString('hex')}.part`,
  );
  try {
    await pipeline(chunks(), createWriteStream(partial));
    await rename(partial, target);
  } catch (error) {
    await unlink(partial).catch(() => {});
    throw error;
  }
  return { path: target, filename, bytes, contentType };
}

/** `to` itself, or `to/filename` when `to` is a directory (or ends with a separator). */
async function targetPath(to: string, filename: string): Promise<string> {
  if (to.endsWith('/') || to.endsWith(sep)) {
    await mkdir(to, { recursive: true });
    return join(to, filename);
  }
  const found = await stat(to).catch(() => undefined);
  return found?.isDirectory() === true ? join(to, filename) : to;
}

/**
 * The file name of a `Content-Disposition` header (`attachment; filename=output-3-hcurves.csv`,
 * quoted, or RFC 5987 `filename*=UTF-8''...`), reduced to a safe base name.
 */
export function filenameFromDisposition(header: string | null): string | undefined {
  if (header === null) return undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended?.[2] !== undefined) {
    try {
      const name = safeName(decodeURIComponent(extended[2].trim()));
      if (name !== undefined) return name;
    } catch {
      // badly encoded: try the plain parameter
    }
  }
  const quoted = /(?:^|;)\s*filename\s*=\s*"((?:\\.|[^"\\])*)"/i.exec(header);
  if (quoted?.[1] !== undefined) return safeName(quoted[1].replace(/\\(.)/g, '$1'));
  const token = /(?:^|;)\s*filename\s*=\s*([^;]+)/i.exec(header);
  if (token?.[1] !== undefined) return safeName(token[1].trim());
  return undefined;
}

function safeName(name: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const base = (name.split(/[/\\]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (base === '' || base === '.' || base === '..') return undefined;
  return base;
}
