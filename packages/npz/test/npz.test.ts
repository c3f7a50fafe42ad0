import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import {
  InvalidArrayError,
  jsonFromNpy,
  npyFromJson,
  readNpz,
  writeNpz,
  writeNpzStream,
  type NpyArray,
} from '../src/index.js';
import { CASES } from './helpers/arrays.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'npz-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every case as one archive, under a name a Python identifier could not be. */
const entries: Record<string, NpyArray> = Object.fromEntries(
  CASES.map(({ name, array }) => [name, array]),
);
const expected = Object.fromEntries(
  CASES.map(({ name, array, decodedDtype }) => [
    name,
    { ...array, dtype: decodedDtype ?? array.dtype },
  ]),
);

describe.each([
  { compress: false, method: 0 },
  { compress: true, method: 8 },
])('npz with compress: $compress', ({ compress, method }) => {
  it('reads back every dtype and shape', async () => {
    const npz = await writeNpz(entries, { compress });
    expect(await readNpz(npz)).toEqual(expected);
  });

  it('uses the compression method numpy.savez / savez_compressed use', async () => {
    const npz = await writeNpz({ a: CASES[0]!.array }, { compress });
    // The first local file header: signature PK\x03\x04, then method at offset 8.
    expect(npz.readUInt32LE(0)).toBe(0x04034b50);
    expect(npz.readUInt16LE(8)).toBe(method);
  });

  it('streams into a file that readNpz reads by path', async () => {
    const path = join(dir, `stream-${compress}.npz`);
    await writeNpzStream(entries, createWriteStream(path), { compress });
    expect(await readNpz(path)).toEqual(expected);
  });
});

describe('writeNpz', () => {
  it('names entries <key>.npy, keys with slashes and non-ASCII included', async () => {
    const array = { dtype: '|u1', shape: [1], data: Uint8Array.of(1) };
    const npz = await writeNpz({ 'a/b': array, höhe: array });
    expect(Object.keys(await readNpz(npz)).sort()).toEqual(['a/b', 'höhe']);
    expect(npz.includes('a/b.npy')).toBe(true);
  });

  it('writes the same bytes for the same arrays (fixed entry dates)', async () => {
    const first = await writeNpz(entries, { compress: true });
    expect((await writeNpz(entries, { compress: true })).equals(first)).toBe(true);
    // Equal bytes alone could be two writes within one zip time step (2 s): the dates must be
    // the fixed 1980-01-01 (in local time, so up to a day off in UTC), not the clock's.
    const zip = await yauzl.fromBufferPromise(first, { lazyEntries: true });
    const dates: number[] = [];
    for await (const entry of zip.eachEntry()) dates.push(entry.getLastModDate().getTime());
    expect(dates).toHaveLength(Object.keys(entries).length);
    for (const date of dates) {
      expect(date).toBeGreaterThanOrEqual(Date.UTC(1979, 11, 31));
      expect(date).toBeLessThanOrEqual(Date.UTC(1980, 0, 2));
    }
  });

  it('writes an empty archive for no entries, as numpy.savez() does', async () => {
    expect(await readNpz(await writeNpz({}))).toEqual({});
  });

  it('compresses what compresses', async () => {
    const zeros = { z: { dtype: '<f8', shape: [100_000], data: new Float64Array(100_000) } };
    expect((await writeNpz(zeros)).length).toBeGreaterThan(800_000);
    expect((await writeNpz(zeros, { compress: true })).length).toBeLessThan(5_000);
  });

  it('carries OpenQuake-style JSON', async () => {
    const oqparam = {
      calculation_mode: 'scenario',
      sites: [[9.15, 45.18]],
      description: 'Ünïcode',
    };
    const back = await readNpz(await writeNpz({ json: npyFromJson(oqparam) }));
    expect(jsonFromNpy(back.json!)).toEqual(oqparam);
  });
});

describe('writeNpzStream failures', () => {
  it('checks every array before writing a byte', async () => {
    const written: Buffer[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    const bad = { dtype: '<f8', shape: [3], data: Float64Array.of(1, 2) };
    const failure = writeNpzStream({ good: CASES[0]!.array, bad }, destination);
    await expect(failure).rejects.toBeInstanceOf(InvalidArrayError);
    await expect(failure).rejects.toThrow('bad: data has 2 elements but the shape needs 3');
    expect(written).toHaveLength(0);
    expect(destination.writableEnded).toBe(false);
  });

  it('names the entry whose array is wrong', async () => {
    const bad = { dtype: '<f4', shape: [1], data: Float64Array.of(1) };
    await expect(writeNpz({ bad })).rejects.toMatchObject({
      code: 'INVALID_NPY_ARRAY',
      message: 'bad: dtype <f4 needs a Float32Array as data, got Float64Array',
      details: { entry: 'bad' },
    });
  });

  it('rejects (and does not hang) when the destination fails', async () => {
    const destination = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    await expect(writeNpzStream(entries, destination, { compress: true })).rejects.toThrow(
      'disk full',
    );
  });

  it('refuses keys a zip reader would refuse', async () => {
    const array = { dtype: '|u1', shape: [0], data: new Uint8Array(0) };
    for (const [key, problem] of [
      ['', 'is empty'],
      ['../up', 'has a ".." segment'],
      ['/abs', 'is an absolute path'],
      ['C:x', 'is an absolute path'],
      ['back\\slash', 'contains a backslash'],
    ]) {
      await expect(writeNpz({ [key!]: array })).rejects.toMatchObject({
        code: 'INVALID_NPZ_KEY',
        message: `The .npz entry name ${JSON.stringify(key)} ${problem}`,
      });
    }
  });
});

describe('readNpz', () => {
  it('reads a file path and a Buffer the same way', async () => {
    const path = join(dir, 'same.npz');
    const npz = await writeNpz(entries);
    await writeNpzStream(entries, createWriteStream(path));
    expect(await readFile(path)).toEqual(npz);
    expect(await readNpz(path)).toEqual(await readNpz(new Uint8Array(npz)));
  });
});
