import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { fluxFixture, matfileFixture } from '@geoworks/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MatrixFileError,
  MatrixFileNotFoundError,
  UnsupportedVariableError,
  VariableNotFoundError,
  openMatrixFile,
  type MatrixFile,
  type NumericMatrix,
} from '../src/index.js';

const flux = fluxFixture;
const fixture = matfileFixture;

const scratch = mkdtempSync(join(tmpdir(), 'matfile-readers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function withFile<T>(path: string, use: (file: MatrixFile) => Promise<T>): Promise<T> {
  const file = await openMatrixFile(path);
  try {
    return await use(file);
  } finally {
    file.close();
  }
}

async function collect(columns: AsyncIterable<Float64Array>): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for await (const column of columns) out.push(column);
  return out;
}

function column(matrix: NumericMatrix, c: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < matrix.rows; r++) out.push(matrix.data[r * matrix.columns + c]!);
  return out;
}

function range(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** A little-endian v5 MAT-file holding one double matrix (values column-major), maybe compressed. */
function mat5File(
  name: string,
  rows: number,
  cols: number,
  values: Float64Array,
  compress: boolean,
  keep = 1,
): Buffer {
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file, Platform: test', 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  const element = (type: number, data: Buffer): Buffer => {
    const tag = Buffer.alloc(8);
    tag.writeUInt32LE(type, 0);
    tag.writeUInt32LE(data.length, 4);
    return Buffer.concat([tag, data, Buffer.alloc((8 - (data.length % 8)) % 8)]);
  };
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(6, 0);
  const dims = Buffer.alloc(8);
  dims.writeInt32LE(rows, 0);
  dims.writeInt32LE(cols, 4);
  const body = Buffer.concat([
    element(6, flags),
    element(5, dims),
    element(1, Buffer.from(name.padEnd(5, '_'))),
    element(9, Buffer.from(values.buffer, values.byteOffset, values.byteLength)),
  ]);
  const matrix = Buffer.concat([element(14, body)]);
  if (!compress) return Buffer.concat([header, matrix]);
  // `keep` < 1 deflates only a prefix: a complete zlib stream that ends early.
  const packed = deflateSync(matrix.subarray(0, Math.floor(matrix.length * keep)));
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(15, 0);
  tag.writeUInt32LE(packed.length, 4);
  return Buffer.concat([header, tag, packed]);
}

describe('MATLAB v5 reference files', () => {
  it('lists casagfed2004.mat and reads its grid', async () => {
    await withFile(flux('casagfed2004.mat'), async (file) => {
      expect(file.format).toBe('mat5');
      expect(file.variables).toEqual([
        { name: 'casa_gfed_2004', class: 'double', dimensions: [2635, 10] },
      ]);
      const m = await file.readMatrix('casa_gfed_2004');
      expect([m.name, m.class, m.rows, m.columns, m.data.length]).toEqual([
        'casa_gfed_2004',
        'double',
        2635,
        10,
        26350,
      ]);
      expect([m.data[10], m.data[11]]).toEqual([-165.5, 61.5]);
      expect(m.data[2]!.toFixed(2)).toBe('0.08');
      expect(range(column(m, 0))).toEqual([-166.5, -50.5]);
      expect(range(column(m, 1))).toEqual([10.5, 69.5]);
    });
  });

  it('reads kriged_xco2.mat', async () => {
    await withFile(flux('kriged_xco2.mat'), async (file) => {
      expect(file.variables).toEqual([
        { name: 'krigedData', class: 'double', dimensions: [14210, 9] },
      ]);
      const m = await file.readMatrix('krigedData');
      expect([m.rows, m.columns]).toEqual([14210, 9]);
      expect(Array.from(m.data.subarray(0, 3))).toEqual([82.5, -64.5, 386.90903363487246]);
    });
  });

  it('reads xco2.mat, a single matrix', async () => {
    await withFile(flux('xco2.mat'), async (file) => {
      expect(file.variables).toEqual([{ name: 'XCO2', class: 'single', dimensions: [1311, 6] }]);
      const m = await file.readMatrix('XCO2');
      expect(m.class).toBe('single');
      expect(range(column(m, 3))).toEqual([166, 171]);
      expect(range(column(m, 4))).toEqual([2009, 2009]);
      // Single values widen exactly: the float32 nearest to -169.0566.
      expect(m.data[0]).toBe(Math.fround(-169.05661));
    });
  });

  it('yields the same columns as readMatrix (compressed elements, several inflate chunks)', async () => {
    for (const [path, name] of [
      [flux('casagfed2004.mat'), 'casa_gfed_2004'],
      [flux('kriged_xco2.mat'), 'krigedData'],
      [flux('xco2.mat'), 'XCO2'],
    ] as const) {
      await withFile(path, async (file) => {
        const m = await file.readMatrix(name);
        const columns = await collect(file.columns(name));
        expect(columns.length).toBe(m.columns);
        for (let c = 0; c < m.columns; c++) {
          expect(columns[c]).toBeInstanceOf(Float64Array);
          expect(Array.from(columns[c]!)).toEqual(column(m, c));
        }
      });
    }
  });
});

