import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortedError,
  GeoworksError,
  InvalidInputError,
  RequestTimeoutError,
  TooLargeError,
  UnavailableError,
  UnsupportedMediaTypeError,
} from '@geoworks/errors';
import busboy from 'busboy';
import type { RequestHandler } from 'express';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './http-limits.js';
import { markRequestError } from './request-errors.js';
import { safeFileName } from './safe-filename.js';

export interface ReceiveUploadsOptions {
  /** Directory the files are written to; created when missing. */
  dir: string;
  /** Largest file accepted, in bytes; a larger one fails the request with a `TooLargeError`. */
  maxFileBytes: number;
  /** Default 10. */
  maxFiles?: number;
  /** Default 100. */
  maxFields?: number;
  /** Largest non-file field value, in bytes. Default 64 KiB. */
  maxFieldBytes?: number;
  /** Accepted endings such as `['.shp', '.tar.gz']`, without regard to case. Default: any. */
  allowedExtensions?: readonly string[];
  /**
   * Bytes per second the body must bring over each `rateWindowMs`, else the upload is cut with
   * a `RequestTimeoutError` (408, connection closed). Default: the app's `uploadLimits`
   * (`createApp`), else 1 KiB/s; 0: no minimum.
   */
  minBytesPerSecond?: number;
  /** Default: the app's `uploadLimits`, else 30 s. */
  rateWindowMs?: number;
}

export interface UploadedFile {
  /** The form field the file came in. */
  field: string;
  /** The name the client sent, untrusted: show it, never build a path from it. */
  originalName: string;
  /** The name on disk: a random prefix and the sanitised original name. */
  storedName: string;
  /** Absolute path of the stored file. */
  path: string;
  size: number;
  /** The type the client declared, untrusted. */
  mimeType: string;
  /** SHA-256 of the content, lower-case hex, computed while it streamed to disk. */
  sha256: string;
}

export interface Uploads {
  /** Non-file fields; a name given twice is refused, so each has one value. */
  fields: Record<string, string>;
  /** In the order they appeared in the body. */
  files: UploadedFile[];
}

interface Limits {
  dir: string;
  maxFileBytes: number;
  maxFiles: number;
  maxFields: number;
  maxFieldBytes: number;
  allowedExtensions: readonly string[] | undefined;
  minBytesPerSecond: number;
  rateWindowMs: number;
}

/** One app's upload limits and how many of its uploads are being received. */
interface UploadGate {
  limits: UploadLimits;
  active: number;
}

/** The gate of the app each request came to (set by `uploadLimits`). */
const gates = new WeakMap<IncomingMessage, UploadGate>();

/** How long a client refused for too many uploads is told to wait. */
const RETRY_AFTER_SECONDS = 5;

/**
 * Middleware giving every `receiveUploads` call of the requests it sees one set of limits and
 * one count of uploads at once; `createApp` installs it, so each app has its own.
 */
export function uploadLimits(limits: Partial<UploadLimits> = {}): RequestHandler {
  const gate: UploadGate = { limits: { ...DEFAULT_UPLOAD_LIMITS, ...limits }, active: 0 };
  return (req, _res, next) => {
    gates.set(req, gate);
    next();
  };
}

/**
 * Streams a `multipart/form-data` request to files in `options.dir`, hashing as it goes, with
 * backpressure, so memory use does not grow with file size. On any failure (a limit, a bad
 * body, a disconnected client) every file of this request is deleted before the promise
 * rejects. Once it resolves, the files are the caller's to keep or delete.
 */
export async function receiveUploads(
  req: IncomingMessage,
  options: ReceiveUploadsOptions,
): Promise<Uploads> {
  try {
    return await receiveGated(req, options);
  } catch (error) {
    // What the client sent (or how) is refused; the service's own mistakes stay internal.
    if (error instanceof GeoworksError && error.kind !== 'internal') markRequestError(error);
    throw error;
  }
}

async function receiveGated(
  req: IncomingMessage,
  options: ReceiveUploadsOptions,
): Promise<Uploads> {
  const gate = gates.get(req);
  const limits = checkOptions(options, gate?.limits ?? DEFAULT_UPLOAD_LIMITS);
  if (gate !== undefined && gate.active >= gate.limits.maxConcurrentUploads) {
    // The body is read and dropped (so the answer reaches the client), no slower than allowed.
    req.resume();
    watchBodyRate(req, limits, () => req.destroy());
    throw new UnavailableError(
      `Too many uploads at once (at most ${gate.limits.maxConcurrentUploads}); try again in a few seconds`,
      {
        code: 'TOO_MANY_UPLOADS',
        details: {
          limit: gate.limits.maxConcurrentUploads,
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        },
      },
    );
  }
  if (gate !== undefined) gate.active++;
  try {
    return await receiveChecked(req, limits);
  } finally {
    if (gate !== undefined) gate.active--;
  }
}

