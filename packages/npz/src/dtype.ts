import { UnsupportedDtypeError } from './errors.js';
import { parsePyLiteral, pyString, PyLiteralSyntaxError, type PyValue } from './py-literal.js';

/**
 * A numpy dtype this package handles. `f` float, `i` signed and `u` unsigned integer, `b`
 * bool, `S` NUL-padded bytes, `U` NUL-padded UTF-32 text, `V` raw bytes (only as the
 * unnamed padding numpy puts between the fields of a structured dtype).
 */
export interface ScalarDtype {
  readonly kind: 'f' | 'i' | 'u' | 'b' | 'S' | 'U' | 'V';
  /** Bytes per element (for `U`, four per character). */
  readonly size: number;
  readonly littleEndian: boolean;
}

export interface StructField {
  /** Empty for padding, whose bytes are skipped when reading and zeroed when writing. */
  readonly name: string;
  readonly dtype: ScalarDtype;
  readonly offset: number;
}

/** A simple structured dtype: named scalar fields, one after the other. */
export interface StructDtype {
  readonly kind: 'struct';
  readonly fields: readonly StructField[];
  readonly size: number;
}

export type Dtype = ScalarDtype | StructDtype;

export const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

export const SUPPORTED_DTYPES =
  '<f8 <f4 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 |b1 |S<n> <U<n> (and ">" byte order), ' +
  "or a list of named fields such as [('lon', '<f8'), ('lat', '<f8')]";

const SIZES: Record<string, readonly number[]> = {
  f: [4, 8],
  i: [1, 2, 4, 8],
  u: [1, 2, 4, 8],
  b: [1],
};

const REFUSED: Record<string, string> = {
  O: 'object arrays hold pickled Python objects, which only Python can read',
  c: 'complex numbers are not supported',
  M: 'datetime64 is not supported',
  m: 'timedelta64 is not supported',
};

/** Parses a dtype as written in `NpyArray.dtype`: `'<f8'`, or a structured list literal. */
export function parseDtype(text: string): Dtype {
  if (typeof text !== 'string') {
    throw new UnsupportedDtypeError(`dtype must be a string, got ${typeof text}`);
  }
  if (!text.trimStart().startsWith('[')) return topLevel(parseScalar(text), text);
  let value: PyValue;
  try {
    value = parsePyLiteral(text);
  } catch (error) {
    if (!(error instanceof PyLiteralSyntaxError)) throw error;
    throw new UnsupportedDtypeError(`Cannot parse dtype ${text}: ${error.message}`, {
      dtype: text,
    });
  }
  return dtypeFromDescr(value);
}

/** The dtype a header's `descr` value describes: a string, or a list of (name, type). */
export function dtypeFromDescr(descr: PyValue): Dtype {
  if (typeof descr === 'string') return topLevel(parseScalar(descr), descr);
  if (!Array.isArray(descr)) {
    throw new UnsupportedDtypeError(
      'A dtype given as a dict (names, formats, offsets) is not supported; numpy writes one ' +
        'only for overlapping or reordered fields',
      { dtype: String(descr) },
    );
  }
  return parseStruct(descr);
}

/** Void is only padding inside a structure; on its own it would be opaque bytes. */
function topLevel(dtype: ScalarDtype, text: string): ScalarDtype {
  if (dtype.kind === 'V') {
    throw new UnsupportedDtypeError(
      `Unsupported dtype '${text}': raw void arrays are not supported`,
      { dtype: text },
    );
  }
  return dtype;
}

