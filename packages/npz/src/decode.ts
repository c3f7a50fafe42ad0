import { dataView, setOwn, swapBytes, typedArrayClass } from './containers.js';
import { HOST_LITTLE_ENDIAN, type Dtype, type ScalarDtype, type StructDtype } from './dtype.js';
import { CorruptNpyError } from './errors.js';
import type { NpyData } from './types.js';

/** Elements from their bytes (exactly count × itemsize of them), converted to host order. */
export function decodeElements(bytes: Uint8Array, dtype: Dtype, count: number): NpyData {
  if (dtype.kind === 'struct') return decodeRecords(bytes, dtype, count);
  const Typed = typedArrayClass(dtype);
  if (Typed) {
    // A copy: aligned for the typed array, and independent of the (maybe much larger) input.
    const copy = new Uint8Array(bytes);
    if (dtype.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(copy, dtype.size);
    return new Typed(copy.buffer, 0, count);
  }
  const view = dataView(bytes);
  const read = readerFor(dtype);
  const out: unknown[] = new Array<unknown>(count);
  for (let i = 0; i < count; i++) out[i] = read(view, i * dtype.size, i);
  return out as boolean[] | string[] | Uint8Array[];
}

function decodeRecords(
  bytes: Uint8Array,
  dtype: StructDtype,
  count: number,
): Record<string, unknown>[] {
  const view = dataView(bytes);
  const fields = dtype.fields
    .filter((field) => field.name !== '')
    .map((field) => ({ ...field, read: readerFor(field.dtype) }));
  const records = new Array<Record<string, unknown>>(count);
  for (let i = 0; i < count; i++) {
    const base = i * dtype.size;
    const record: Record<string, unknown> = {};
    for (const field of fields)
      setOwn(record, field.name, field.read(view, base + field.offset, i));
    records[i] = record;
  }
  return records;
}

type Reader = (view: DataView, offset: number, index: number) => unknown;

export function readerFor(dtype: ScalarDtype): Reader {
  const le = dtype.littleEndian;
  const { size } = dtype;
  switch (
    `${dtype.kind}${dtype.kind === 'S' || dtype.kind === 'U' || dtype.kind === 'V' ? '' : size}`
  ) {
    case 'f4':
      return (view, offset) => view.getFloat32(offset, le);
    case 'f8':
      return (view, offset) => view.getFloat64(offset, le);
    case 'i1':
      return (view, offset) => view.getInt8(offset);
    case 'i2':
      return (view, offset) => view.getInt16(offset, le);
    case 'i4':
      return (view, offset) => view.getInt32(offset, le);
    case 'i8':
      return (view, offset) => view.getBigInt64(offset, le);
    case 'u1':
      return (view, offset) => view.getUint8(offset);
    case 'u2':
      return (view, offset) => view.getUint16(offset, le);
    case 'u4':
      return (view, offset) => view.getUint32(offset, le);
    case 'u8':
      return (view, offset) => view.getBigUint64(offset, le);
    case 'b1':
      return (view, offset) => view.getUint8(offset) !== 0;
    case 'S':
      return (view, offset) => {
        let end = size;
        while (end > 0 && view.getUint8(offset + end - 1) === 0) end--;
        return new Uint8Array(view.buffer, view.byteOffset + offset, end).slice();
      };
    case 'U':
      return (view, offset, index) => decodeUtf32(view, offset, size / 4, le, index);
    default:
      return () => undefined;
  }
}

/** `<U<n>`: n UTF-32 code points, trailing NULs dropped (numpy drops them too). */
function decodeUtf32(
  view: DataView,
  offset: number,
  length: number,
  le: boolean,
  index: number,
): string {
  let end = length;
  while (end > 0 && view.getUint32(offset + (end - 1) * 4, le) === 0) end--;
  let text = '';
  const codes: number[] = [];
  for (let k = 0; k < end; k++) {
    const code = view.getUint32(offset + k * 4, le);
    if (code > 0x10ffff) {
      throw new CorruptNpyError(
        `Element ${index} holds 0x${code.toString(16)}, which is not a Unicode code point`,
      );
    }
    codes.push(code);
    // fromCodePoint takes its arguments on the stack: convert long strings in slices.
    if (codes.length === 4096) {
      text += String.fromCodePoint(...codes);
      codes.length = 0;
    }
  }
  return text + String.fromCodePoint(...codes);
}
