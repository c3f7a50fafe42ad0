// Downloads one file the careful way: into `<name>.part`, resumed with `Range` after an
// interruption, checked against the advertised size and MD5, renamed only when complete.

import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { backoffDelay, classifyNetworkError } from '@geoworks/http-client';
import {
  DownloadCancelled,
  IntegrityError,
  ProviderError,
  redactUrl,
  StalledTransferError,
} from '../errors.js';
import type { HttpClient } from './client.js';
import { BackgroundHash } from './hash-pool.js';

/** One file of a scene, as a provider describes it. */
export interface RemoteFile {
  url: string;
  /** The final file name; when absent, Content-Disposition or the URL's last path part. */
  filename?: string;
  /** Stable name of the `.part` file when `filename` is unknown (so a rerun resumes it). */
  key: string;
  /** Bytes, when the provider says. */
  size?: number;
  /** Hex MD5, when the provider says. */
  md5?: string;
  headers?: Record<string, string>;
  /** Send the provider's credentials (default true; signed URLs need none). */
  auth?: boolean;
}

export interface FileProgress {
  /** Bytes of this file on disk so far (resumed bytes included). */
  bytes: number;
  /** Its size when known. */
  total: number | undefined;
}

export interface FetchFileOptions {
  outdir: string;
  /** Replace an existing complete file (default: keep it and skip the transfer). */
  overwrite?: boolean;
  signal?: AbortSignal;
  /** Abort a transfer that receives nothing for this long (default 60 s). */
  stallTimeoutMs?: number;
  /** Attempts, resumes included (default 6). */
  attempts?: number;
  onProgress?(progress: FileProgress): void;
}

export interface FetchedFile {
  path: string;
  bytes: number;
  /** The file existed complete and was kept. */
  skipped: boolean;
  /** Bytes already on disk in a `.part` file when this run started. */
  resumedFrom: number;
}

/** A file name safe to join to the output folder: no directories, no `..`, no control characters. */
export function safeFileName(name: string, fallback: string): string {
  const base = basename(name.replaceAll('\\', '/'))
    // Control characters and the characters Windows forbids in names.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f<>:"|?*]/g, '_')
    .trim();
  return base === '' || base === '.' || base === '..' ? fallback : base;
}

/** The filename of `Content-Disposition` (RFC 6266 `filename*` first). */
export function dispositionFileName(header: string | null): string | undefined {
  if (header === null) return undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended !== null) {
    try {
      return decodeURIComponent(extended[2]!.trim());
    } catch {
      // Fall back to the plain parameter.
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header);
  return plain === null ? undefined : (plain[2] ?? plain[1]!).trim();
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

async function hashFile(path: string, hash: BackgroundHash, length?: number): Promise<void> {
  const range = length === undefined ? {} : { start: 0, end: length - 1 };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, ...range }))
    await hash.update(chunk as Buffer);
}

/**
 * Fetches `file` into `options.outdir`. An existing file of the advertised size (or any size
 * when none is advertised) is kept unless `overwrite`. Network errors, stalls and dropped
 * connections resume from the `.part` file; a size or MD5 mismatch discards it and starts over
 * (once), then fails with IntegrityError. Cancelling leaves only the `.part` file.
 */
