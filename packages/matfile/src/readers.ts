// The built-in readers, told apart by the magic bytes at the start of the file, not by its name:
// a `.mat` file may be MATLAB v5 or v7.3 (HDF5), and an `.h5` file may have been renamed.

import { openMat5 } from './mat5/file.js';
import type { FileProbe, MatrixFileFormat, MatrixReader } from './types.js';

const HDF5_SIGNATURE = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');

/** The 128-byte MATLAB header: its text, byte-order mark and version (0x0100: v5, 0x0200: v7.3). */
function matlabHeader(head: Uint8Array): { text: string; endian: string; version: number } {
  const text = Buffer.from(head).toString('latin1');
  const endian = text.slice(126, 128);
  const version =
    endian === 'IM'
      ? (head[125] ?? 0) * 256 + (head[124] ?? 0)
      : (head[124] ?? 0) * 256 + (head[125] ?? 0);
  return { text, endian, version };
}

/** MATLAB v5 (Level 5 MAT, versions 5 to 7.2): a 128-byte header ending in version 0x0100. */
export const mat5Reader: MatrixReader = {
  name: 'MATLAB v5',
  async sniff(probe) {
    const { endian, version } = matlabHeader(probe.head);
    return (endian === 'IM' || endian === 'MI') && version === 0x0100 ? 'mat5' : undefined;
  },
  open: (probe) => openMat5(probe),
};

/**
 * HDF5, where the superblock signature is at 0, 512, 1024, 2048, ... A v7.3 MAT-file is HDF5
 * behind a 512-byte user block holding MATLAB's text header (version 0x0200).
 */
export const hdf5Reader: MatrixReader = {
  name: 'HDF5 (MATLAB v7.3 and plain)',
  async sniff(probe) {
    const superblock = await findHdf5Superblock(probe);
    if (superblock === undefined) return undefined;
    const { text, version } = matlabHeader(probe.head);
    const matlab = superblock > 0 && (text.startsWith('MATLAB 7.3 MAT-file') || version === 0x0200);
    return matlab ? 'mat73' : 'hdf5';
  },
  async open(probe, format: MatrixFileFormat) {
    // h5wasm holds a large wasm heap: load it only when an HDF5 file is actually opened, not in
    // every process (the API server) that imports this package.
    const { openHdf5 } = await import('./hdf5.js');
    return openHdf5(probe.path, format === 'mat73' ? 'mat73' : 'hdf5');
  },
};

/** The readers `openMatrixFile` tries, in this order: a new format is one more entry. */
export const MATRIX_READERS: readonly MatrixReader[] = [mat5Reader, hdf5Reader];

async function findHdf5Superblock(probe: FileProbe): Promise<number | undefined> {
  const length = HDF5_SIGNATURE.length;
  for (let offset = 0; offset + length <= probe.size; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.equals(await probe.read(offset, length))) return offset;
  }
  return undefined;
}
