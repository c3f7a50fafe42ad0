// MATLAB Level 5 MAT-files (versions 5 to 7.2), read by hand. Opening walks the top-level data
// elements and parses only each variable's header (flags, dimensions, name, where its values
// start); values are read, or inflated, column by column when asked for.

import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { constants as zlibConstants, createInflate, inflateSync } from 'node:zlib';
import type { MatClass, MatrixFile, MatrixVariableInfo, NumericMatrix } from '../types.js';
import { decode, decodeOwned, describeDimensions, type StorageType } from './decode.js';
import { MatrixFileError } from './errors.js';
import { columnsToRowMajor, lookupVariable, readFully } from './shared.js';

const miMATRIX = 14;
const miCOMPRESSED = 15;

/** Storage types of numeric data elements (miINT8 ... miUINT64), endianness added per file. */
const STORAGE: Readonly<Record<number, Omit<StorageType, 'littleEndian'>>> = {
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

/** Reads of whole blocks of uncompressed columns: fewer syscalls for short columns. */
const BLOCK_BYTES = 4 << 20;
const INFLATE_CHUNK = 256 << 10;

/** Where a readable variable's values (column-major) are. */
type Location =
  | { kind: 'raw'; offset: number }
  | { kind: 'inline'; bytes: Uint8Array }
  /** `skip`: bytes of the inflated element before the values. */
  | { kind: 'compressed'; start: number; length: number; skip: number };

interface Mat5Variable extends MatrixVariableInfo {
  /** Offset of the variable's top-level data element, for messages. */
  offset: number;
  storage?: StorageType;
  location?: Location;
}

/** Thrown while parsing a header from a prefix of an element: read more and try again. */
class NeedMore extends Error {}

interface Tag {
  type: number;
  size: number;
  /** Offset of the element's data within the parsed buffer. */
  data: number;
  /** Offset of the next element (data padded to 8 bytes). */
  next: number;
}

class Cursor {
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

interface MatrixHeader {
  name: string;
  info: Omit<MatrixVariableInfo, 'name'>;
  /** Set for a readable numeric matrix: its values' storage type and where they start. */
  values?: { type: number; size: number; data: number; inline: boolean };
}

/**
 * Parses the header of a miMATRIX element held (perhaps partly) in `buf`, which starts at the
 * element's tag. Throws NeedMore when `buf` is a prefix too short to hold it.
 */
function parseMatrixHeader(
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

export async function openMat5(
  path: string,
  handle: FileHandle,
  fileSize: number,
  head: Uint8Array,
): Promise<MatrixFile> {
  const littleEndian = head[126] === 0x49; // 'IM' on disk: written little-endian
  const headView = Buffer.from(head);
  const subsys = littleEndian ? headView.readBigUInt64LE(116) : headView.readBigUInt64BE(116);
  // Text-filled or zero: no subsystem data. Otherwise its element is MATLAB's, not a variable.
  const subsysOffset = subsys === 0n || subsys === 0x2020202020202020n ? -1 : Number(subsys);

  const variables: Mat5Variable[] = [];
  let pos = 128;
  while (pos < fileSize) {
    if (fileSize - pos < 8) {
      const rest = new Uint8Array(fileSize - pos);
      await readFully(handle, rest, pos, path);
      if (rest.some((b) => b !== 0))
        throw new MatrixFileError(path, 'truncated data element tag', { offset: pos });
      break;
    }
    const tagBytes = new Uint8Array(8);
    await readFully(handle, tagBytes, pos, path);
    const tagCursor = new Cursor(
      tagBytes,
      littleEndian,
      true,
      (problem, at) => new MatrixFileError(path, problem, { offset: pos + at }),
    );
    const first = tagCursor.u32(0);
    const size = tagCursor.u32(4);
    if (first !== miMATRIX && first !== miCOMPRESSED) {
      throw new MatrixFileError(path, `unexpected top-level data element of type ${first}`, {
        offset: pos,
      });
    }
    const end = pos + 8 + size;
    if (end > fileSize) {
      throw new MatrixFileError(
        path,
        `truncated file: the data element needs ${size} bytes but the file ends at byte ${fileSize}`,
        { offset: pos },
      );
    }
    if (pos !== subsysOffset) {
      variables.push(
        first === miMATRIX
          ? await rawVariable(path, handle, pos, size, littleEndian)
          : await compressedVariable(path, handle, pos, size, littleEndian),
      );
    }
    // miMATRIX elements are padded to 8 bytes; compressed ones are not.
    pos = first === miMATRIX ? Math.min(pos + 8 + Math.ceil(size / 8) * 8, fileSize) : end;
  }
  return new Mat5File(path, variables);
}

/** Parses a header from growing prefixes of an element (`read(n)` gives its first n bytes). */
async function parseGrowing(
  read: (bytes: number) => Promise<{ buf: Uint8Array; complete: boolean }>,
  littleEndian: boolean,
  corrupt: (problem: string, at: number) => Error,
): Promise<{ header: MatrixHeader; buf: Uint8Array }> {
  for (let want = 256; ; want *= 4) {
    const { buf, complete } = await read(want);
    try {
      return {
        header: parseMatrixHeader(new Cursor(buf, littleEndian, complete, corrupt), corrupt),
        buf,
      };
    } catch (error) {
      if (!(error instanceof NeedMore)) throw error;
    }
  }
}

async function rawVariable(
  path: string,
  handle: FileHandle,
  pos: number,
  size: number,
  littleEndian: boolean,
): Promise<Mat5Variable> {
  const corrupt = (problem: string, at: number): Error =>
    new MatrixFileError(path, problem, { offset: pos + at });
  const { header, buf } = await parseGrowing(
    async (want) => {
      const length = Math.min(want, size + 8);
      const prefix = new Uint8Array(length);
      await readFully(handle, prefix, pos, path);
      return { buf: prefix, complete: length === size + 8 };
    },
    littleEndian,
    corrupt,
  );
  return toVariable(path, header, buf, pos, littleEndian, (values) => ({
    kind: 'raw',
    offset: pos + values.data,
  }));
}

async function compressedVariable(
  path: string,
  handle: FileHandle,
  pos: number,
  size: number,
  littleEndian: boolean,
): Promise<Mat5Variable> {
  const corrupt = (problem: string, at: number): Error =>
    new MatrixFileError(path, `${problem} (at byte ${at} of the inflated element)`, {
      offset: pos,
    });
  const { header, buf } = await parseGrowing(
    async (want) => {
      const length = Math.min(want, size);
      const compressed = new Uint8Array(length);
      await readFully(handle, compressed, pos + 8, path);
      try {
        // A sync flush inflates what this prefix holds without asking for the stream's end,
        // so opening a 2 GB variable inflates a few hundred bytes.
        const inflated = inflateSync(compressed, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
        return { buf: inflated, complete: length === size };
      } catch (error) {
        throw new MatrixFileError(
          path,
          `corrupt compressed data element: ${(error as Error).message}`,
          { offset: pos, cause: error },
        );
      }
    },
    littleEndian,
    corrupt,
  );
  return toVariable(path, header, buf, pos, littleEndian, (values) => ({
    kind: 'compressed',
    start: pos + 8,
    length: size,
    skip: values.data,
  }));
}

function toVariable(
  path: string,
  header: MatrixHeader,
  prefix: Uint8Array,
  pos: number,
  littleEndian: boolean,
  locate: (values: NonNullable<MatrixHeader['values']>) => Location,
): Mat5Variable {
  const variable: Mat5Variable = { name: header.name, ...header.info, offset: pos };
  const values = header.values;
  if (values === undefined) {
    // An empty miMATRIX element: a 0 x 0 matrix with nothing to read.
    if (variable.unsupported === undefined) {
      variable.location = { kind: 'inline', bytes: new Uint8Array(0) };
    }
    return variable;
  }
  const storage = STORAGE[values.type];
  if (storage === undefined) {
    throw new MatrixFileError(
      path,
      `variable "${header.name}" has values of unknown storage type ${values.type}`,
      { offset: pos },
    );
  }
  const [rows = 0, cols = 0] = header.info.dimensions;
  if (values.size !== rows * cols * storage.size) {
    throw new MatrixFileError(
      path,
      `variable "${header.name}" holds ${values.size} bytes for ${rows} x ${cols} values of ${storage.size} bytes`,
      { offset: pos },
    );
  }
  variable.storage = { ...storage, littleEndian };
  variable.location = values.inline
    ? {
        kind: 'inline',
        bytes: new Uint8Array(prefix.subarray(values.data, values.data + values.size)),
      }
    : locate(values);
  return variable;
}

class Mat5File implements MatrixFile {
  readonly format = 'mat5' as const;
  readonly variables: readonly MatrixVariableInfo[];

  constructor(
    readonly path: string,
    private readonly vars: readonly Mat5Variable[],
  ) {
    // Only the contract's fields are public; offsets and locations stay internal.
    this.variables = vars.map(({ name, class: matClass, dimensions, unsupported }) =>
      unsupported === undefined
        ? { name, class: matClass, dimensions }
        : { name, class: matClass, dimensions, unsupported },
    );
  }

  private readable(name: string): Required<Pick<Mat5Variable, 'location' | 'storage'>> & {
    rows: number;
    cols: number;
    class: MatClass;
  } {
    const variable = lookupVariable(this.path, this.vars, name);
    const [rows = 0, cols = 0] = variable.dimensions;
    // lookupVariable has rejected unsupported variables, which are the only ones without values.
    return {
      location: variable.location!,
      storage: variable.storage ?? { kind: 'float', size: 8, littleEndian: true },
      rows,
      cols,
      class: variable.class!,
    };
  }

  async readMatrix(name: string): Promise<NumericMatrix> {
    const target = this.readable(name);
    const data = await columnsToRowMajor(this.columns(name), target.rows, target.cols);
    return { name, class: target.class, rows: target.rows, columns: target.cols, data };
  }

  async *columns(name: string): AsyncGenerator<Float64Array> {
    const { location, storage, rows, cols } = this.readable(name);
    if (rows === 0 || cols === 0) {
      for (let c = 0; c < cols; c++) yield new Float64Array(0);
      return;
    }
    const columnBytes = rows * storage.size;
    if (location.kind === 'inline') {
      for (let c = 0; c < cols; c++) {
        yield decode(
          location.bytes.subarray(c * columnBytes, (c + 1) * columnBytes),
          storage,
          rows,
        );
      }
    } else if (location.kind === 'raw') {
      yield* rawColumns(this.path, location.offset, rows, cols, storage);
    } else {
      yield* inflatedColumns(this.path, location, rows, cols, storage);
    }
  }

  close(): void {
    // Nothing is held open between reads.
  }
}

async function* rawColumns(
  path: string,
  offset: number,
  rows: number,
  cols: number,
  storage: StorageType,
): AsyncGenerator<Float64Array> {
  const columnBytes = rows * storage.size;
  const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / columnBytes));
  const handle = await open(path, 'r');
  try {
    for (let c = 0; c < cols; c += perBlock) {
      const n = Math.min(perBlock, cols - c);
      const block = new Uint8Array(n * columnBytes);
      await readFully(handle, block, offset + c * columnBytes, path);
      if (n === 1) {
        yield decodeOwned(block, storage, rows);
      } else {
        for (let k = 0; k < n; k++) yield decode(block.subarray(k * columnBytes), storage, rows);
      }
    }
  } finally {
    await handle.close();
  }
}

async function* inflatedColumns(
  path: string,
  location: Extract<Location, { kind: 'compressed' }>,
  rows: number,
  cols: number,
  storage: StorageType,
): AsyncGenerator<Float64Array> {
  const columnBytes = rows * storage.size;
  const elementOffset = location.start - 8;
  const source = createReadStream(path, {
    start: location.start,
    end: location.start + location.length - 1,
    highWaterMark: 1 << 20,
  });
  // pipeline forwards a read error to the inflate stream, whose iteration then throws it.
  const inflated = pipeline(source, createInflate({ chunkSize: INFLATE_CHUNK }), () => {});
  let skip = location.skip;
  let column = new Uint8Array(columnBytes);
  let filled = 0;
  let done = 0;
  try {
    for await (const chunk of inflated as AsyncIterable<Buffer>) {
      let at = Math.min(skip, chunk.length);
      skip -= at;
      while (at < chunk.length && done < cols) {
        const take = Math.min(columnBytes - filled, chunk.length - at);
        column.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === columnBytes) {
          // Each column is decoded from its own fresh buffer, which native doubles keep.
          const values = decodeOwned(column, storage, rows);
          column = new Uint8Array(columnBytes);
          filled = 0;
          done++;
          yield values;
        }
      }
      if (done === cols) break;
    }
  } catch (error) {
    if (error instanceof MatrixFileError) throw error;
    throw new MatrixFileError(
      path,
      `corrupt compressed data after column ${done}: ${(error as Error).message}`,
      {
        offset: elementOffset,
        cause: error,
      },
    );
  } finally {
    inflated.destroy();
  }
  if (done < cols) {
    throw new MatrixFileError(path, `compressed data ends after ${done} of ${cols} columns`, {
      offset: elementOffset,
    });
  }
}
