import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidInputError } from '@geoworks/errors';
import { ZipArchive } from 'archiver';
import { inEntry } from './errors.js';
import { encodeNpy } from './npy.js';
import type { NpyArray, WriteNpzOptions } from './types.js';

/**
 * Every entry is dated 1980-01-01 (the earliest date a zip can hold), so the same arrays
 * always make the same archive: responses can be cached and compared byte for byte.
 */
const ENTRY_DATE = new Date(Date.UTC(1980, 0, 1));

/** zlib's default level, which Python's zipfile (and so numpy.savez_compressed) uses. */
const DEFLATE_LEVEL = 6;

/** An .npz archive of the arrays, as numpy.savez (or savez_compressed) would write it. */
export async function writeNpz(
  entries: Record<string, NpyArray>,
  options: WriteNpzOptions = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await writeNpzStream(entries, collect, options);
  return Buffer.concat(chunks);
}

/**
 * Streams an .npz archive into `destination` (an HTTP response, a file) and ends it. Every
 * array is checked and encoded before the first byte is written, so an invalid one fails
 * the call with an InvalidInputError while the destination is still untouched (a server can
 * still answer 400).
 */
export async function writeNpzStream(
  entries: Record<string, NpyArray>,
  destination: NodeJS.WritableStream,
  options: WriteNpzOptions = {},
): Promise<void> {
  const files = encodeEntries(entries);
  const archive = new ZipArchive({
    store: !options.compress,
    zlib: { level: DEFLATE_LEVEL },
  });
  const piped = pipeline(archive, destination);
  for (const { name, bytes } of files) archive.append(bytes, { name, date: ENTRY_DATE });
  // If the destination fails, pipeline rejects (and destroys the archive, whose finalize
  // may then never settle): Promise.all rejects with the first failure, so nothing hangs.
  await Promise.all([piped, archive.finalize()]);
}

function encodeEntries(entries: Record<string, NpyArray>): { name: string; bytes: Buffer }[] {
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) {
    throw new InvalidInputError('The entries of an .npz must be an object of arrays by name', {
      code: 'INVALID_NPZ_ENTRIES',
    });
  }
  return Object.entries(entries).map(([key, array]) => {
    checkKey(key);
    try {
      return { name: `${key}.npy`, bytes: encodeNpy(array) };
    } catch (error) {
      throw inEntry(error, key);
    }
  });
}

/** Names a zip reader would refuse or could misplace (yauzl refuses the same ones). */
function checkKey(key: string): void {
  const problem =
    key === ''
      ? 'is empty'
      : key.includes('\0')
        ? 'contains a NUL character'
        : key.includes('\\')
          ? 'contains a backslash'
          : /^([a-zA-Z]:|\/)/.test(key)
            ? 'is an absolute path'
            : key.split('/').includes('..')
              ? 'has a ".." segment'
              : undefined;
  if (problem !== undefined) {
    throw new InvalidInputError(`The .npz entry name ${JSON.stringify(key)} ${problem}`, {
      code: 'INVALID_NPZ_KEY',
      details: { key },
    });
  }
}