function parseScalar(text: string): ScalarDtype {
  function refuse(reason: string): never {
    throw new UnsupportedDtypeError(`Unsupported dtype '${text}': ${reason}`, { dtype: text });
  }
  const match = /^([<>|=]?)([a-zA-Z])(\d{1,10})$/.exec(text);
  const order = match?.[1] ?? '';
  const kind = match?.[2] ?? /^[<>|=]?([a-zA-Z])/.exec(text)?.[1] ?? '';
  const refused = REFUSED[kind];
  if (refused !== undefined) refuse(refused);
  if (!match) refuse(`supported dtypes are ${SUPPORTED_DTYPES}`);
  const count = Number(match[3]);
  let size = count;
  if (kind === 'S' || kind === 'V' || kind === 'U') {
    if (count < 1) refuse('a string width must be at least 1');
    if (kind === 'U') size = count * 4;
  } else if (!SIZES[kind]?.includes(count)) {
    refuse(`supported dtypes are ${SUPPORTED_DTYPES}`);
  }
  // '|' means "byte order does not apply"; numpy never writes it for multi-byte numbers or U.
  if (order === '|' && (kind === 'U' || (kind !== 'S' && kind !== 'V' && count > 1))) {
    refuse("'|' (no byte order) is only for one-byte types and bytes; use '<' or '>'");
  }
  const littleEndian = order === '>' ? false : order === '<' ? true : HOST_LITTLE_ENDIAN;
  return { kind: kind as ScalarDtype['kind'], size, littleEndian };
}

function parseStruct(descr: PyValue[]): StructDtype {
  if (descr.length === 0) throw new UnsupportedDtypeError('A structured dtype needs fields');
  const fields: StructField[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const item of descr) {
    const where = `Structured dtype field ${fields.length}`;
    if (!Array.isArray(item) || item.length < 2) {
      throw new UnsupportedDtypeError(`${where} must be a (name, dtype) pair`);
    }
    const [name, type] = item;
    if (item.length > 2) {
      throw new UnsupportedDtypeError(
        `${where} (${String(name)}) has a shape; subarray fields are not supported`,
      );
    }
    if (typeof name !== 'string') {
      throw new UnsupportedDtypeError(`${where}: field titles are not supported`);
    }
    if (typeof type !== 'string') {
      throw new UnsupportedDtypeError(
        `${where} (${name}) is itself structured; nested structured dtypes are not supported`,
      );
    }
    const dtype = parseScalar(type);
    if ((name === '') !== (dtype.kind === 'V')) {
      throw new UnsupportedDtypeError(
        name === ''
          ? `${where} has no name (only '|V<n>' padding may be unnamed)`
          : `${where} (${name}) is raw void '${type}'; only unnamed padding may be void`,
      );
    }
    if (name !== '' && names.has(name)) {
      throw new UnsupportedDtypeError(`Structured dtype has two fields named ${pyString(name)}`);
    }
    names.add(name);
    fields.push({ name, dtype, offset });
    offset += dtype.size;
  }
  if (names.size === 1 && names.has('')) {
    throw new UnsupportedDtypeError('A structured dtype needs at least one named field');
  }
  return { kind: 'struct', fields, size: offset };
}

/** The dtype as numpy writes it: `'<f8'` as the text `<f8`, a structure as a list literal. */
export function dtypeText(dtype: Dtype): string {
  if (dtype.kind !== 'struct') return scalarText(dtype);
  const fields = dtype.fields.map(
    (field) => `(${pyString(field.name)}, ${pyString(scalarText(field.dtype))})`,
  );
  return `[${fields.join(', ')}]`;
}

/** The descr value of a header: scalar dtypes are quoted, structured ones are lists. */
export function descrLiteral(dtype: Dtype): string {
  return dtype.kind === 'struct' ? dtypeText(dtype) : pyString(dtypeText(dtype));
}

function scalarText(dtype: ScalarDtype): string {
  const noOrder = dtype.size === 1 || dtype.kind === 'S' || dtype.kind === 'V';
  const order = noOrder ? '|' : dtype.littleEndian ? '<' : '>';
  return `${order}${dtype.kind}${dtype.kind === 'U' ? dtype.size / 4 : dtype.size}`;
}

/** The same dtype in little-endian order: what decoded data is described as. */
export function littleEndian(dtype: Dtype): Dtype {
  if (dtype.kind !== 'struct') return { ...dtype, littleEndian: true };
  return {
    ...dtype,
    fields: dtype.fields.map((field) => ({
      ...field,
      dtype: { ...field.dtype, littleEndian: true },
    })),
  };
}