describe('MATLAB v7.3 and HDF5 copies', () => {
  it('give exactly the numbers of the v5 file', async () => {
    const v5 = await withFile(flux('casagfed2004.mat'), (file) =>
      file.readMatrix('casa_gfed_2004'),
    );
    for (const [path, format] of [
      [flux('casagfed2004-v73.mat'), 'mat73'],
      [flux('casagfed2004.h5'), 'hdf5'],
    ] as const) {
      await withFile(path, async (file) => {
        expect(file.format).toBe(format);
        expect(file.variables[0]).toEqual({
          name: 'casa_gfed_2004',
          class: 'double',
          dimensions: [2635, 10],
        });
        const m = await file.readMatrix('casa_gfed_2004');
        expect([m.rows, m.columns, m.class]).toEqual([2635, 10, 'double']);
        expect(m.data).toEqual(v5.data);
        const columns = await collect(file.columns('casa_gfed_2004'));
        expect(columns.map((c) => Array.from(c))).toEqual(
          Array.from({ length: 10 }, (_, c) => column(v5, c)),
        );
      });
    }
  });

  it('lists nested plain HDF5 datasets by path, a 1-D one as 1 x n', async () => {
    await withFile(flux('casagfed2004.h5'), async (file) => {
      expect(file.variables.slice(1)).toEqual([
        { name: 'extra/counts', class: 'int32', dimensions: [1, 5] },
        {
          name: 'extra/label',
          class: undefined,
          dimensions: [1, 1],
          unsupported: 'string dataset',
        },
      ]);
      const counts = await file.readMatrix('extra/counts');
      expect(Array.from(counts.data)).toEqual([3, -1, 4, 1, 5]);
      expect((await collect(file.columns('extra/counts'))).map((c) => Array.from(c))).toEqual([
        [3],
        [-1],
        [4],
        [1],
        [5],
      ]);
    });
  });

  it('reads v7.3 int16, single and logical variables transposed back', async () => {
    await withFile(fixture('mat73-kinds.mat'), async (file) => {
      const i16 = await file.readMatrix('i16');
      expect([i16.class, i16.rows, i16.columns, Array.from(i16.data)]).toEqual([
        'int16',
        3,
        2,
        [-3, 7, 300, -32768, 32767, 0],
      ]);
      const sgl = await file.readMatrix('sgl');
      expect([sgl.class, sgl.rows, sgl.columns, Array.from(sgl.data)]).toEqual([
        'single',
        2,
        3,
        [1.5, -2.25, 3, 4, 5.5, -6.75],
      ]);
      const flag = await file.readMatrix('flag');
      expect([flag.class, Array.from(flag.data)]).toEqual(['logical', [1, 0, 0, 1]]);
      expect(file.variables.map((v) => v.name)).not.toContain('#refs#');
    });
  });
});

