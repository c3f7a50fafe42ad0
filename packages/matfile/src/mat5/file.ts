// MATLAB Level 5 MAT-files (versions 5 to 7.2), read by hand. Opening walks the top-level data
// elements and parses only each variable's header (flags, dimensions, name, where its values
// start); values are read, or inflated, column by column when asked for.

import { constants as zlibConstants, inflateSync } from 'node:zlib';
import type {
  FileProbe,
  MatClass,
  MatrixFile,
  MatrixVariableInfo,
  NumericMatrix,
} from '../types.js';
import { decode, type StorageType } from '../decode.js';
import { MatrixFileError } from '../errors.js';
import { columnsToRowMajor, lookupVariable } from '../shared.js';
import { inflatedColumns, rawColumns, type Location } from './columns.js';
import {
  Cursor,
  miCOMPRESSED,
  miMATRIX,
  NeedMore,
  parseMatrixHeader,
  STORAGE,
  type MatrixHeader,
} from './header.js';

interface Mat5Variable extends MatrixVariableInfo {
  /** Offset of the variable's top-level data element, for messages. */
  offset: number;
  storage?: StorageType;
  location?: Location;
}

/** Opens a file the MAT v5 reader recognised, walking its top-level data elements. */
export async function openMat5(probe: FileProbe): Promise<MatrixFile> {
  const { path, size: fileSize, head } = probe;
  const littleEndian = head[126] === 0x49; // 'IM' on disk: written little-endian
  const headView = Buffer.from(head);
  const subsys = littleEndian ? headView.readBigUInt64LE(116) : headView.readBigUInt64BE(116);
  // Text-filled or zero: no subsystem data. Otherwise its element is MATLAB's, not a variable.
  const subsysOffset = subsys === 0n || subsys === 0x2020202020202020n ? -1 : Number(subsys);

  const variables: Mat5Variable[] = [];
  let pos = 128;
  while (pos < fileSize) {
    if (fileSize - pos < 8) {
      const rest = await probe.read(pos, fileSize - pos);
      if (rest.some((b) => b !== 0))
        throw new MatrixFileError(path, 'truncated data element tag', { offset: pos });
      break;
    }
    const tagBytes = await probe.read(pos, 8);
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
          ? await rawVariable(probe, pos, size, littleEndian)
          : await compressedVariable(probe, pos, size, littleEndian),
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
  probe: FileProbe,
  pos: number,
  size: number,
  littleEndian: boolean,
): Promise<Mat5Variable> {
  const path = probe.path;
  const corrupt = (problem: string, at: number): Error =>
    new MatrixFileError(path, problem, { offset: pos + at });
  const { header, buf } = await parseGrowing(
    async (want) => {
      const length = Math.min(want, size + 8);
      const prefix = await probe.read(pos, length);
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
  probe: FileProbe,
  pos: number,
  size: number,
  littleEndian: boolean,
): Promise<Mat5Variable> {
  const path = probe.path;
  const corrupt = (problem: string, at: number): Error =>
    new MatrixFileError(path, `${problem} (at byte ${at} of the inflated element)`, {
      offset: pos,
    });
  const { header, buf } = await parseGrowing(
    async (want) => {
      const length = Math.min(want, size);
      const compressed = await probe.read(pos + 8, length);
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
