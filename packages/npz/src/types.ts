/**
 * The elements of an array, in C (row-major) order. Numbers come as the typed array of their
 * dtype (`<f8` Float64Array, `<i8` BigInt64Array, `|u1` Uint8Array, ...); `|b1` as
 * booleans; `|S<n>` as byte strings without their trailing NULs; `<U<n>` as strings; a
 * structured dtype as one object per element, keyed by field name.
 */
export type NpyData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | BigUint64Array
  | Uint32Array
  | Uint16Array
  | Uint8Array
  | boolean[]
  | string[]
  | Uint8Array[]
  | Record<string, unknown>[];

/** One NumPy array: what an .npy file holds, and one entry of an .npz archive. */
export interface NpyArray {
  /**
   * numpy's `dtype.descr`: `'<f8'`, `'|S12'`, `'<U5'`, or for records a list literal such as
   * `"[('lon', '<f8'), ('lat', '<f8'), ('value', '<f4')]"`.
   */
  dtype: string;
  /** `[]` for a 0-d array (one element), `[n]` for 1-d, `[rows, columns]` for 2-d, ... */
  shape: number[];
  data: NpyData;
}

export interface WriteNpzOptions {
  /** Deflate the entries, as `numpy.savez_compressed` does; stored (as `numpy.savez`) if not. */
  compress?: boolean;
}

export interface ReadNpzOptions {
  /**
   * The most the entries may unpack to, in total, before reading stops with an
   * NpzTooLargeError: a guard against zip bombs. 1 GiB unless set.
   */
  maxUncompressedBytes?: number;
}
