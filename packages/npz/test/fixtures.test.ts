import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, jsonFromNpy, readNpz } from '../src/index.js';
import { dataOffset } from './helpers/arrays.js';

// Files laid out by hand from the format spec (see fixtures/README.md and make_fixtures.py).
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

describe('reference files', () => {
  it('f8-2x3.npy: numpy ≥ 1.22 layout, read exactly, and written byte for byte', async () => {
    const bytes = await readFile(fixture('f8-2x3.npy'));
    const expected = {
      dtype: '<f8',
      shape: [2, 3],
      data: Float64Array.of(0, 0.5, -1.25, 1e300, -0, 3),
    };
    expect(dataOffset(bytes)).toBe(128);
    expect(decodeNpy(bytes)).toEqual(expected);
    expect(encodeNpy(expected).equals(bytes)).toBe(true);
  });

  it('i4-big-endian-legacy.npy: big-endian, 16-byte aligned (numpy < 1.22)', async () => {
    const bytes = await readFile(fixture('i4-big-endian-legacy.npy'));
    expect(dataOffset(bytes)).toBe(80);
    expect(decodeNpy(bytes)).toEqual({
      dtype: '<i4',
      shape: [4],
      data: Int32Array.of(1, -2, 65536, 2147483647),
    });
  });

  it('oq-extract.npz: savez_compressed layout with zip64 extras, Fortran order', async () => {
    const arrays = await readNpz(fixture('oq-extract.npz').pathname);
    expect(Object.keys(arrays)).toEqual(['json', 'array', 'names', 'mask', 'grid']);
    expect(arrays.json!.dtype).toBe('|S70');
    expect(arrays.json!.shape).toEqual([]);
    expect(jsonFromNpy(arrays.json!)).toEqual({
      calculation_mode: 'scenario',
      sites: [[9.15, 45.18]],
      ok: true,
    });
    expect(arrays.array).toEqual({
      dtype: "[('lon', '<f8'), ('lat', '<f8'), ('value', '<f4')]",
      shape: [2],
      data: [
        { lon: 9.15, lat: 45.18, value: 0.25 },
        { lon: -70.5, lat: -33.25, value: 1.5 },
      ],
    });
    expect(arrays.names).toEqual({ dtype: '<U6', shape: [2], data: ['Pavia', 'Zürich'] });
    expect(arrays.mask).toEqual({ dtype: '|b1', shape: [3], data: [true, false, true] });
    expect(arrays.grid).toEqual({
      dtype: '<i2',
      shape: [2, 3],
      data: Int16Array.of(1, 2, 3, 4, 5, 6),
    });
  });
});
