import type { NpyArray } from '../../src/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/**
 * One array per dtype and shape the package supports, with the dtype decodeNpy reports
 * for it (big-endian input comes back little-endian). Edge values on purpose: extremes of
 * each integer type, -0, NaN and infinities, empty strings, multi-byte characters.
 */
export const CASES: { name: string; array: NpyArray; decodedDtype?: string }[] = [
  {
    name: '<f8 1-d',
    array: {
      dtype: '<f8',
      shape: [6],
      data: Float64Array.of(0, -0, 1.5, 1e300, Number.NaN, -Infinity),
    },
  },
  {
    name: '<f4 1-d',
    array: { dtype: '<f4', shape: [3], data: Float32Array.of(0.25, -3.5, 3.4028234663852886e38) },
  },
  {
    name: '<i8 1-d',
    array: { dtype: '<i8', shape: [3], data: BigInt64Array.of(-(2n ** 63n), 0n, 2n ** 63n - 1n) },
  },
  {
    name: '<i4 2-d',
    array: {
      dtype: '<i4',
      shape: [2, 3],
      data: Int32Array.of(-(2 ** 31), -1, 0, 1, 2, 2 ** 31 - 1),
    },
  },
  { name: '<i2 1-d', array: { dtype: '<i2', shape: [3], data: Int16Array.of(-32768, 7, 32767) } },
  { name: '|i1 1-d', array: { dtype: '|i1', shape: [3], data: Int8Array.of(-128, 0, 127) } },
  {
    name: '<u8 1-d',
    array: { dtype: '<u8', shape: [2], data: BigUint64Array.of(0n, 2n ** 64n - 1n) },
  },
  { name: '<u4 1-d', array: { dtype: '<u4', shape: [2], data: Uint32Array.of(0, 2 ** 32 - 1) } },
  { name: '<u2 1-d', array: { dtype: '<u2', shape: [2], data: Uint16Array.of(0, 65535) } },
  {
    name: '|u1 3-d',
    array: { dtype: '|u1', shape: [2, 2, 2], data: Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 255) },
  },
  { name: '|b1 1-d', array: { dtype: '|b1', shape: [3], data: [true, false, true] } },
  {
    name: '|S5 1-d',
    array: {
      dtype: '|S5',
      shape: [3],
      // Trailing NULs are padding (and dropped); a leading or inner NUL is data.
      data: [bytes('abc'), new Uint8Array(0), Uint8Array.of(0, 1, 255, 0, 7)],
    },
  },
  {
    name: '<U4 1-d',
    array: { dtype: '<U4', shape: [4], data: ['', 'a', '日本語', 'x😀yz'] },
  },
  { name: '<f8 0-d', array: { dtype: '<f8', shape: [], data: Float64Array.of(42) } },
  { name: '<U3 0-d', array: { dtype: '<U3', shape: [], data: ['sí'] } },
  { name: '<f8 empty', array: { dtype: '<f8', shape: [0], data: new Float64Array(0) } },
  { name: '<i4 2-d empty', array: { dtype: '<i4', shape: [2, 0], data: new Int32Array(0) } },
  {
    name: 'records',
    array: {
      dtype: "[('lon', '<f8'), ('lat', '<f8'), ('value', '<f4')]",
      shape: [2],
      data: [
        { lon: 9.15, lat: 45.18, value: 0.25 },
        { lon: -70.5, lat: -33.25, value: 1.5 },
      ],
    },
  },
  {
    name: 'records of every field type, 2-d',
    array: {
      dtype:
        "[('id', '<i8'), ('n', '<u2'), ('small', '|i1'), ('big', '<u8'), ('ok', '|b1'), " +
        "('tag', '|S4'), ('name', '<U6'), ('x', '<f4')]",
      shape: [2, 1],
      data: [
        {
          id: -5n,
          n: 65535,
          small: -128,
          big: 2n ** 64n - 1n,
          ok: true,
          tag: bytes('ab'),
          name: 'Zürich',
          x: 0.5,
        },
        {
          id: 9007199254740993n,
          n: 0,
          small: 127,
          big: 0n,
          ok: false,
          tag: bytes('abcd'),
          name: '',
          x: -2,
        },
      ],
    },
  },
  {
    name: 'records with padding',
    array: {
      dtype: "[('a', '|u1'), ('', '|V3'), ('b', '<i4')]",
      shape: [2],
      data: [
        { a: 1, b: -1 },
        { a: 255, b: 123456 },
      ],
    },
  },
  {
    name: '>f8 big-endian',
    array: { dtype: '>f8', shape: [2], data: Float64Array.of(1.5, -2) },
    decodedDtype: '<f8',
  },
  {
    name: '>i8 big-endian',
    array: { dtype: '>i8', shape: [2], data: BigInt64Array.of(-2n, 2n ** 40n) },
    decodedDtype: '<i8',
  },
  {
    name: '>u2 big-endian',
    array: { dtype: '>u2', shape: [2], data: Uint16Array.of(1, 0xfe00) },
    decodedDtype: '<u2',
  },
  {
    name: '>U3 big-endian',
    array: { dtype: '>U3', shape: [2], data: ['abc', 'ñ'] },
    decodedDtype: '<U3',
  },
  {
    name: 'big-endian records',
    array: { dtype: "[('a', '>i4'), ('b', '>f8')]", shape: [1], data: [{ a: -7, b: 0.1 }] },
    decodedDtype: "[('a', '<i4'), ('b', '<f8')]",
  },
];

/**
 * An .npy file laid out by hand from a header text (padded to 64 bytes like numpy's) and
 * raw data: for headers the encoder would never write.
 */
export function rawNpy(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Buffer {
  const lengthSize = version === 1 ? 2 : 4;
  const text = Buffer.from(header, version === 3 ? 'utf8' : 'latin1');
  const padding = 64 - ((8 + lengthSize + text.length + 1) % 64);
  const headerLength = text.length + padding + 1;
  const prefix = Buffer.alloc(8 + lengthSize);
  Buffer.from('\x93NUMPY', 'latin1').copy(prefix);
  prefix[6] = version;
  if (lengthSize === 2) prefix.writeUInt16LE(headerLength, 8);
  else prefix.writeUInt32LE(headerLength, 8);
  return Buffer.concat([prefix, text, Buffer.alloc(padding, ' '), Buffer.from('\n'), data]);
}

/** Where the data of an .npy starts: preamble plus header length. */
export function dataOffset(npy: Uint8Array): number {
  const view = new DataView(npy.buffer, npy.byteOffset, npy.byteLength);
  return npy[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
}
