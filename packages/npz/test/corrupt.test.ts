import { ZipArchive } from 'archiver';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CorruptNpyError,
  CorruptNpzError,
  decodeNpy,
  encodeNpy,
  InvalidArrayError,
  NpzTooLargeError,
  readNpz,
  UnsupportedDtypeError,
  writeNpz,
} from '../src/index.js';
import { rawNpy } from './helpers/arrays.js';

const f8 = () => encodeNpy({ dtype: '<f8', shape: [3], data: Float64Array.of(1, 2, 3) });
const header = (descr: string, shape = '(1,)') =>
  `{'descr': ${descr}, 'fortran_order': False, 'shape': ${shape}, }`;

describe('decodeNpy refuses corrupt files', () => {
  it.each([
    [
      'bad magic',
      Buffer.from('PK\x03\x04 not numpy at all', 'latin1'),
      /does not start with the magic/,
    ],
    ['empty input', new Uint8Array(0), /Truncated .npy file: 0 bytes/],
    ['a preamble cut short', f8().subarray(0, 7), /Truncated .npy file: 7 bytes/],
    [
      'a truncated header',
      f8().subarray(0, 50),
      /^Truncated .npy file: the header says it is 118 bytes long, but only 40 bytes follow/,
    ],
    [
      'truncated data',
      f8().subarray(0, 128 + 16),
      /^Truncated .npy data: shape \(3\) of <f8 needs 24 bytes, the file has 16$/,
    ],
    [
      'bytes after the data',
      Buffer.concat([f8(), Buffer.alloc(8)]),
      /^Unexpected bytes after the .npy data: shape \(3\) of <f8 needs 24 bytes, the file has 32$/,
    ],
    ['an unknown version', Buffer.from([...f8().subarray(0, 6), 4, 0, 0, 0]), /version 4.0/],
    ['a header that is not a literal', rawNpy("{'descr': '<f8', oops"), /not a Python literal/],
    [
      'a header that is not a dict',
      rawNpy("['<f8']"),
      /exactly the keys descr, fortran_order, shape/,
    ],
    [
      'a header missing a key',
      rawNpy("{'descr': '<f8', 'shape': (1,), }"),
      /exactly the keys descr, fortran_order, shape/,
    ],
    [
      'a header with an extra key',
      rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (), 'x': 1}", new Uint8Array(8)),
      /exactly the keys/,
    ],
    ['a negative dimension', rawNpy(header("'<f8'", '(-1,)')), /shape is not a tuple of sizes/],
    ['a float dimension', rawNpy(header("'<f8'", '(1.5,)')), /only integers are expected/],
    [
      'a shape with too many elements',
      rawNpy(header("'<f8'", '(100000000000, 100000000000)')),
      /has too many elements/,
    ],
    ['deep nesting', rawNpy(header(`${'['.repeat(50)}${']'.repeat(50)}`)), /nesting deeper/],
    [
      'a version 3.0 header that is not UTF-8',
      // Magic, version 3.0, uint32 header length 2, then 0xff (never valid UTF-8) and \n.
      Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 3, 0, 2, 0, 0, 0, 0xff, 0x0a]),
      /The .npy header \(format 3.0\) is not valid UTF-8/,
    ],
  ])('%s', (_name, bytes, message) => {
    expect(() => decodeNpy(bytes)).toThrow(CorruptNpyError);
    expect(() => decodeNpy(bytes)).toThrow(message);
  });

  it.each([
    ["'<c16'", /complex numbers are not supported/],
    ["'|O'", /object arrays hold pickled Python objects/],
    ["'<M8[ns]'", /datetime64 is not supported/],
    ["'<f2'", /supported dtypes are <f8 <f4/],
    ["'|V8'", /raw void arrays are not supported/],
    ["'|f8'", /'\|' \(no byte order\) is only for one-byte types/],
    ["'<U0'", /a string width must be at least 1/],
    ["[('a', [('b', '<f8')])]", /nested structured dtypes are not supported/],
    ["[('a', '<f8', (2,))]", /subarray fields are not supported/],
    ["[(('title', 'a'), '<f8')]", /field titles are not supported/],
    ["[('a', '<f8'), ('a', '<i4')]", /two fields named 'a'/],
    ["{'names': ['a'], 'formats': ['<f8']}", /given as a dict/],
  ])('refuses the dtype %s', (descr, message) => {
    const bytes = rawNpy(header(descr), new Uint8Array(16));
    expect(() => decodeNpy(bytes)).toThrow(message);
    expect(() => decodeNpy(bytes)).toThrow(UnsupportedDtypeError);
  });
});

