// openMatrixFile picks its reader by the file's magic bytes: the MAT v5 header, or the HDF5
// signature at 0 or behind a user block (512 bytes for MATLAB v7.3), never by the file's name.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fluxFixture } from '@geoworks/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { MatrixFileError, openMatrixFile, type MatrixFileFormat } from '../src/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'matfile-sniffing-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function formatOf(path: string): Promise<{ format: MatrixFileFormat; dimensions: number[] }> {
  const file = await openMatrixFile(path);
  try {
    return { format: file.format, dimensions: file.variables[0]!.dimensions };
  } finally {
    file.close();
  }
}

describe('the reader registry', () => {
  it('tells the three formats apart by content, whatever the file is called', async () => {
    for (const [source, renamed, format] of [
      ['casagfed2004.mat', 'v5.h5', 'mat5'],
      ['casagfed2004-v73.mat', 'v73.h5', 'mat73'],
      ['casagfed2004.h5', 'plain.mat', 'hdf5'],
    ] as const) {
      const path = join(scratch, renamed);
      copyFileSync(fluxFixture(source), path);
      // Every format gives MATLAB's 2635 x 10 (v7.3 transposed back from HDF5's 10 x 2635).
      expect(await formatOf(path)).toEqual({ format, dimensions: [2635, 10] });
    }
  });

  it("takes HDF5 behind a user block without MATLAB's header for plain HDF5", async () => {
    // The v7.3 file with its 128-byte MATLAB header blanked: the HDF5 signature is still found at
    // byte 512, but nothing says MATLAB wrote it, so its dimensions are HDF5's, not transposed.
    const bytes = Buffer.from(readFileSync(fluxFixture('casagfed2004-v73.mat')));
    expect(bytes.subarray(0, 19).toString('latin1')).toBe('MATLAB 7.3 MAT-file');
    bytes.fill(0, 0, 128);
    const path = join(scratch, 'user-block.mat');
    writeFileSync(path, bytes);
    expect(await formatOf(path)).toEqual({ format: 'hdf5', dimensions: [10, 2635] });
  });

  it('refuses a MATLAB header of another version, and a file too short for any header', async () => {
    // A v5 header whose version field says 0x0300: no reader knows it.
    const bytes = Buffer.from(readFileSync(fluxFixture('casagfed2004.mat')));
    bytes.writeUInt16LE(0x0300, 124);
    const path = join(scratch, 'version3.mat');
    writeFileSync(path, bytes);
    await expect(openMatrixFile(path)).rejects.toThrow(
      `${path}: neither a MATLAB MAT-file nor HDF5 (at byte 0)`,
    );
    const short = join(scratch, 'short.mat');
    writeFileSync(short, 'MATLAB');
    await expect(openMatrixFile(short)).rejects.toThrow(MatrixFileError);
  });
});