async function receiveChecked(req: IncomingMessage, limits: Limits): Promise<Uploads> {
  const contentType = req.headers['content-type'];
  if (contentType === undefined || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError(
      `Expected a multipart/form-data body, got ${contentType === undefined ? 'no Content-Type' : `"${contentType}"`}`,
      { code: 'NOT_MULTIPART' },
    );
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: {
        // busboy flags a value (and a part count) that reaches its limit, so each gets one more.
        fileSize: limits.maxFileBytes + 1,
        fieldSize: limits.maxFieldBytes + 1,
        files: limits.maxFiles,
        fields: limits.maxFields,
        parts: limits.maxFiles + limits.maxFields + 1,
      },
    });
  } catch (error) {
    throw new InvalidInputError(`Malformed multipart request: ${(error as Error).message}`, {
      code: 'MALFORMED_MULTIPART',
      cause: error,
    });
  }
  await mkdir(limits.dir, { recursive: true });
  // Checked after the await, just before listening: a body that can no longer end would hang.
  // A body read to its end is destroyed too, so `readableEnded` is the first question.
  if (req.readableEnded) {
    throw new GeoworksError('internal', 'receiveUploads: the request body was already read', {
      code: 'BODY_ALREADY_READ',
    });
  }
  if (req.destroyed) {
    throw new AbortedError('The client disconnected before the upload', {
      code: 'CLIENT_DISCONNECTED',
    });
  }
  return receive(req, parser, limits);
}

function receive(req: IncomingMessage, parser: busboy.Busboy, limits: Limits): Promise<Uploads> {
  return new Promise<Uploads>((resolvePromise, reject) => {
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    // One slot per file in body order, filled when the file is safely on disk.
    const files: (UploadedFile | undefined)[] = [];
    const sources = new Set<Readable>();
    const writes: Promise<void>[] = [];
    const created: string[] = [];
    let settled = false;

    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      // Not now: busboy calls us mid-parse and touches its state after our handler returns.
      process.nextTick(() => {
        req.unpipe(parser);
        parser.destroy();
        for (const source of sources) source.destroy();
        // Read and drop the rest of the body, so the error response can still reach the client.
        req.resume();
        // Delete only once every file is closed: a file still opening would come back otherwise.
        void Promise.allSettled(writes)
          .then(() => Promise.allSettled(created.map((path) => rm(path, { force: true }))))
          .then(() => reject(error));
      });
    };

    /** Drains a file we will not store; busboy may still destroy it with an error. */
    const skip = (stream: Readable) => {
      stream.on('error', () => undefined);
      stream.resume();
    };

    parser.on('file', (field, stream, info) => {
      if (settled) {
        skip(stream);
        return;
      }
      const originalName = info.filename ?? '';
      const safeName = safeFileName(originalName);
      if (!extensionAllowed(safeName, limits.allowedExtensions)) {
        skip(stream);
        fail(
          new InvalidInputError(
            `File "${safeName}" is not accepted; allowed extensions: ${limits.allowedExtensions?.join(', ')}`,
            {
              code: 'EXTENSION_NOT_ALLOWED',
              details: { field, allowed: limits.allowedExtensions },
            },
          ),
        );
        return;
      }
      const storedName = `${randomBytes(8).toString('hex')}-${safeName}`;
      const path = join(limits.dir, storedName);
      const index = files.push(undefined) - 1;
      stream.on('limit', () =>
        fail(
          new TooLargeError(
            `File "${safeName}" is larger than the limit of ${limits.maxFileBytes} bytes`,
            { code: 'FILE_TOO_LARGE', details: { field, limit: limits.maxFileBytes } },
          ),
        ),
      );
      sources.add(stream);
      created.push(path);
      // `wx`: fail rather than overwrite, whatever happens to be in the directory.
      const out = createWriteStream(path, { flags: 'wx' });
      const closed = new Promise<void>((resolveClose) => out.once('close', resolveClose));
      const hash = createHash('sha256');
      let size = 0;
      const write = pipeline(
        stream,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        out,
      ).then(
        () => {
          sources.delete(stream);
          files[index] = {
            field,
            originalName,
            storedName,
            path,
            size,
            mimeType: info.mimeType,
            sha256: hash.digest('hex'),
          };
        },
        (error: unknown) => fail(error),
      );
      writes.push(write.then(() => closed));
    });

    parser.on('field', (name, value, info) => {
      if (settled) return;
      if (info.valueTruncated) {
        fail(
          new TooLargeError(`Field "${name}" is longer than ${limits.maxFieldBytes} bytes`, {
            code: 'FIELD_TOO_LARGE',
            details: { field: name, limit: limits.maxFieldBytes },
          }),
        );
      } else if (name in fields) {
        fail(
          new InvalidInputError(`Field "${name}" is given more than once`, {
            code: 'DUPLICATE_FIELD',
            details: { field: name },
          }),
        );
      } else {
        fields[name] = value;
      }
    });

    const tooMany = (what: string, limit: number) => () =>
      fail(
        new InvalidInputError(`Too many ${what}: at most ${limit} are accepted`, {
          code: `TOO_MANY_${what.toUpperCase()}`,
          details: { limit },
        }),
      );
    parser.on('filesLimit', tooMany('files', limits.maxFiles));
    parser.on('fieldsLimit', tooMany('fields', limits.maxFields));
    // Parts that are neither files nor fields (no Content-Disposition) count here only.
    parser.on('partsLimit', tooMany('parts', limits.maxFiles + limits.maxFields));

    parser.on('error', (error) =>
      fail(
        new InvalidInputError(`Malformed multipart body: ${(error as Error).message}`, {
          code: 'MALFORMED_MULTIPART',
          cause: error,
        }),
      ),
    );

    // The whole body is parsed; the files may still be flushing to disk.
    parser.on('close', () => {
      void Promise.all(writes).then(() => {
        if (settled) return;
        settled = true;
        resolvePromise({ fields, files: files.filter((file) => file !== undefined) });
      });
    });

    const disconnected = (cause?: unknown) => {
      if (!req.complete) {
        fail(
          new AbortedError('The client disconnected during the upload', {
            code: 'CLIENT_DISCONNECTED',
            cause,
          }),
        );
      }
    };
    req.on('error', disconnected);
    req.on('close', () => disconnected());

    // A body trickling in is cut; once refused for another reason, its rest is still read
    // (and dropped) no slower than allowed, then the connection goes.
    watchBodyRate(req, limits, () => {
      if (!settled) {
        fail(
          new RequestTimeoutError(
            `The upload was cut: it sent less than ${limits.minBytesPerSecond} bytes per second over ${limits.rateWindowMs} ms`,
            {
              code: 'UPLOAD_TOO_SLOW',
              details: {
                minBytesPerSecond: limits.minBytesPerSecond,
                windowMs: limits.rateWindowMs,
              },
            },
          ),
        );
      } else {
        req.destroy();
      }
    });

    req.pipe(parser);
  });
}

