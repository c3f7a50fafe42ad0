// Opens a matrix file of any supported kind: MATLAB v5 (Level 5 MAT), MATLAB v7.3 and plain HDF5,
// told apart by content, not by name.

import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { MatrixFile } from '../types.js';
import { MatrixFileError, MatrixFileNotFoundError } from './errors.js';
import { openMat5 } from './mat5.js';
import { readFully } from './shared.js';

export {
  MatrixFileError,
  MatrixFileNotFoundError,
  UnsupportedVariableError,
  VariableNotFoundError,
} from './errors.js';

const HDF5_SIGNATURE = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');

/**
 * Opens `path`, parsing only the variables' headers. Throws `MatrixFileNotFoundError` for a
 * missing file and `MatrixFileError` for content that is neither a MAT-file nor HDF5, or that
 * is truncated or corrupt.
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
  let hdf5: 'mat73' | 'hdf5' | undefined;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new MatrixFileError(path, 'not a regular file');
    const size = stats.size;
    const head = new Uint8Array(Math.min(128, size));
    await readFully(handle, head, 0, path);
    const text = Buffer.from(head).toString('latin1');
    const endian = text.slice(126, 128);
    const littleEndian = endian === 'IM';
    const version = littleEndian
      ? (head[125] ?? 0) * 256 + (head[124] ?? 0)
      : (head[124] ?? 0) * 256 + (head[125] ?? 0);
    if ((endian === 'IM' || endian === 'MI') && version === 0x0100) {
      return await openMat5(path, handle, size, head);
    }
    const superblock = await findHdf5Superblock(handle, size, path);
    if (superblock !== undefined) {
      // A v7.3 MAT-file is HDF5 behind a 512-byte user block holding MATLAB's text header.
      const matlab =
        superblock > 0 && (text.startsWith('MATLAB 7.3 MAT-file') || version === 0x0200);
      hdf5 = matlab ? 'mat73' : 'hdf5';
    } else {
      throw new MatrixFileError(path, 'neither a MATLAB MAT-file nor HDF5', { offset: 0 });
    }
  } finally {
    await handle.close();
  }
  // h5wasm holds a large wasm heap: load it only when an HDF5 file is actually opened, not in
  // every process (the API server) that imports this package.
  const { openHdf5 } = await import('./hdf5.js');
  return openHdf5(path, hdf5);
}

/** HDF5 looks for its superblock at 0, 512, 1024, 2048, ... */
async function findHdf5Superblock(
  handle: FileHandle,
  size: number,
  path: string,
): Promise<number | undefined> {
  const probe = new Uint8Array(HDF5_SIGNATURE.length);
  for (let offset = 0; offset + probe.length <= size; offset = offset === 0 ? 512 : offset * 2) {
    await readFully(handle, probe, offset, path);
    if (HDF5_SIGNATURE.equals(probe)) return offset;
  }
  return undefined;
}
