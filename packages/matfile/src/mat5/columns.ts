// A variable's values column by column: read in blocks of columns when stored raw, inflated as a
// stream when compressed, so a column is handed out before the rest is read.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createInflate } from 'node:zlib';
import { decode, decodeOwned, type StorageType } from '../decode.js';
import { MatrixFileError } from '../errors.js';
import { readFully } from '../shared.js';

/** Reads of whole blocks of uncompressed columns: fewer syscalls for short columns. */
const BLOCK_BYTES = 4 << 20;
const INFLATE_CHUNK = 256 << 10;

/** Where a readable variable's values (column-major) are. */
export type Location =
  | { kind: 'raw'; offset: number }
  | { kind: 'inline'; bytes: Uint8Array }
  /** `skip`: bytes of the inflated element before the values. */
  | { kind: 'compressed'; start: number; length: number; skip: number };

export async function* rawColumns(
  path: string,
  offset: number,
  rows: number,
  cols: number,
  storage: StorageType,
): AsyncGenerator<Float64Array> {
  const columnBytes = rows * storage.size;
  const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / columnBytes));
  const handle = await open(path, 'r');
  try {
    for (let c = 0; c < cols; c += perBlock) {
      const n = Math.min(perBlock, cols - c);
      const block = new Uint8Array(n * columnBytes);
      await readFully(handle, block, offset + c * columnBytes, path);
      if (n === 1) {
        yield decodeOwned(block, storage, rows);
      } else {
        for (let k = 0; k < n; k++) yield decode(block.subarray(k * columnBytes), storage, rows);
      }
    }
  } finally {
    await handle.close();
  }
}

export async function* inflatedColumns(
  path: string,
  location: Extract<Location, { kind: 'compressed' }>,
  rows: number,
  cols: number,
  storage: StorageType,
): AsyncGenerator<Float64Array> {
  const columnBytes = rows * storage.size;
  const elementOffset = location.start - 8;
  const source = createReadStream(path, {
    start: location.start,
    end: location.start + location.length - 1,
    highWaterMark: 1 << 20,
  });
  // pipeline forwards a read error to the inflate stream, whose iteration then throws it.
  const inflated = pipeline(source, createInflate({ chunkSize: INFLATE_CHUNK }), () => {});
  let skip = location.skip;
  let column = new Uint8Array(columnBytes);
  let filled = 0;
  let done = 0;
  try {
    for await (const chunk of inflated as AsyncIterable<Buffer>) {
      let at = Math.min(skip, chunk.length);
      skip -= at;
      while (at < chunk.length && done < cols) {
        const take = Math.min(columnBytes - filled, chunk.length - at);
        column.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === columnBytes) {
          // Each column is decoded from its own fresh buffer, which native doubles keep.
          const values = decodeOwned(column, storage, rows);
          column = new Uint8Array(columnBytes);
          filled = 0;
          done++;
          yield values;
        }
      }
      if (done === cols) break;
    }
  } catch (error) {
    if (error instanceof MatrixFileError) throw error;
    throw new MatrixFileError(
      path,
      `corrupt compressed data after column ${done}: ${(error as Error).message}`,
      {
        offset: elementOffset,
        cause: error,
      },
    );
  } finally {
    inflated.destroy();
  }
  if (done < cols) {
    throw new MatrixFileError(path, `compressed data ends after ${done} of ${cols} columns`, {
      offset: elementOffset,
    });
  }
}
