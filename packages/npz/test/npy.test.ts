import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../src/index.js';
import { CASES, dataOffset } from './helpers/arrays.js';

describe('encodeNpy byte layout', () => {
  it('writes <f8 (3,) exactly as the format spec lays it out, data at offset 128', () => {
    const npy = encodeNpy({ dtype: '<f8', shape: [3], data: Float64Array.of(1, 2, 3) });
    // Magic \x93NUMPY, version 1.0, then the little-endian uint16 header length.
    expect([...npy.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    // The dict is 57 characters; with the 10-byte preamble and the final newline that is 68,
    // past 64, so the data starts at the next multiple of 64: 128 (numpy ≥ 1.22 aligns to
    // 64). numpy also reserves 21 - len('3') = 20 spaces for the first axis to grow, giving
    // 88, which rounds to 128 all the same. Header length 128 - 10 = 118: the dict, 60
    // spaces, the newline.
    const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }";
    expect(dict).toHaveLength(57);
    expect(npy.readUInt16LE(8)).toBe(118);
    expect(npy.subarray(10, 128).toString('latin1')).toBe(`${dict}${' '.repeat(60)}\n`);
    expect(npy).toHaveLength(128 + 3 * 8);
    // 1.0, 2.0, 3.0 as little-endian IEEE 754 doubles.
    expect(npy.subarray(128).toString('hex')).toBe(
      '000000000000f03f' + '0000000000000040' + '0000000000000840',
    );
  });

  it('writes shapes as Python tuples: () for 0-d, (n,) for 1-d, (a, b) for 2-d', () => {
    const header = (shape: number[], data: Float64Array) =>
      encodeNpy({ dtype: '<f8', shape, data }).subarray(10, 128).toString('latin1').trimEnd();
    expect(header([], Float64Array.of(1))).toBe(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
    );
    expect(header([2, 3], new Float64Array(6))).toBe(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
    );
  });

  it('writes structured dtypes as numpy does: a list of (name, type) tuples', () => {
    const npy = encodeNpy({
      dtype: "[('lon', '<f8'), ('lat', '<f8'), ('value', '<f4')]",
      shape: [1],
      data: [{ lon: 1, lat: 2, value: 3 }],
    });
    expect(npy.subarray(10, dataOffset(npy)).toString('latin1').trimEnd()).toBe(
      "{'descr': [('lon', '<f8'), ('lat', '<f8'), ('value', '<f4')], 'fortran_order': False, 'shape': (1,), }",
    );
    // 20 bytes per record, no padding between fields.
    expect(npy.length - dataOffset(npy)).toBe(20);
  });

  it('pads |S and <U elements with NULs to their width', () => {
    const s = encodeNpy({ dtype: '|S3', shape: [2], data: ['a', 'bc'] });
    expect(s.subarray(dataOffset(s)).toString('hex')).toBe('610000' + '626300');
    const u = encodeNpy({ dtype: '<U2', shape: [1], data: ['é'] });
    expect(u.subarray(dataOffset(u)).toString('hex')).toBe('e9000000' + '00000000');
  });

  it('switches to format 2.0 when the header outgrows 65535 bytes', () => {
    const names = Array.from({ length: 3500 }, (_, i) => `field_${String(i).padStart(5, '0')}`);
    const array = {
      dtype: `[${names.map((name) => `('${name}', '|u1')`).join(', ')}]`,
      shape: [1],
      data: [Object.fromEntries(names.map((name, i) => [name, i % 256]))],
    };
    const npy = encodeNpy(array);
    expect(npy[6]).toBe(2);
    expect(npy.readUInt32LE(8)).toBeGreaterThan(65535);
    expect(dataOffset(npy) % 64).toBe(0);
    expect(decodeNpy(npy)).toEqual(array);
  });

  it('switches to format 3.0 (UTF-8 header) for names outside latin-1', () => {
    const array = { dtype: "[('高さ', '<f4')]", shape: [1], data: [{ 高さ: 2.5 }] };
    const npy = encodeNpy(array);
    expect(npy[6]).toBe(3);
    expect(decodeNpy(npy)).toEqual(array);
  });
});

describe.each(CASES)('round trip: $name', ({ array, decodedDtype }) => {
  it('decodes what it encodes, with the data aligned to 64 bytes', () => {
    const npy = encodeNpy(array);
    expect(dataOffset(npy) % 64).toBe(0);
    expect(decodeNpy(npy)).toEqual({ ...array, dtype: decodedDtype ?? array.dtype });
  });

  it('reads from a Uint8Array view at an odd offset of a larger buffer', () => {
    const npy = encodeNpy(array);
    const host = new Uint8Array(npy.length + 3);
    host.set(npy, 1);
    const decoded = decodeNpy(host.subarray(1, 1 + npy.length));
    expect(decoded).toEqual({ ...array, dtype: decodedDtype ?? array.dtype });
  });
});

describe('decodeNpy', () => {
  it('returns data that does not share memory with the input', () => {
    const npy = encodeNpy({ dtype: '<i4', shape: [2], data: Int32Array.of(1, 2) });
    const decoded = decodeNpy(npy);
    npy.fill(0, dataOffset(npy));
    expect(decoded.data).toEqual(Int32Array.of(1, 2));
  });

  it('keeps records with a field named __proto__ as data', () => {
    const array = { dtype: "[('__proto__', '<i4')]", shape: [1], data: [{}] };
    Object.defineProperty(array.data[0], '__proto__', { value: 5, enumerable: true });
    const decoded = decodeNpy(encodeNpy(array)).data as Record<string, unknown>[];
    expect(Object.getOwnPropertyDescriptor(decoded[0], '__proto__')?.value).toBe(5);
    expect(Object.getPrototypeOf(decoded[0])).toBe(Object.prototype);
  });
});
