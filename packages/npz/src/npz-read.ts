import { crc32 } from 'node:zlib';
import { InvalidInputError, isGeoworksError, NotFoundError } from '@geoworks/errors';
import yauzl from 'yauzl';
import { setOwn } from './containers.js';
import { CorruptNpzError, inEntry, NpzTooLargeError } from './errors.js';
import { decodeNpy } from './npy.js';
import type { NpyArray, ReadNpzOptions } from './types.js';

const DEFAULT_MAX_UNCOMPRESSED_BYTES = 1024 ** 3;

/**
 * The arrays of an .npz archive (stored or deflated), keyed by entry name without `.npy`, as
 * numpy.load gives them. Refuses, with a CorruptNpzError, archives holding anything but
 * `*.npy` entries (directory entries are skipped), and with an NpzTooLargeError archives
 * that would unpack to more than `maxUncompressedBytes`.
 */
export async function readNpz(
  source: Uint8Array | string,
  options: ReadNpzOptions = {},
): Promise<Record<string, NpyArray>> {
  const limit = options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
  if (!(limit >= 0)) {
    throw new InvalidInputError(`maxUncompressedBytes must be a number of bytes, got ${limit}`, {
      code: 'INVALID_OPTION',
    });
  }
  const zip = await openZip(source);
  const arrays: Record<string, NpyArray> = {};
  const seen = new Set<string>();
  let total = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      if (name.endsWith('/') && entry.uncompressedSize === 0) continue;
      if (!name.endsWith('.npy')) {
        throw new CorruptNpzError(
          `The .npz entry ${JSON.stringify(name)} is not an .npy array; an .npz holds only those`,
          { entry: name },
        );
      }
      if (seen.has(name)) {
        throw new CorruptNpzError(`The .npz holds two entries named ${JSON.stringify(name)}`, {
          entry: name,
        });
      }
      seen.add(name);
      if (entry.isEncrypted() || !entry.canDecodeFileData()) {
        throw new CorruptNpzError(
          `The .npz entry ${name} is ${entry.isEncrypted() ? 'encrypted' : `compressed with method ${entry.compressionMethod}`}; ` +
            'only stored and deflated entries are read',
          { entry: name },
        );
      }
      // Sizes from the central directory are claims; yauzl checks the data against them
      // (validateEntrySizes), so summing claims bounds what is actually inflated.
      total += entry.uncompressedSize;
      if (total > limit) {
        throw new NpzTooLargeError(
          `The .npz unpacks to more than ${limit} bytes (at entry ${name}); ` +
            'raise maxUncompressedBytes to read it',
          { limit, entry: name },
        );
      }
      const bytes = await readEntry(zip, entry);
      try {
        setOwn(arrays, name.slice(0, -'.npy'.length), decodeNpy(bytes));
      } catch (error) {
        throw inEntry(error, name);
      }
    }
    return arrays;
  } catch (error) {
    throw asNpzError(error);
  } finally {
    zip.close();
  }
}

async function openZip(source: Uint8Array | string): Promise<yauzl.ZipFile> {
  const options = { lazyEntries: true, autoClose: false, validateEntrySizes: true };
  try {
    if (typeof source === 'string') return await yauzl.openPromise(source, options);
    if (source instanceof Uint8Array) {
      const buffer = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
      return await yauzl.fromBufferPromise(buffer, options);
    }
  } catch (error) {
    throw asNpzError(error);
  }
  throw new CorruptNpzError('readNpz needs the bytes of an .npz archive or a file path');
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const stream = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    length += chunk.length;
    // yauzl stops at the declared size too; this keeps the promise even if it did not.
    if (length > entry.uncompressedSize) {
      stream.destroy();
      throw new CorruptNpzError(`The .npz entry ${entry.fileName} is longer than it claims`);
    }
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks, length);
  // yauzl does not check CRCs; Python's zipfile does, and so do we, so a flipped bit in a
  // stored entry is an error instead of a wrong number.
  if (crc32(bytes) !== entry.crc32) {
    throw new CorruptNpzError(`The .npz entry ${entry.fileName} fails its CRC-32 check`, {
      entry: entry.fileName,
    });
  }
  return bytes;
}

/** yauzl's and zlib's complaints (a bad signature, invalid deflate data) as CorruptNpzError. */
function asNpzError(error: unknown): unknown {
  if (isGeoworksError(error) || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new NotFoundError(`No such .npz file: ${(error as NodeJS.ErrnoException).path}`, {
      code: 'NPZ_NOT_FOUND',
      cause: error,
    });
  }
  // Other system errors (EACCES, EISDIR, ...) are not about the archive's content.
  if (typeof code === 'string' && !code.startsWith('Z_')) return error;
  return new CorruptNpzError(`Not a readable .npz (zip) archive: ${error.message}`, {}, error);
}