describe('encodeNpy validates its input', () => {
  it.each([
    [
      'data has 5 elements but the shape needs 6',
      { dtype: '<f8', shape: [2, 3], data: new Float64Array(5) },
    ],
    [
      'data has 0 elements but the shape needs 1',
      { dtype: '<f8', shape: [], data: new Float64Array(0) },
    ],
    [
      'dtype <f4 needs a Float32Array as data, got Float64Array',
      { dtype: '<f4', shape: [1], data: Float64Array.of(1) },
    ],
    ['dtype <i8 needs a BigInt64Array as data, got Array', { dtype: '<i8', shape: [1], data: [1] }],
    [
      'dtype |b1 needs an array of booleans as data, got Uint8Array',
      { dtype: '|b1', shape: [1], data: Uint8Array.of(1) },
    ],
    [
      'shape must be an array of non-negative integers, got [-1]',
      { dtype: '<f8', shape: [-1], data: new Float64Array(0) },
    ],
    [
      'shape must be an array of non-negative integers, got [1.5]',
      { dtype: '<f8', shape: [1.5], data: new Float64Array(1) },
    ],
    ['element 0 is 4 bytes long, wider than |S3', { dtype: '|S3', shape: [1], data: ['abcd'] }],
    ['element 0 is 6 bytes long, wider than |S3', { dtype: '|S3', shape: [1], data: ['äää'] }],
    [
      'element 1 has 3 characters, more than <U2 holds',
      { dtype: '<U2', shape: [2], data: ['ab', 'abc'] },
    ],
    ['element 0 must be a string, got number', { dtype: '<U2', shape: [1], data: [5] }],
    ['element 0 must be a boolean, got number', { dtype: '|b1', shape: [1], data: [1] }],
    [
      'record 0, field "b" is missing',
      { dtype: "[('a', '<i4'), ('b', '<f8')]", shape: [1], data: [{ a: 1 }] },
    ],
    [
      'record 1, field "a" must be an integer from -2147483648 to 2147483647, got 2147483648',
      { dtype: "[('a', '<i4')]", shape: [2], data: [{ a: 1 }, { a: 2 ** 31 }] },
    ],
    [
      'record 0, field "a" must be an integer from 0 to 255, got 1.5',
      { dtype: "[('a', '|u1')]", shape: [1], data: [{ a: 1.5 }] },
    ],
    [
      'record 0, field "a" must be an integer from 0 to 18446744073709551615, got -1',
      { dtype: "[('a', '<u8')]", shape: [1], data: [{ a: -1n }] },
    ],
    ['record 0 must be an object, got null', { dtype: "[('a', '<f8')]", shape: [1], data: [null] }],
  ])('%s', (message, array) => {
    expect(() => encodeNpy(array as never)).toThrow(InvalidArrayError);
    expect(() => encodeNpy(array as never)).toThrow(message);
  });

  it.each([
    ['float64', /Unsupported dtype 'float64'/],
    ['|O', /object arrays/],
    ['<c16', /complex/],
    ['[(', /Cannot parse dtype/],
  ])('refuses the dtype %s', (dtype, message) => {
    const array = { dtype, shape: [0], data: [] };
    expect(() => encodeNpy(array)).toThrow(UnsupportedDtypeError);
    expect(() => encodeNpy(array)).toThrow(message);
  });
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npz-corrupt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A zip with arbitrary entries, for archives writeNpz would never make. */
async function zipOf(files: [string, Buffer][]): Promise<Buffer> {
  const archive = new ZipArchive({ store: true });
  const chunks: Buffer[] = [];
  const done = pipeline(
    archive,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    }),
  );
  for (const [name, data] of files) archive.append(data, { name });
  await Promise.all([done, archive.finalize()]);
  return Buffer.concat(chunks);
}

/** Rewrites one field of every central directory header (offsets per the zip spec). */
function patchCentral(zip: Buffer, offset: number, size: 2 | 4, value: number): Buffer {
  const out = Buffer.from(zip);
  for (
    let at = out.indexOf('PK\x01\x02', 0, 'latin1');
    at >= 0;
    at = out.indexOf('PK\x01\x02', at + 4, 'latin1')
  ) {
    if (size === 2) out.writeUInt16LE(value, at + offset);
    else out.writeUInt32LE(value, at + offset);
  }
  return out;
}

