// Safe extraction of downloaded archives: no entry may land outside the destination folder
// (absolute names, `..`, links), and what was written is listed.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import yauzl from 'yauzl';
import { InvalidInputError } from '@geoworks/errors';

/** An archive whose entries would escape the destination, or that cannot be read. */
export class ArchiveError extends InvalidInputError {
  constructor(path: string, problem: string, options: { cause?: unknown } = {}) {
    super(`${path}: ${problem}`, {
      code: 'ARCHIVE_INVALID',
      cause: options.cause,
      details: { path },
    });
  }
}

export type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

/** The archive kind of a file name, or undefined. */
export function archiveKind(name: string): ArchiveKind | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  if (lower.endsWith('.tar')) return 'tar';
  return undefined;
}

/** The folder an archive is extracted into: its name without the archive extension. */
export function extractionFolder(path: string): string {
  return path.replace(/\.(zip|tar\.gz|tgz|tar)$/i, '');
}

function inside(root: string, name: string): string | undefined {
  if (isAbsolute(name) || name.split(/[\\/]/).includes('..')) return undefined;
  const target = resolve(root, name);
  const rel = relative(root, target);
  return rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)
    ? undefined
    : target;
}

/**
 * Extracts `path` into `destination` and lists the files written. An entry with an absolute
 * name, a `..` step or a link makes the whole archive fail before anything outside is touched.
 */
export async function extractArchive(path: string, destination: string): Promise<string[]> {
  const kind = archiveKind(path);
  if (kind === undefined) throw new ArchiveError(path, 'not a .zip, .tar, .tar.gz or .tgz archive');
  await mkdir(destination, { recursive: true });
  const root = resolve(destination);
  return kind === 'zip' ? extractZip(path, root) : extractTar(path, root);
}

/** Every entry's name and Unix mode, read from the central directory without extracting. */
async function listZip(path: string): Promise<{ name: string; mode: number }[]> {
  const zip = await openZip(path);
  const entries: { name: string; mode: number }[] = [];
  return new Promise((resolveAll, reject) => {
    zip.on('error', (error: Error) =>
      reject(new ArchiveError(path, error.message, { cause: error })),
    );
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push({
        name: entry.fileName,
        mode: (entry.externalFileAttributes >>> 16) & 0o170000,
      });
      zip.readEntry();
    });
    zip.on('end', () => resolveAll(entries));
    zip.readEntry();
  });
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise<yauzl.ZipFile>((resolveOpen, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (error, file) =>
      error ? reject(new ArchiveError(path, error.message, { cause: error })) : resolveOpen(file),
    ),
  );
}

async function extractZip(path: string, root: string): Promise<string[]> {
  // A first pass checks every entry, so a hostile archive writes nothing at all.
  for (const entry of await listZip(path)) {
    if (inside(root, entry.name) === undefined) {
      throw new ArchiveError(path, `entry "${entry.name}" would be written outside ${root}`);
    }
    if (entry.mode === 0o120000)
      throw new ArchiveError(path, `entry "${entry.name}" is a symbolic link`);
  }
  const zip = await openZip(path);
  const written: string[] = [];
  return new Promise<string[]>((resolveAll, reject) => {
    const fail = (error: unknown) => {
      zip.close();
      reject(
        error instanceof ArchiveError
          ? error
          : new ArchiveError(path, (error as Error).message, { cause: error }),
      );
    };
    zip.on('error', fail);
    zip.on('end', () => resolveAll(written));
    zip.on('entry', (entry: yauzl.Entry) => {
      const target = inside(root, entry.fileName);
      if (target === undefined) {
        fail(new ArchiveError(path, `entry "${entry.fileName}" would be written outside ${root}`));
        return;
      }
      const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
      if (mode === 0o120000) {
        fail(new ArchiveError(path, `entry "${entry.fileName}" is a symbolic link`));
        return;
      }
      if (entry.fileName.endsWith('/')) {
        mkdir(target, { recursive: true }).then(() => zip.readEntry(), fail);
        return;
      }
      zip.openReadStream(entry, (error, stream) => {
        if (error) {
          fail(error);
          return;
        }
        mkdir(dirname(target), { recursive: true })
          .then(() => pipeline(stream, createWriteStream(target)))
          .then(() => {
            written.push(target);
            zip.readEntry();
          }, fail);
      });
    });
    zip.readEntry();
  });
}

async function extractTar(path: string, root: string): Promise<string[]> {
  // A first pass checks every entry, so a hostile archive writes nothing at all.
  const problems: string[] = [];
  await tar
    .t({
      file: path,
      onReadEntry: (entry) => {
        if (inside(root, entry.path) === undefined)
          problems.push(`entry "${entry.path}" would be written outside ${root}`);
        else if (entry.type === 'SymbolicLink' || entry.type === 'Link')
          problems.push(`entry "${entry.path}" is a link`);
      },
    })
    .catch((error: unknown) => {
      throw new ArchiveError(path, (error as Error).message, { cause: error });
    });
  if (problems.length > 0) throw new ArchiveError(path, problems[0]!);
  const written: string[] = [];
  await tar.x({
    file: path,
    cwd: root,
    strict: true,
    filter: (entryPath, entry) => {
      if ('type' in entry && entry.type === 'File') written.push(join(root, entryPath));
      return true;
    },
  });
  return written;
}
