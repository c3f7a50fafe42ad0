/** The containers NpyArray.data comes in, and byte-level helpers shared by the codecs. */
import type { Dtype } from './dtype.js';
import { InvalidArrayError } from './errors.js';
import type { NpyData } from './types.js';

export type TypedArray = Exclude<NpyData, unknown[]>;

interface TypedArrayClass {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray;
  readonly name: string;
}

const TYPED_ARRAYS: Record<string, TypedArrayClass> = {
  f4: Float32Array,
  f8: Float64Array,
  i1: Int8Array,
  i2: Int16Array,
  i4: Int32Array,
  i8: BigInt64Array,
  u1: Uint8Array,
  u2: Uint16Array,
  u4: Uint32Array,
  u8: BigUint64Array,
};

/** The typed array that holds a numeric dtype; undefined for bool, bytes, text and records. */
export function typedArrayClass(dtype: Dtype): TypedArrayClass | undefined {
  return dtype.kind === 'struct' ? undefined : TYPED_ARRAYS[`${dtype.kind}${dtype.size}`];
}

/** What `data` must be for a dtype, in words, for error messages. */
function expectedData(dtype: Dtype): string {
  if (dtype.kind === 'struct') return 'an array of records (objects keyed by field name)';
  const typed = typedArrayClass(dtype);
  if (typed) return `a ${typed.name}`;
  const containers: Record<string, string> = {
    b: 'an array of booleans',
    S: 'an array of Uint8Arrays or strings',
    U: 'an array of strings',
  };
  return containers[dtype.kind] ?? 'nothing (raw void is not supported)';
}

/** Throws unless `data` is the right kind of container with `count` elements. */
export function checkData(data: unknown, dtype: Dtype, count: number, dtypeText: string): void {
  const typed = typedArrayClass(dtype);
  const fits = typed ? data instanceof typed : Array.isArray(data);
  if (!fits) {
    throw new InvalidArrayError(
      `dtype ${dtypeText} needs ${expectedData(dtype)} as data, got ${describe(data)}`,
      { dtype: dtypeText },
    );
  }
  const length = (data as ArrayLike<unknown>).length;
  if (length !== count) {
    throw new InvalidArrayError(`data has ${length} elements but the shape needs ${count}`, {
      elements: length,
      expected: count,
    });
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return value.constructor?.name ?? 'an object';
}

export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reverses the bytes of each element in place (Buffer's native swaps). */
export function swapBytes(bytes: Uint8Array, size: number): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size === 2) buffer.swap16();
  else if (size === 4) buffer.swap32();
  else if (size === 8) buffer.swap64();
}

/** Sets an own property, even one named `__proto__` (a field name is data, not a prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}
