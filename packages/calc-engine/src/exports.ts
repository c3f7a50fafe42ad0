import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { ZipArchive } from 'archiver';
import type { CalcOutput } from './store.js';

/**
 * One output in one export type, ready to download: its one file as it is (`path`), or its
 * files zipped while they are sent (`open`, called only when a body is wanted).
 */
export type ExportDownload =
  | { name: string; mediaType: 'application/octet-stream'; path: string }
  | { name: string; mediaType: 'application/zip'; open: () => Readable };

/** `output-<id>-<key>.<type>`, or `.zip` for several files, as OpenQuake names exports. */
export function exportDownload(
  output: CalcOutput,
  exportType: string,
  files: readonly string[],
): ExportDownload {
  const name = `output-${output.id}-${output.key}`;
  if (files.length === 1) {
    return {
      name: `${name}.${exportType}`,
      mediaType: 'application/octet-stream',
      path: files[0]!,
    };
  }
  return {
    name: `${name}.zip`,
    mediaType: 'application/zip',
    open: () => exportArchive(files),
  };
}

/**
 * A zip of `files` (each under its own name), streamed as it is built: nothing is written to
 * disk and memory does not grow with the files. Read errors arrive on the stream.
 */
export function exportArchive(files: readonly string[]): Readable {
  const archive = new ZipArchive();
  // archiver only warns about a file it cannot read and leaves it out: a zip missing an
  // export would pass for a whole one, so it fails instead.
  archive.on('warning', (error) => archive.destroy(error));
  for (const file of files) archive.file(file, { name: basename(file) });
  // finalize() also rejects with what the stream emits as 'error'; the reader handles that.
  archive.finalize().catch(() => undefined);
  return archive;
}
