import { descrLiteral, dtypeFromDescr, type Dtype } from './dtype.js';
import { CorruptNpyError } from './errors.js';
import { parsePyLiteral, PyLiteralSyntaxError, type PyValue } from './py-literal.js';

/** `\x93NUMPY`: the first six bytes of every .npy file. */
export const MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59);

/**
 * numpy ≥ 1.22 pads the preamble so the data starts on a multiple of 64 bytes (older
 * versions used 16), which lets a memory map see aligned elements; readers accept any.
 */
const ALIGNMENT = 64;

/**
 * numpy leaves room after the dict for the first axis to grow to this many digits, so a
 * writer appending rows can rewrite the shape in place. Matching it keeps our headers the
 * same length as numpy's.
 */
const GROWTH_AXIS_MAX_DIGITS = 21;

export interface NpyHeader {
  dtype: Dtype;
  shape: number[];
  fortranOrder: boolean;
  /** Where the data starts: the length of magic, version, header length and header. */
  dataOffset: number;
}

/**
 * Magic, version, header length and the header dict, padded with spaces and ended with a
 * newline. Version 1.0 unless the header needs more than 65535 bytes (2.0) or characters
 * outside latin-1, as a field name might (3.0, whose header is UTF-8).
 */
export function encodeHeader(dtype: Dtype, shape: readonly number[]): Buffer {
  const shapeText =
    shape.length === 1 ? `(${shape[0]},)` : `(${shape.map((n) => String(n)).join(', ')})`;
  let dict = `{'descr': ${descrLiteral(dtype)}, 'fortran_order': False, 'shape': ${shapeText}, }`;
  if (shape.length > 0) dict += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);

  const latin1 = !/[^\0-\xff]/.test(dict);
  const text = Buffer.from(dict, latin1 ? 'latin1' : 'utf8');
  let major = latin1 ? 1 : 3;
  let lengthSize = major === 1 ? 2 : 4;
  let padding = paddingFor(text.length, lengthSize);
  if (major === 1 && text.length + padding + 1 > 0xffff) {
    major = 2;
    lengthSize = 4;
    padding = paddingFor(text.length, lengthSize);
  }
  const headerLength = text.length + padding + 1;
  const prefixLength = MAGIC.length + 2 + lengthSize;
  const out = Buffer.alloc(prefixLength + headerLength, 0x20);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (lengthSize === 2) out.writeUInt16LE(headerLength, 8);
  else out.writeUInt32LE(headerLength, 8);
  text.copy(out, prefixLength);
  out[out.length - 1] = 0x0a;
  return out;
}

/** Spaces before the newline so the data offset is a multiple of 64; 1 to 64, as numpy. */
function paddingFor(textLength: number, lengthSize: number): number {
  const unpadded = MAGIC.length + 2 + lengthSize + textLength + 1;
  return ALIGNMENT - (unpadded % ALIGNMENT);
}

export function decodeHeader(bytes: Uint8Array): NpyHeader {
  const magicSeen = bytes.subarray(0, MAGIC.length);
  if (!magicSeen.every((byte, i) => byte === MAGIC[i])) {
    throw new CorruptNpyError('Not an .npy file: it does not start with the magic "\\x93NUMPY"');
  }
  if (bytes.length < 10) {
    throw new CorruptNpyError(
      `Truncated .npy file: ${bytes.length} bytes, fewer than its 10-byte preamble`,
    );
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0) {
    throw new CorruptNpyError(
      `Unsupported .npy format version ${major}.${minor}; this reader knows 1.0, 2.0 and 3.0`,
      { version: `${major}.${minor}` },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthSize) {
    throw new CorruptNpyError(`Truncated .npy file: ${bytes.length} bytes, preamble incomplete`);
  }
  const headerLength = lengthSize === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthSize + headerLength;
  if (dataOffset > bytes.length) {
    throw new CorruptNpyError(
      `Truncated .npy file: the header says it is ${headerLength} bytes long, but only ` +
        `${bytes.length - 8 - lengthSize} bytes follow the preamble`,
    );
  }
  const raw = bytes.subarray(8 + lengthSize, dataOffset);
  // Versions 1 and 2 are ISO-8859-1 (Node's 'latin1'; the WHATWG label means windows-1252).
  let text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch (error) {
      throw new CorruptNpyError('The .npy header (format 3.0) is not valid UTF-8', {}, error);
    }
  }
  return { ...interpret(text), dataOffset };
}

function interpret(text: string): Omit<NpyHeader, 'dataOffset'> {
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (error) {
    if (!(error instanceof PyLiteralSyntaxError)) throw error;
    throw new CorruptNpyError(`The .npy header is not a Python literal: ${error.message}`, {
      header: text.trim().slice(0, 200),
    });
  }
  const keys = ['descr', 'fortran_order', 'shape'];
  if (!(dict instanceof Map) || dict.size !== 3 || !keys.every((key) => dict.has(key))) {
    throw new CorruptNpyError(
      `The .npy header must be a dict with exactly the keys ${keys.join(', ')}`,
      { header: text.trim().slice(0, 200) },
    );
  }
  const shape = dict.get('shape');
  const fortranOrder = dict.get('fortran_order');
  if (!Array.isArray(shape) || !shape.every((n) => typeof n === 'number' && n >= 0)) {
    throw new CorruptNpyError(`The .npy header's shape is not a tuple of sizes`, {
      header: text.trim().slice(0, 200),
    });
  }
  if (typeof fortranOrder !== 'boolean') {
    throw new CorruptNpyError(`The .npy header's fortran_order is not True or False`);
  }
  return { dtype: dtypeFromDescr(dict.get('descr')!), shape: shape as number[], fortranOrder };
}
