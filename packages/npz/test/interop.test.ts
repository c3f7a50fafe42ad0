import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dtypeFromDescr, dtypeText } from '../src/dtype.js';
import { parsePyLiteral } from '../src/py-literal.js';
import { writeNpz, type NpyArray } from '../src/index.js';
import { CASES } from './helpers/arrays.js';

// numpy is not installed here: read_npz.py reads the archive as numpy.load does, with
// zipfile, struct and ast.literal_eval (and zipfile checks every CRC), and prints JSON.
const PYTHON = '/usr/bin/python3';
const READER = new URL('./interop/read_npz.py', import.meta.url).pathname;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npz-interop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface PythonEntry {
  version: string;
  data_offset: number;
  descr: string;
  shape: number[];
  data: unknown[];
  compress_type: number;
}

async function readWithPython(npz: Buffer): Promise<Record<string, PythonEntry>> {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.npz`);
  await writeFile(path, npz);
  const { stdout } = await promisify(execFile)(PYTHON, [READER, path]);
  return JSON.parse(stdout) as Record<string, PythonEntry>;
}

/** What read_npz.py prints for an element: its JSON conventions applied to our values. */
function asPython(value: unknown): unknown {
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asPython(item)]));
  }
  return value;
}

/** The repr() of a dtype's descr as Python prints it: quoted for scalars, a list otherwise. */
function descrRepr(dtype: string): string {
  return dtype.startsWith('[') ? dtypeText(dtypeFromDescr(parsePyLiteral(dtype))) : `'${dtype}'`;
}

const extra: Record<string, NpyArray> = {
  // A non-ASCII entry name: the zip must flag it as UTF-8 for Python to decode it.
  höhe: { dtype: '<f4', shape: [2], data: Float32Array.of(1.5, 2.5) },
  // Format 3.0: a field name outside latin-1 makes the header UTF-8.
  unicode_names: {
    dtype: "[('高さ', '<f8'), ('name', '<U3')]",
    shape: [1],
    data: [{ 高さ: 1.25, name: 'ü' }],
  },
  // Format 2.0: a header longer than 65535 bytes.
  wide: {
    dtype: `[${Array.from({ length: 3500 }, (_, i) => `('f${String(i).padStart(8, '0')}', '|u1')`).join(', ')}]`,
    shape: [1],
    data: [
      Object.fromEntries(
        Array.from({ length: 3500 }, (_, i) => [`f${String(i).padStart(8, '0')}`, i % 256]),
      ),
    ],
  },
};

describe.each([
  { compress: false, method: 0 },
  { compress: true, method: 8 },
])('Python reads what we write (compress: $compress)', ({ compress, method }) => {
  it('finds every array, dtype, shape and value', async () => {
    const arrays: Record<string, NpyArray> = {
      ...Object.fromEntries(CASES.map(({ name, array }) => [name, array])),
      ...extra,
    };
    const python = await readWithPython(await writeNpz(arrays, { compress }));
    expect(Object.keys(python).sort()).toEqual(Object.keys(arrays).sort());
    for (const [name, array] of Object.entries(arrays)) {
      const entry = python[name]!;
      expect(entry.compress_type, name).toBe(method);
      expect(entry.data_offset % 64, name).toBe(0);
      expect(entry.descr, name).toBe(descrRepr(array.dtype));
      expect(entry.shape, name).toEqual(array.shape);
      expect(entry.data, name).toEqual(Array.from(array.data as ArrayLike<unknown>, asPython));
    }
    expect(python.unicode_names!.version).toBe('3.0');
    expect(python.wide!.version).toBe('2.0');
    expect(python['<f8 1-d']!.version).toBe('1.0');
  });
});