describe('MATLAB v5 variable kinds', () => {
  for (const name of ['mat5-kinds.mat', 'mat5-kinds-compressed.mat']) {
    it(`reads the numeric classes of ${name}`, async () => {
      await withFile(fixture(name), async (file) => {
        const read = async (variable: string): Promise<[string, number, number, number[]]> => {
          const m = await file.readMatrix(variable);
          return [m.class, m.rows, m.columns, Array.from(m.data)];
        };
        expect(await read('dbl')).toEqual([
          'double',
          3,
          4,
          [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5],
        ]);
        expect(await read('sgl')).toEqual(['single', 2, 3, [1.5, -2.25, 3, 4, 5.5, -6.75]]);
        expect(await read('i16')).toEqual(['int16', 3, 2, [-3, 7, 300, -32768, 32767, 0]]);
        expect(await read('flag')).toEqual(['logical', 2, 2, [1, 0, 0, 1]]);
        expect(await read('v')).toEqual(['double', 1, 3, [1, 2, 3]]);
        expect(await read('a_rather_long_variable_name')).toEqual(['double', 1, 1, [42]]);
      });
    });
  }

  it('reads big-endian files, small elements and storage types narrower than the class', async () => {
    await withFile(fixture('mat5-bigendian.mat'), async (file) => {
      expect(file.variables.map((v) => [v.name, v.class, v.dimensions])).toEqual([
        ['dbl', 'double', [2, 3]],
        ['small', 'double', [2, 3]],
        ['i32', 'int32', [3, 1]],
        ['x', 'double', [1, 1]],
        ['zipped', 'single', [2, 2]],
      ]);
      expect(Array.from((await file.readMatrix('dbl')).data)).toEqual([1.5, -2, 3.25, 4, 5, -6.5]);
      expect(Array.from((await file.readMatrix('small')).data)).toEqual([1, 2, 3, 4, 5, 255]);
      expect(Array.from((await file.readMatrix('i32')).data)).toEqual([-7, 300, -32768]);
      expect(Array.from((await file.readMatrix('x')).data)).toEqual([9]);
      expect(Array.from((await file.readMatrix('zipped')).data)).toEqual([0.5, 1.5, 2.5, -3.5]);
    });
  });

  const unsupported: [string, string][] = [
    ['cel', 'cell array'],
    ['st', 'struct'],
    ['sp', 'sparse matrix'],
    ['cplx', 'complex matrix'],
    ['txt', 'char array'],
    ['cube', '3-D array (2 x 3 x 4)'],
  ];
  for (const name of ['mat5-kinds.mat', 'mat5-kinds-compressed.mat', 'mat73-kinds.mat']) {
    it(`refuses the unsupported kinds of ${name}, naming variable and kind`, async () => {
      await withFile(fixture(name), async (file) => {
        for (const [variable, kind] of unsupported) {
          if (name === 'mat73-kinds.mat' && variable === 'cplx') continue;
          expect(file.variables.find((v) => v.name === variable)?.unsupported).toBe(kind);
          const error = await file.readMatrix(variable).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(UnsupportedVariableError);
          expect((error as UnsupportedVariableError).message).toContain(`"${variable}"`);
          expect((error as UnsupportedVariableError).message).toContain(kind);
          const viaColumns = await collect(file.columns(variable)).catch((e: unknown) => e);
          expect(viaColumns).toBeInstanceOf(UnsupportedVariableError);
          expect((viaColumns as UnsupportedVariableError).reason).toBe(kind);
        }
      });
    });
  }

  it('names the variables present for an unknown one', async () => {
    await withFile(flux('casagfed2004.mat'), async (file) => {
      const error = await file.readMatrix('nope').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VariableNotFoundError);
      expect((error as VariableNotFoundError).message).toContain('"casa_gfed_2004"');
      expect((error as VariableNotFoundError).available).toEqual(['casa_gfed_2004']);
    });
    await withFile(flux('casagfed2004-v73.mat'), async (file) => {
      const error = await collect(file.columns('nope')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VariableNotFoundError);
      expect((error as VariableNotFoundError).available).toEqual(['casa_gfed_2004']);
    });
  });
});