export async function fetchFile(
  client: HttpClient,
  sceneId: string,
  file: RemoteFile,
  options: FetchFileOptions,
): Promise<FetchedFile> {
  await mkdir(options.outdir, { recursive: true });
  const stallMs = options.stallTimeoutMs ?? 60_000;
  const attempts = options.attempts ?? 6;
  let finalName =
    file.filename === undefined
      ? undefined
      : safeFileName(file.filename, safeFileName(file.key, 'download'));
  if (finalName !== undefined) {
    const existing = await sizeOf(join(options.outdir, finalName));
    if (
      existing !== undefined &&
      options.overwrite !== true &&
      (file.size === undefined || existing === file.size)
    ) {
      return {
        path: join(options.outdir, finalName),
        bytes: existing,
        skipped: true,
        resumedFrom: 0,
      };
    }
  }
  const partPath = join(options.outdir, `${finalName ?? safeFileName(file.key, 'download')}.part`);
  const resumedFrom = (await sizeOf(partPath)) ?? 0;
  let restartedForIntegrity = false;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (options.signal?.aborted)
      throw new DownloadCancelled(undefined, { cause: options.signal.reason });
    let offset = (await sizeOf(partPath)) ?? 0;
    if (file.size !== undefined && offset > file.size) {
      await truncate(partPath, 0);
      offset = 0;
    }
    const stall = new AbortController();
    const signal =
      options.signal === undefined ? stall.signal : AbortSignal.any([options.signal, stall.signal]);
    try {
      const response = await client.fetch(file.url, {
        headers: { ...file.headers, ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) },
        auth: file.auth !== false,
        signal,
      });
      // The MD5 is computed as the bytes arrive (the resumed part first), not in a second pass.
      let hash: BackgroundHash | undefined;
      if (response.status === 416 && file.size !== undefined && offset === file.size) {
        await response.body?.cancel();
      } else {
        if (response.status !== 200 && response.status !== 206) {
          const text = await response.text();
          throw client.statusError(response, text, file.url);
        }
        if (response.status === 200 && offset > 0) {
          // The server ignored Range: start over rather than append the whole file again.
          offset = 0;
        }
        if (response.status === 206) {
          const start = /bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
          if (start === null || Number(start[1]) !== offset) {
            await response.body?.cancel();
            throw new ProviderError(
              client.provider,
              `the server resumed ${redactUrl(file.url)} at the wrong offset`,
              { url: redactUrl(file.url) },
            );
          }
        }
        finalName ??= safeFileName(
          dispositionFileName(response.headers.get('content-disposition')) ??
            basename(new URL(response.url || file.url).pathname),
          safeFileName(file.key, 'download'),
        );
        const length = Number(response.headers.get('content-length') ?? NaN);
        const total = file.size ?? (Number.isFinite(length) ? offset + length : undefined);
        if (file.md5 !== undefined) {
          hash = new BackgroundHash('md5');
          if (offset > 0) await hashFile(partPath, hash, offset);
        }
        try {
          await writeBody(
            response,
            partPath,
            offset,
            total,
            stall,
            stallMs,
            file.url,
            hash,
            options.onProgress,
          );
        } catch (error) {
          hash?.dispose();
          throw error;
        }
      }
      const written = (await sizeOf(partPath)) ?? 0;
      const problem = await integrityProblem(partPath, written, file, hash);
      if (problem !== undefined) {
        await rm(partPath, { force: true });
        if (!restartedForIntegrity) {
          restartedForIntegrity = true;
          lastError = new IntegrityError(sceneId, problem);
          continue;
        }
        throw new IntegrityError(sceneId, `${problem} (twice)`);
      }
      const path = join(options.outdir, finalName ?? safeFileName(file.key, 'download'));
      await rename(partPath, path);
      return { path, bytes: written, skipped: false, resumedFrom };
    } catch (error) {
      if (error instanceof IntegrityError) throw error;
      if (options.signal?.aborted)
        throw new DownloadCancelled(undefined, { cause: options.signal.reason });
      const stalled = stall.signal.aborted;
      const retryable =
        stalled ||
        classifyNetworkError(error) !== undefined ||
        (error as { name?: string }).name === 'AbortError' ||
        isBodyError(error);
      lastError = stalled ? new StalledTransferError(file.url, stallMs) : error;
      if (!retryable || attempt === attempts - 1) throw lastError;
      await client.sleep(backoffDelay(attempt, client.retry), options.signal);
    }
  }
  throw (
    lastError ?? new ProviderError(client.provider, `could not download ${redactUrl(file.url)}`)
  );
}

/** Bytes gathered before one write: one `writev` per megabyte, not one write per 64 KB chunk. */
const WRITE_BATCH_BYTES = 1 << 20;

/**
 * Appends the body to the part file, resetting the stall timer on every chunk. Chunks are
 * written in batches with one write in flight while the next batch fills: the file-system round
 * trips, not the network, were what limited a single Node transfer.
 */
async function writeBody(
  response: Response,
  partPath: string,
  offset: number,
  total: number | undefined,
  stall: AbortController,
  stallMs: number,
  url: string,
  hash: BackgroundHash | undefined,
  onProgress: FetchFileOptions['onProgress'],
): Promise<void> {
  const handle = await open(partPath, offset > 0 ? 'a' : 'w');
  const timer = setTimeout(() => stall.abort(new StalledTransferError(url, stallMs)), stallMs);
  let bytes = offset;
  let batch: Uint8Array[] = [];
  let batched = 0;
  let writing: Promise<unknown> = Promise.resolve();
  try {
    if (response.body === null) return;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      timer.refresh();
      bytes += chunk.byteLength;
      batch.push(chunk);
      batched += chunk.byteLength;
      if (batched >= WRITE_BATCH_BYTES) {
        await writing;
        writing = flush(handle, batch, batched, hash);
        batch = [];
        batched = 0;
      }
      onProgress?.({ bytes, total });
    }
  } finally {
    clearTimeout(timer);
    // What arrived is kept even when the transfer broke off: the next attempt resumes after it.
    await writing.catch(() => undefined);
    if (batch.length > 0) await flush(handle, batch, batched, hash);
    await handle.close();
  }
}

/**
 * Writes a batch: as it came (one `writev`) when nothing hashes it, else joined into one buffer
 * that is also the one message to the hashing worker.
 */
async function flush(
  handle: FileHandle,
  batch: Uint8Array[],
  bytes: number,
  hash: BackgroundHash | undefined,
): Promise<void> {
  if (hash === undefined) {
    await handle.writev(batch);
    return;
  }
  const buffer = Buffer.concat(batch, bytes);
  await hash.update(buffer);
  await handle.write(buffer);
}

/** Why the part file is not the advertised file, or undefined when it is (or nothing is known). */
async function integrityProblem(
  path: string,
  written: number,
  file: RemoteFile,
  computed: BackgroundHash | undefined,
): Promise<string | undefined> {
  if (file.size !== undefined && written !== file.size) {
    computed?.dispose();
    return `received ${written} bytes, the provider advertised ${file.size}`;
  }
  if (file.md5 !== undefined) {
    let hash = computed;
    if (hash === undefined) {
      hash = new BackgroundHash('md5');
      await hashFile(path, hash);
    }
    const actual = await hash.digest();
    if (actual.toLowerCase() !== file.md5.toLowerCase())
      return `MD5 ${actual} does not match the advertised ${file.md5}`;
  }
  return undefined;
}

/** Errors undici raises when a body stream ends early (terminated, socket closed). */
function isBodyError(error: unknown): boolean {
  const message = (error as Error)?.message ?? '';
  return /terminated|other side closed|socket|aborted/i.test(message);
}
