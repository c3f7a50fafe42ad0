// Opens a matrix file of any supported kind: MATLAB v5 (Level 5 MAT), MATLAB v7.3 and plain HDF5,
// told apart by content, not by name (see readers.ts).

import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { MatrixFileError, MatrixFileNotFoundError } from './errors.js';
import { MATRIX_READERS } from './readers.js';
import { readFully } from './shared.js';
import type { FileProbe, MatrixFile } from './types.js';

/**
 * Opens `path`, parsing only the variables' headers. Throws `MatrixFileNotFoundError` for a
 * missing file and `MatrixFileError` for content that no reader recognises (neither a MAT-file
 * nor HDF5), or that is truncated or corrupt.
 */
export async function openMatrixFile(path: string): Promise<MatrixFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new MatrixFileNotFoundError(path, { cause: error });
    throw new MatrixFileError(path, `cannot open: ${(error as Error).message}`, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new MatrixFileError(path, 'not a regular file');
    const size = stats.size;
    const read = async (offset: number, length: number): Promise<Uint8Array> => {
      const bytes = new Uint8Array(length);
      await readFully(handle, bytes, offset, path);
      return bytes;
    };
    const probe: FileProbe = { path, size, head: await read(0, Math.min(128, size)), read };
    for (const reader of MATRIX_READERS) {
      const format = await reader.sniff(probe);
      if (format !== undefined) return await reader.open(probe, format);
    }
    throw new MatrixFileError(path, 'neither a MATLAB MAT-file nor HDF5', { offset: 0 });
  } finally {
    await handle.close();
  }
}
