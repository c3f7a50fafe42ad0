// Numeric storage types shared by the readers, and their conversion to Float64Array.

/** How the values of a stored array are laid out: element type, size and byte order. */
export interface StorageType {
  kind: 'int' | 'uint' | 'float';
  /** Bytes per value: 1, 2, 4 or 8. */
  size: 1 | 2 | 4 | 8;
  littleEndian: boolean;
}

const nativeLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Converts `count` values held at the start of `bytes` to a fresh Float64Array. `bytes` must be
 * owned by the caller and start at offset 0 of its buffer (so typed-array views are aligned): it
 * may be byte-swapped in place, and for native doubles its buffer becomes the result, so
 * callers that assemble a column in a fresh buffer pay no extra copy.
 */
export function decodeOwned(bytes: Uint8Array, type: StorageType, count: number): Float64Array {
  const { kind, size } = type;
  if (bytes.byteOffset !== 0 || bytes.byteLength < count * size) {
    throw new RangeError('decodeOwned needs an aligned buffer holding every value');
  }
  if (size > 1 && type.littleEndian !== nativeLittleEndian) {
    const swapped = Buffer.from(bytes.buffer, 0, count * size);
    if (size === 2) swapped.swap16();
    else if (size === 4) swapped.swap32();
    else swapped.swap64();
  }
  const buffer = bytes.buffer;
  if (kind === 'float' && size === 8) {
    return buffer.byteLength === count * 8
      ? new Float64Array(buffer, 0, count)
      : new Float64Array(buffer.slice(0, count * 8));
  }
  if (size === 8) {
    // BigInt arrays cannot be `set` into a Float64Array; MATLAB int64 data is rare enough.
    const big =
      kind === 'int' ? new BigInt64Array(buffer, 0, count) : new BigUint64Array(buffer, 0, count);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = Number(big[i]);
    return out;
  }
  const out = new Float64Array(count);
  out.set(view(buffer, kind, size, count));
  return out;
}

/** `decodeOwned` for bytes the caller keeps (copies them first). */
export function decode(bytes: Uint8Array, type: StorageType, count: number): Float64Array {
  // `new Uint8Array(typedArray)` copies even for a Buffer, whose `slice` would be a view.
  return decodeOwned(new Uint8Array(bytes.subarray(0, count * type.size)), type, count);
}

function view(
  buffer: ArrayBufferLike,
  kind: StorageType['kind'],
  size: 1 | 2 | 4,
  count: number,
): ArrayLike<number> {
  if (kind === 'float') return new Float32Array(buffer, 0, count);
  if (size === 1)
    return kind === 'int' ? new Int8Array(buffer, 0, count) : new Uint8Array(buffer, 0, count);
  if (size === 2)
    return kind === 'int' ? new Int16Array(buffer, 0, count) : new Uint16Array(buffer, 0, count);
  return kind === 'int' ? new Int32Array(buffer, 0, count) : new Uint32Array(buffer, 0, count);
}

/** MATLAB's way of writing dimensions in messages: `3-D array (2 x 3 x 4)`. */
export function describeDimensions(dimensions: readonly number[]): string {
  return `${dimensions.length}-D array (${dimensions.join(' x ')})`;
}