/**
 * Calls `tooSlow` once if the body of `req` brings fewer than `minBytesPerSecond` over a whole
 * window; stops watching when the body has ended or the request is closed.
 */
function watchBodyRate(
  req: IncomingMessage,
  limits: Pick<Limits, 'minBytesPerSecond' | 'rateWindowMs'>,
  tooSlow: () => void,
): void {
  if (limits.minBytesPerSecond === 0 || req.readableEnded) return;
  const minBytes = (limits.minBytesPerSecond * limits.rateWindowMs) / 1000;
  let received = 0;
  const count = (chunk: Buffer) => {
    received += chunk.length;
  };
  const timer = setInterval(() => {
    if (received < minBytes) {
      stop();
      tooSlow();
    }
    received = 0;
  }, limits.rateWindowMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    req.off('data', count);
  };
  req.on('data', count);
  req.once('end', stop);
  req.once('close', stop);
}

function extensionAllowed(name: string, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined) return true;
  const lower = name.toLowerCase();
  return allowed.some((extension) => lower.endsWith(extension));
}

/** Option mistakes are the service's bug, not the client's: they surface as a 500. */
function checkOptions(options: ReceiveUploadsOptions, app: UploadLimits): Limits {
  const limits = {
    dir: options.dir,
    maxFileBytes: options.maxFileBytes,
    maxFiles: options.maxFiles ?? 10,
    maxFields: options.maxFields ?? 100,
    maxFieldBytes: options.maxFieldBytes ?? 64 * 1024,
    minBytesPerSecond: options.minBytesPerSecond ?? app.minBytesPerSecond,
    rateWindowMs: options.rateWindowMs ?? app.rateWindowMs,
  };
  const problems: string[] = [];
  if (typeof limits.dir !== 'string' || limits.dir === '') problems.push('dir must be a path');
  for (const [name, value] of Object.entries(limits)) {
    if (name !== 'dir' && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
      problems.push(`${name} must be an integer >= 0`);
    }
  }
  if (limits.rateWindowMs === 0) problems.push('rateWindowMs must be at least 1');
  const allowedExtensions = options.allowedExtensions?.map((extension) => {
    const lower = extension.toLowerCase();
    if (!/^\.?[\p{L}\p{N}._-]+$/u.test(lower)) problems.push(`bad extension "${extension}"`);
    return lower.startsWith('.') ? lower : `.${lower}`;
  });
  if (problems.length > 0) {
    throw new GeoworksError('internal', `receiveUploads: ${problems.join('; ')}`, {
      code: 'BAD_UPLOAD_OPTIONS',
    });
  }
  return { ...limits, dir: resolve(limits.dir), allowedExtensions };
}
