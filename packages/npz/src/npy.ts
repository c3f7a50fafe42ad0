import { constants } from 'node:buffer';
import { checkData } from './containers.js';
import { decodeElements } from './decode.js';
import { encodeElements } from './encode.js';
import { dtypeText, littleEndian, parseDtype, type Dtype } from './dtype.js';
import { CorruptNpyError, InvalidArrayError } from './errors.js';
import { decodeHeader, encodeHeader } from './header.js';
import type { NpyArray } from './types.js';

/**
 * The .npy file numpy.save would write for an array: format 1.0 (2.0 or 3.0 only when the
 * header needs it), C order, data starting on a 64-byte boundary. Big-endian dtypes (`>f8`)
 * are written big-endian.
 */
export function encodeNpy(array: NpyArray): Buffer {
  const { dtype, count } = checkArray(array);
  const header = encodeHeader(dtype, array.shape);
  const dataLength = count * dtype.size;
  if (header.length + dataLength > constants.MAX_LENGTH) {
    throw new InvalidArrayError(
      `The array is ${dataLength} bytes, more than one Buffer can hold (${constants.MAX_LENGTH})`,
    );
  }
  const out = Buffer.alloc(header.length + dataLength);
  header.copy(out, 0);
  encodeElements(array.data, dtype, out.subarray(header.length));
  return out;
}

/** Validates the parts of an array that do not need its elements; returns its dtype and size. */
export function checkArray(array: NpyArray): { dtype: Dtype; count: number } {
  if (array === null || typeof array !== 'object') {
    throw new InvalidArrayError('An NpyArray must be an object { dtype, shape, data }');
  }
  const dtype = parseDtype(array.dtype);
  const { shape } = array;
  if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new InvalidArrayError(
      `shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  const count = elementCount(shape);
  checkData(array.data, dtype, count, array.dtype);
  return { dtype, count };
}

export function decodeNpy(bytes: Uint8Array): NpyArray {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArrayError('decodeNpy needs the bytes of an .npy file as a Uint8Array');
  }
  const { dtype, shape, fortranOrder, dataOffset } = decodeHeader(bytes);
  const count = elementCount(shape, CorruptNpyError);
  const needed = count * dtype.size;
  const found = bytes.length - dataOffset;
  if (found !== needed) {
    const what = found < needed ? 'Truncated .npy data' : 'Unexpected bytes after the .npy data';
    throw new CorruptNpyError(
      `${what}: shape (${shape.join(', ')}) of ${dtypeText(dtype)} needs ${needed} bytes, ` +
        `the file has ${found}`,
      { needed, found },
    );
  }
  let body = bytes.subarray(dataOffset);
  if (fortranOrder && shape.length > 1) body = fortranToC(body, shape, dtype.size);
  return {
    // The data is now in host (little-endian) order, whatever the file's order was.
    dtype: dtypeText(littleEndian(dtype)),
    shape,
    data: decodeElements(body, dtype, count),
  };
}

function elementCount(
  shape: readonly number[],
  ErrorClass: typeof InvalidArrayError | typeof CorruptNpyError = InvalidArrayError,
): number {
  const count = shape.reduce((product, n) => product * n, 1);
  if (!Number.isSafeInteger(count)) {
    throw new ErrorClass(`shape (${shape.join(', ')}) has too many elements`);
  }
  return count;
}

/**
 * Elements stored column-major (numpy's fortran_order: True, as a transposed array is saved),
 * rearranged into the row-major order NpyArray promises.
 */
function fortranToC(bytes: Uint8Array, shape: readonly number[], itemSize: number): Uint8Array {
  const count = elementCount(shape);
  const out = new Uint8Array(count * itemSize);
  const strides: number[] = [];
  let stride = 1;
  for (const n of shape) {
    strides.push(stride);
    stride *= n;
  }
  const index = shape.map(() => 0);
  let source = 0; // the Fortran-order position of the element at C-order position i
  for (let i = 0; i < count; i++) {
    out.set(bytes.subarray(source * itemSize, (source + 1) * itemSize), i * itemSize);
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += strides[axis]!;
      if (index[axis]! < shape[axis]!) break;
      source -= strides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}
