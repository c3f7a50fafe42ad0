import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yauzl from 'yauzl';
import { JobConfigError } from './errors.js';
import { shortName, systemErrorText } from './public-text.js';

export interface ArchiveLimits {
  /** Most entries accepted. */
  maxEntries: number;
  /** Most bytes the entries may expand to, in all. */
  maxTotalBytes: number;
  /** Highest expansion ratio of one entry (a zip bomb compresses far better than data). */
  maxRatio: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  maxEntries: 10_000,
  maxTotalBytes: 4 * 1024 ** 3,
  maxRatio: 1000,
};

/**
 * Extracts a job.zip into `destination`, refusing anything that would write outside it
 * (absolute names, `..`), links and devices, and zip bombs (too many entries, too many bytes,
 * absurd compression ratios, measured as the data is actually inflated, not trusted from the
 * headers). `__MACOSX` folders are skipped. Returns the relative paths written.
 */
export async function extractArchive(
  archive: string,
  destination: string,
  limits: ArchiveLimits = DEFAULT_LIMITS,
): Promise<string[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(
        archive,
        { lazyEntries: true, autoClose: true, strictFileNames: false, validateEntrySizes: true },
        (error, file) => (error ? reject(error) : resolve(file)),
      ),
    );
  } catch (error) {
    throw new JobConfigError(
      `The archive is not a valid zip file: ${systemErrorText(error) ?? (error as Error).message}`,
      'BAD_ARCHIVE',
    );
  }
  const written: string[] = [];
  let total = 0;
  let count = 0;
  // The zip's own directory says how many entries follow: refuse before writing any of them.
  // It may lie, so entries are counted again as they come.
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw tooManyEntries(limits);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          count++;
          if (count > limits.maxEntries) throw tooManyEntries(limits);
          const name = entry.fileName.replaceAll('\\', '/');
          if (name.startsWith('__MACOSX/') || name.endsWith('/')) {
            zip.readEntry();
            return;
          }
          const target = safeTarget(destination, name);
          const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
          if (mode !== 0 && mode !== 0o100000) {
            throw new JobConfigError(
              `The archive entry ${name} is a link or a special file`,
              'BAD_ARCHIVE',
            );
          }
          if (
            entry.compressedSize > 0 &&
            entry.uncompressedSize / entry.compressedSize > limits.maxRatio
          ) {
            throw new JobConfigError(
              `The archive entry ${name} expands too much (a zip bomb?)`,
              'BAD_ARCHIVE',
            );
          }
          await mkdir(dirname(target), { recursive: true });
          const stream = await new Promise<NodeJS.ReadableStream>((res, rej) =>
            zip.openReadStream(entry, (error, readable) => (error ? rej(error) : res(readable))),
          );
          let entryBytes = 0;
          const meter = new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              entryBytes += chunk.length;
              total += chunk.length;
              if (total > limits.maxTotalBytes) {
                callback(
                  new JobConfigError(
                    `The archive expands to more than ${limits.maxTotalBytes} bytes`,
                    'BAD_ARCHIVE',
                  ),
                );
                return;
              }
              if (
                entry.compressedSize > 0 &&
                entryBytes / entry.compressedSize > limits.maxRatio &&
                entryBytes > 1024 * 1024
              ) {
                callback(
                  new JobConfigError(
                    `The archive entry ${name} expands too much (a zip bomb?)`,
                    'BAD_ARCHIVE',
                  ),
                );
                return;
              }
              callback(null, chunk);
            },
          });
          try {
            await pipeline(stream, meter, createWriteStream(target, { flags: 'wx' }));
          } catch (error) {
            // Named by the entry: the system's message would show the server path written to.
            const problem =
              (error as NodeJS.ErrnoException).code === 'EEXIST' ? null : systemErrorText(error);
            if (problem === null) throw error;
            throw new JobConfigError(
              `The archive entry ${shortName(name)} cannot be extracted: ${problem}`,
              'BAD_ARCHIVE',
            );
          }
          written.push(name);
          zip.readEntry();
        })().catch((error: unknown) => {
          zip.close();
          reject(error);
        });
      });
      zip.readEntry();
    });
  } catch (error) {
    if (error instanceof JobConfigError) throw error;
    const message = (error as Error).message;
    // yauzl checks names itself and stops at the first one that leaves the folder.
    const unsafe = /^(invalid relative path|absolute path): (.*)$/.exec(message);
    if (unsafe !== null) {
      throw new JobConfigError(
        `The archive entry ${JSON.stringify(unsafe[2])} points outside the job folder`,
        'BAD_ARCHIVE',
      );
    }
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new JobConfigError('The archive names the same file twice', 'BAD_ARCHIVE');
    }
    throw new JobConfigError(
      `The archive could not be read: ${systemErrorText(error) ?? message}`,
      'BAD_ARCHIVE',
    );
  }
  return written;
}

function tooManyEntries(limits: ArchiveLimits): JobConfigError {
  return new JobConfigError(
    `The archive has more than ${limits.maxEntries} entries`,
    'BAD_ARCHIVE',
  );
}

/** The path an entry name maps to inside `destination`, or an error if it would leave it. */
export function safeTarget(destination: string, name: string): string {
  if (name.includes('\0') || isAbsolute(name) || /^[A-Za-z]:/.test(name)) {
    throw new JobConfigError(
      `The archive entry ${JSON.stringify(name)} has an absolute path`,
      'BAD_ARCHIVE',
    );
  }
  const normalized = normalize(name);
  if (
    normalized === '..' ||
    normalized.startsWith(`..${sep}`) ||
    normalized.split(sep).includes('..')
  ) {
    throw new JobConfigError(
      `The archive entry ${JSON.stringify(name)} points outside the job folder`,
      'BAD_ARCHIVE',
    );
  }
  return join(destination, normalized);
}
