// The data elements of a Level 5 MAT-file: tags, and the header of a miMATRIX element (class,
// flags, dimensions, name and where its values start), parsed from a prefix of the element.

import type { MatClass, MatrixVariableInfo } from '../types.js';
import { describeDimensions, type StorageType } from '../decode.js';

export const miMATRIX = 14;
export const miCOMPRESSED = 15;

/** Storage types of numeric data elements (miINT8 ... miUINT64), endianness added per file. */
export const STORAGE: Readonly<Record<number, Omit<StorageType, 'littleEndian'>>> = {
  1: { kind: 'int', size: 1 },
  2: { kind: 'uint', size: 1 },
  3: { kind: 'int', size: 2 },
  4: { kind: 'uint', size: 2 },
  5: { kind: 'int', size: 4 },
  6: { kind: 'uint', size: 4 },
  7: { kind: 'float', size: 4 },
  9: { kind: 'float', size: 8 },
  12: { kind: 'int', size: 8 },
  13: { kind: 'uint', size: 8 },
};

const NUMERIC_CLASSES: Readonly<Record<number, MatClass>> = {
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};

const OTHER_CLASSES: Readonly<Record<number, string>> = {
  1: 'cell array',
  2: 'struct',
  3: 'MATLAB object',
  4: 'char array',
  5: 'sparse matrix',
  16: 'function handle',
  17: 'MATLAB object',
};

const FLAG_COMPLEX = 0x08;
const FLAG_LOGICAL = 0x02;

/** Thrown while parsing a header from a prefix of an element: read more and try again. */
export class NeedMore extends Error {}

interface Tag {
  type: number;
  size: number;
  /** Offset of the element's data within the parsed buffer. */
  data: number;
  /** Offset of the next element (data padded to 8 bytes). */
  next: number;
}

export class Cursor {
  constructor(
    private readonly buf: Uint8Array,
    private readonly littleEndian: boolean,
    /** The buffer holds the whole element: running past its end is corruption, not a short read. */
    private readonly complete: boolean,
    private readonly corrupt: (problem: string, at: number) => Error,
  ) {}

  private ensure(at: number, bytes: number): void {
    if (at + bytes <= this.buf.length) return;
    if (this.complete) throw this.corrupt('data element runs past the end of its parent', at);
    throw new NeedMore();
  }

  u32(at: number): number {
    this.ensure(at, 4);
    const b = this.buf;
    return this.littleEndian
      ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
      : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  i32(at: number): number {
    return this.u32(at) | 0;
  }

  /** A data element tag, in the normal (8-byte) or small (4-byte, data inline) format. */
  tag(at: number): Tag {
    const first = this.u32(at);
    if (first >>> 16 !== 0) {
      return { type: first & 0xffff, size: first >>> 16, data: at + 4, next: at + 8 };
    }
    const size = this.u32(at + 4);
    return { type: first, size, data: at + 8, next: at + 8 + Math.ceil(size / 8) * 8 };
  }

  bytes(at: number, length: number): Uint8Array {
    this.ensure(at, length);
    return this.buf.subarray(at, at + length);
  }
}

export interface MatrixHeader {
  name: string;
  info: Omit<MatrixVariableInfo, 'name'>;
  /** Set for a readable numeric matrix: its values' storage type and where they start. */
  values?: { type: number; size: number; data: number; inline: boolean };
}

/**
 * Parses the header of a miMATRIX element held (perhaps partly) in `buf`, which starts at the
 * element's tag. Throws NeedMore when `buf` is a prefix too short to hold it.
 */
export function parseMatrixHeader(
  cursor: Cursor,
  corrupt: (problem: string, at: number) => Error,
): MatrixHeader {
  const matrix = cursor.tag(0);
  if (matrix.type !== miMATRIX)
    throw corrupt(`expected a miMATRIX element, found type ${matrix.type}`, 0);
  if (matrix.size === 0) {
    // MATLAB writes empty cells' contents so; at top level it is an empty double matrix.
    return { name: '', info: { class: 'double', dimensions: [0, 0] } };
  }
  const flagsTag = cursor.tag(matrix.data);
  if (flagsTag.size < 8) throw corrupt('array flags element too short', matrix.data);
  const flags = cursor.u32(flagsTag.data);
  const classId = flags & 0xff;
  const bits = (flags >>> 8) & 0xff;

  const dimsTag = cursor.tag(flagsTag.next);
  if (dimsTag.size < 8 || dimsTag.size % 4 !== 0)
    throw corrupt('bad dimensions element', flagsTag.next);
  const dimensions: number[] = [];
  for (let i = 0; i < dimsTag.size / 4; i++) {
    const d = cursor.i32(dimsTag.data + 4 * i);
    if (d < 0) throw corrupt(`negative dimension ${d}`, dimsTag.data + 4 * i);
    dimensions.push(d);
  }

  const nameTag = cursor.tag(dimsTag.next);
  const name = Buffer.from(cursor.bytes(nameTag.data, nameTag.size)).toString('utf8');

  const numeric = NUMERIC_CLASSES[classId];
  const logical = (bits & FLAG_LOGICAL) !== 0;
  const matClass: MatClass | undefined =
    numeric === undefined ? undefined : logical ? 'logical' : numeric;
  const other = OTHER_CLASSES[classId];
  if (other !== undefined || numeric === undefined) {
    const sparseClass: MatClass = logical ? 'logical' : 'double';
    return {
      name,
      info: {
        class: classId === 5 ? sparseClass : undefined,
        dimensions,
        unsupported: other ?? `array of unknown class ${classId}`,
      },
    };
  }
  if ((bits & FLAG_COMPLEX) !== 0) {
    return { name, info: { class: matClass, dimensions, unsupported: 'complex matrix' } };
  }
  if (dimensions.length > 2) {
    return {
      name,
      info: { class: matClass, dimensions, unsupported: describeDimensions(dimensions) },
    };
  }
  const real = cursor.tag(nameTag.next);
  const inline = real.next - real.data === 4 && real.size <= 4 && real.data === nameTag.next + 4;
  if (real.data + real.size > matrix.data + matrix.size) {
    throw corrupt('real part runs past the end of its matrix', nameTag.next);
  }
  return {
    name,
    info: { class: matClass, dimensions },
    values: { type: real.type, size: real.size, data: real.data, inline },
  };
}
