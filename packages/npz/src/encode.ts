import { dataView, describe, swapBytes, typedArrayClass, type TypedArray } from './containers.js';
import { readerFor } from './decode.js';
import { HOST_LITTLE_ENDIAN, type Dtype, type ScalarDtype } from './dtype.js';
import { InvalidArrayError } from './errors.js';
import type { NpyData } from './types.js';

/**
 * Writes data that passed checkData (containers.ts) into `out`, which must be zero-filled: string
 * padding and struct padding are the zeros left in place. Elements that do not fit their
 * dtype (a string too wide, 3.5 for an integer) throw an InvalidArrayError naming them.
 */
export function encodeElements(data: NpyData, dtype: Dtype, out: Uint8Array): void {
  const Typed = typedArrayClass(dtype);
  if (Typed && dtype.kind !== 'struct') {
    const typed = data as TypedArray;
    out.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
    if (dtype.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(out, dtype.size);
    return;
  }
  const view = dataView(out);
  const items = data as unknown[];
  if (dtype.kind !== 'struct') {
    const write = writerFor(dtype);
    for (let i = 0; i < items.length; i++) {
      const problem = write(view, i * dtype.size, items[i]);
      if (problem !== undefined) throw elementError(`element ${i}`, problem);
    }
    return;
  }
  const fields = dtype.fields
    .filter((field) => field.name !== '')
    .map((field) => ({ ...field, write: writerFor(field.dtype) }));
  for (let i = 0; i < items.length; i++) {
    const record = items[i];
    if (record === null || typeof record !== 'object') {
      throw elementError(`record ${i}`, `must be an object, got ${describe(record)}`);
    }
    for (const field of fields) {
      const value = Object.hasOwn(record, field.name)
        ? (record as Record<string, unknown>)[field.name]
        : undefined;
      const problem =
        value === undefined
          ? 'is missing'
          : field.write(view, i * dtype.size + field.offset, value);
      if (problem !== undefined) throw elementError(`record ${i}, field "${field.name}"`, problem);
    }
  }
}

function elementError(where: string, problem: string): InvalidArrayError {
  return new InvalidArrayError(`${where} ${problem}`, { element: where });
}

/** Writes one value; returns what is wrong with it instead of writing, if anything. */
type Writer = (view: DataView, offset: number, value: unknown) => string | undefined;

const INTEGER_RANGES: Record<string, readonly [bigint, bigint]> = {
  i1: [-(2n ** 7n), 2n ** 7n - 1n],
  i2: [-(2n ** 15n), 2n ** 15n - 1n],
  i4: [-(2n ** 31n), 2n ** 31n - 1n],
  i8: [-(2n ** 63n), 2n ** 63n - 1n],
  u1: [0n, 2n ** 8n - 1n],
  u2: [0n, 2n ** 16n - 1n],
  u4: [0n, 2n ** 32n - 1n],
  u8: [0n, 2n ** 64n - 1n],
};

const encoder = new TextEncoder();

function writerFor(dtype: ScalarDtype): Writer {
  const le = dtype.littleEndian;
  const { kind, size } = dtype;
  const name = `${kind}${size}`;
  if (kind === 'f') {
    return (view, offset, value) => {
      if (typeof value !== 'number') return `must be a number, got ${describe(value)}`;
      if (size === 4) view.setFloat32(offset, value, le);
      else view.setFloat64(offset, value, le);
      return undefined;
    };
  }
  if (kind === 'i' || kind === 'u') {
    const [min, max] = INTEGER_RANGES[name]!;
    // Plain numbers are compared as numbers (no BigInt per value); beyond 2^53 they are
    // inexact, so eight-byte fields take only safe integers as numbers, bigints beyond.
    const [minNumber, maxNumber] = [Number(min), Number(max)];
    return (view, offset, value) => {
      const fits =
        typeof value === 'number'
          ? Number.isSafeInteger(value) && value >= minNumber && value <= maxNumber
          : typeof value === 'bigint' && value >= min && value <= max;
      if (!fits) {
        const got =
          typeof value === 'number' || typeof value === 'bigint' ? String(value) : describe(value);
        return `must be an integer from ${min} to ${max}, got ${got}`;
      }
      writeInteger(view, offset, name, value, le);
      return undefined;
    };
  }
  if (kind === 'b') {
    return (view, offset, value) => {
      if (typeof value !== 'boolean') return `must be a boolean, got ${describe(value)}`;
      view.setUint8(offset, value ? 1 : 0);
      return undefined;
    };
  }
  if (kind === 'S') {
    return (view, offset, value) => {
      const bytes = typeof value === 'string' ? encoder.encode(value) : value;
      if (!(bytes instanceof Uint8Array))
        return `must be a Uint8Array or a string, got ${describe(value)}`;
      if (bytes.length > size) return `is ${bytes.length} bytes long, wider than |S${size}`;
      new Uint8Array(view.buffer, view.byteOffset + offset, size).set(bytes);
      return undefined;
    };
  }
  if (kind === 'U') {
    const length = size / 4;
    return (view, offset, value) => {
      if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
      let k = 0;
      for (const char of value) {
        if (k === length) {
          return `has ${[...value].length} characters, more than <U${length} holds`;
        }
        view.setUint32(offset + k * 4, char.codePointAt(0)!, le);
        k++;
      }
      return undefined;
    };
  }
  return () => undefined; // padding stays zero
}

function writeInteger(
  view: DataView,
  offset: number,
  name: string,
  value: unknown,
  le: boolean,
): void {
  switch (name) {
    case 'i1':
      return view.setInt8(offset, Number(value));
    case 'i2':
      return view.setInt16(offset, Number(value), le);
    case 'i4':
      return view.setInt32(offset, Number(value), le);
    case 'i8':
      return view.setBigInt64(offset, BigInt(value as number | bigint), le);
    case 'u1':
      return view.setUint8(offset, Number(value));
    case 'u2':
      return view.setUint16(offset, Number(value), le);
    case 'u4':
      return view.setUint32(offset, Number(value), le);
    default:
      return view.setBigUint64(offset, BigInt(value as number | bigint), le);
  }
}

/**
 * Converts values of one dtype to what decoding would return (a number for `<i4`, a bigint
 * for `<i8`, bytes for `|S`), or says why a value does not fit: npyFromRecords stores that,
 * so its records equal the ones read back from the file.
 */
export function valueNormalizer(
  dtype: ScalarDtype,
): (value: unknown) => { value: unknown } | { problem: string } {
  const write = writerFor(dtype);
  const read = readerFor(dtype);
  const scratch = new DataView(new ArrayBuffer(dtype.size));
  return (value) => {
    new Uint8Array(scratch.buffer).fill(0);
    const problem = write(scratch, 0, value);
    return problem === undefined ? { value: read(scratch, 0, 0) } : { problem };
  };
}
