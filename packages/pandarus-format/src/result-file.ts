import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidInputError } from '@geoworks/errors';
import { bzip2 } from './bzip2.js';

export interface WriteResultOptions {
  /** Compress with bzip2 and append `.bz2` to the name, as pandarus does. */
  compress?: boolean;
}

/**
 * Writes a pandarus result file `{"data": [...rows], "metadata": {...}}`, streaming the rows,
 * to a temporary name that is renamed into place only once complete: a reader never sees a
 * half-written result. Returns the final path (with `.bz2` when compressed).
 */
export async function writeResultFile(
  path: string,
  rows: Iterable<unknown> | AsyncIterable<unknown>,
  metadata: Record<string, unknown>,
  options: WriteResultOptions = {},
): Promise<string> {
  const finalPath = options.compress ? `${path}.bz2` : path;
  const partial = join(
    dirname(finalPath),
    `.${basename(finalPath)}.${randomBytes(6).toString('hex')}.partial`,
  );
  // The folder is made when missing, as a caller naming an output folder expects.
  await mkdir(dirname(finalPath), { recursive: true });
  async function* text() {
    yield '{"data": [';
    let first = true;
    let batch = '';
    for await (const row of rows as AsyncIterable<unknown>) {
      batch += (first ? '' : ', ') + JSON.stringify(row);
      first = false;
      if (batch.length > 65536) {
        yield batch;
        batch = '';
      }
    }
    yield `${batch}], "metadata": ${JSON.stringify(metadata)}}`;
  }
  try {
    if (options.compress) {
      const compressor = bzip2('compress');
      await Promise.all([
        pipeline(text(), compressor.input),
        pipeline(compressor.output, createWriteStream(partial, { flags: 'wx' })),
        compressor.done,
      ]);
    } else {
      await pipeline(text(), createWriteStream(partial, { flags: 'wx' }));
    }
    await rename(partial, finalPath);
    return finalPath;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** Reads a JSON result file, bzip2-compressed when its name ends in `.bz2`. */
export async function readResultFile<T = unknown>(path: string): Promise<T> {
  const chunks: Buffer[] = [];
  if (path.endsWith('.bz2')) {
    const decompressor = bzip2('decompress');
    await Promise.all([
      pipeline(createReadStream(path), decompressor.input),
      (async () => {
        for await (const chunk of decompressor.output) chunks.push(chunk as Buffer);
      })(),
      decompressor.done,
    ]);
  } else {
    for await (const chunk of createReadStream(path)) chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
  } catch (error) {
    throw new InvalidInputError(
      `${basename(path)} is not valid JSON: ${(error as Error).message}`,
      {
        code: 'BAD_RESULT_FILE',
      },
    );
  }
}