describe('streaming compressed columns', () => {
  const rows = 3000;
  const cols = 200; // 4.8 MB of doubles: many inflate chunks
  const values = new Float64Array(rows * cols).map((_, i) => (i % 977) * 0.25 - (i % 13));

  it('reads a compressed matrix much bigger than one inflate chunk', async () => {
    const path = join(scratch, 'big.mat');
    writeFileSync(path, mat5File('big', rows, cols, values, true));
    await withFile(path, async (file) => {
      expect(file.variables).toEqual([
        { name: 'big__', class: 'double', dimensions: [rows, cols] },
      ]);
      let c = 0;
      for await (const col of file.columns('big__')) {
        expect(col).toEqual(values.subarray(c * rows, (c + 1) * rows));
        c++;
      }
      expect(c).toBe(cols);
      const m = await file.readMatrix('big__');
      expect(m.data[5 * cols + 7]).toBe(values[7 * rows + 5]);
    });
  });

  it('yields the first columns before the compressed data is all inflated', async () => {
    // The zlib stream holds only the first half of the element: a reader that inflated it whole
    // before yielding would fail before the first column.
    const path = join(scratch, 'half.mat');
    writeFileSync(path, mat5File('half', rows, cols, values, true, 0.5));
    await withFile(path, async (file) => {
      const seen: Float64Array[] = [];
      const error = await (async () => {
        for await (const col of file.columns('half_')) seen.push(col);
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MatrixFileError);
      expect((error as MatrixFileError).message).toMatch(
        /compressed data ends after \d+ of 200 columns/,
      );
      expect(seen.length).toBeGreaterThan(90);
      expect(seen[0]).toEqual(values.subarray(0, rows));
    });
  });

  it('reads an uncompressed matrix in blocks of columns', async () => {
    const path = join(scratch, 'raw.mat');
    writeFileSync(path, mat5File('raw', rows, cols, values, false));
    await withFile(path, async (file) => {
      const columns = await collect(file.columns('raw__'));
      expect(columns.length).toBe(cols);
      expect(columns[cols - 1]).toEqual(values.subarray((cols - 1) * rows));
      expect(columns[3]).toEqual(values.subarray(3 * rows, 4 * rows));
    });
  });
});

describe('bad files', () => {
  it('reports a truncated file with the byte offset', async () => {
    for (const name of ['casagfed2004.mat', 'kriged_xco2.mat']) {
      const bytes = readFileSync(flux(name));
      const path = join(scratch, `cut-${name}`);
      writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
      const error = await openMatrixFile(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MatrixFileError);
      expect((error as MatrixFileError).message).toContain('truncated');
      expect((error as MatrixFileError).message).toContain('(at byte 128)');
    }
    const bytes = readFileSync(fixture('mat5-kinds.mat'));
    const path = join(scratch, 'cut-kinds.mat');
    writeFileSync(path, bytes.subarray(0, 700));
    await expect(openMatrixFile(path)).rejects.toThrow(MatrixFileError);
  });

  it('reports a truncated HDF5 file', async () => {
    const bytes = readFileSync(flux('casagfed2004.h5'));
    const path = join(scratch, 'cut.h5');
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    const error = await openMatrixFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MatrixFileError);
    expect((error as MatrixFileError).message).toContain('truncated HDF5 file');
  });

  it('refuses content that is neither MAT nor HDF5', async () => {
    const path = join(scratch, 'random.mat');
    writeFileSync(path, randomBytes(4096));
    const error = await openMatrixFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MatrixFileError);
    expect((error as MatrixFileError).message).toContain('neither a MATLAB MAT-file nor HDF5');
  });

  it('reports a missing file', async () => {
    const path = join(scratch, 'missing.mat');
    const error = await openMatrixFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MatrixFileNotFoundError);
    expect((error as MatrixFileNotFoundError).path).toBe(path);
  });
});