describe('readNpz refuses corrupt archives', () => {
  it('refuses entries that are not .npy arrays', async () => {
    const zip = await zipOf([
      ['a.npy', f8()],
      ['notes.txt', Buffer.from('hello')],
    ]);
    await expect(readNpz(zip)).rejects.toThrow(CorruptNpzError);
    await expect(readNpz(zip)).rejects.toThrow(
      'The .npz entry "notes.txt" is not an .npy array; an .npz holds only those',
    );
  });

  it('skips directory entries', async () => {
    const zip = await zipOf([
      ['dir/', Buffer.alloc(0)],
      ['dir/a.npy', f8()],
    ]);
    expect(Object.keys(await readNpz(zip))).toEqual(['dir/a']);
  });

  it('refuses two entries of the same name', async () => {
    const zip = await zipOf([
      ['a.npy', f8()],
      ['a.npy', f8()],
    ]);
    await expect(readNpz(zip)).rejects.toThrow('The .npz holds two entries named "a.npy"');
  });

  it('names the entry holding a corrupt .npy', async () => {
    const zip = await zipOf([['bad.npy', f8().subarray(0, 140)]]);
    await expect(readNpz(zip)).rejects.toThrow(CorruptNpyError);
    await expect(readNpz(zip)).rejects.toThrow(/^bad\.npy: Truncated .npy data/);
  });

  it('refuses what is not a zip, or a truncated one', async () => {
    const npz = await writeNpz({ a: { dtype: '<f8', shape: [3], data: Float64Array.of(1, 2, 3) } });
    for (const bytes of [
      f8(),
      Buffer.alloc(0),
      npz.subarray(0, npz.length - 30),
      npz.subarray(0, 100),
    ]) {
      await expect(readNpz(bytes)).rejects.toThrow(CorruptNpzError);
      await expect(readNpz(bytes)).rejects.toThrow(/^Not a readable .npz \(zip\) archive: /);
    }
  });

  it('notices a flipped bit in a stored entry (CRC-32)', async () => {
    const npz = await writeNpz({ a: { dtype: '<f8', shape: [3], data: Float64Array.of(1, 2, 3) } });
    const at = npz.indexOf(Buffer.from('0000000000000840', 'hex')); // 3.0 in the stored data
    npz[at + 7]! ^= 0x01;
    await expect(readNpz(npz)).rejects.toThrow('The .npz entry a.npy fails its CRC-32 check');
  });

  it('refuses compression methods numpy never uses', async () => {
    const zip = patchCentral(await zipOf([['a.npy', f8()]]), 10, 2, 12); // 12: bzip2
    await expect(readNpz(zip)).rejects.toThrow(
      'The .npz entry a.npy is compressed with method 12; only stored and deflated entries are read',
    );
  });

  it('reports a missing file as not found', async () => {
    await expect(readNpz(join(dir, 'missing.npz'))).rejects.toMatchObject({
      kind: 'not-found',
      code: 'NPZ_NOT_FOUND',
    });
  });
});

describe('readNpz guards against zip bombs', () => {
  // 64 MB of zeros deflate to about 64 kB.
  const zeros = { dtype: '|u1', shape: [64 * 2 ** 20], data: new Uint8Array(64 * 2 ** 20) };

  it('stops at maxUncompressedBytes, before inflating', async () => {
    const bomb = await writeNpz({ a: zeros, b: zeros }, { compress: true });
    expect(bomb.length).toBeLessThan(300_000);
    await expect(readNpz(bomb, { maxUncompressedBytes: 100 * 2 ** 20 })).rejects.toThrow(
      NpzTooLargeError,
    );
    await expect(readNpz(bomb, { maxUncompressedBytes: 100 * 2 ** 20 })).rejects.toMatchObject({
      kind: 'too-large',
      message: /^The .npz unpacks to more than 104857600 bytes \(at entry b.npy\)/,
    });
    expect(Object.keys(await readNpz(bomb, { maxUncompressedBytes: 200 * 2 ** 20 }))).toEqual([
      'a',
      'b',
    ]);
  });

  it('caps at 1 GiB by default', async () => {
    // An entry claiming 2 GiB: refused from the central directory, nothing inflated.
    const npz = await writeNpz(
      { a: { dtype: '<f8', shape: [1], data: Float64Array.of(1) } },
      { compress: true },
    );
    const zip = patchCentral(npz, 24, 4, 2 ** 31);
    await expect(readNpz(zip)).rejects.toThrow(NpzTooLargeError);
    await expect(readNpz(zip)).rejects.toThrow(/more than 1073741824 bytes/);
  });

  it('does not trust an entry that claims less than it inflates to', async () => {
    const bomb = await writeNpz({ a: zeros }, { compress: true });
    const liar = patchCentral(bomb, 24, 4, 1000);
    await expect(readNpz(liar)).rejects.toThrow(CorruptNpzError);
    await expect(readNpz(liar)).rejects.toThrow(
      /too many bytes in the stream|longer than it claims/,
    );
  });
});
