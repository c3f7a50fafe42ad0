// MATLAB v7.3 MAT-files and plain HDF5 files, through h5wasm (the HDF5 C library in wasm).
//
// v7.3: the variables are the root's members except MATLAB's `#refs#` and `#subsystem#`
// groups; MATLAB writes column-major, so HDF5 shows the dimensions reversed: they are reported
// reversed back, and MATLAB column j is HDF5 row j (contiguous).
// Plain HDF5: the variables are every dataset, nested ones named by their path without the
// leading slash (`group/name`); shape [rows, cols] as stored, a 1-D dataset is 1 x n, a scalar
// 1 x 1; column j is the hyperslab [[0, rows], [j, j + 1]], read in blocks of columns.

import h5wasm from 'h5wasm/node';
import type { Dataset, Group, Metadata } from 'h5wasm/node';
import type {
  MatClass,
  MatrixFile,
  MatrixFileFormat,
  MatrixVariableInfo,
  NumericMatrix,
} from './types.js';
import { decodeOwned, describeDimensions, type StorageType } from './decode.js';
import { MatrixFileError } from './errors.js';
import { columnsToRowMajor, lookupVariable } from './shared.js';

/** Columns read per hyperslab: about this many bytes, so h5wasm's per-call cost is amortised. */
const BLOCK_BYTES = 8 << 20;

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_COMPOUND = 6;
const H5T_REFERENCE = 7;

const MATLAB_NUMERIC = new Set<string>([
  'double',
  'single',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'logical',
]);

const MATLAB_OTHER: Readonly<Record<string, string>> = {
  cell: 'cell array',
  struct: 'struct',
  char: 'char array',
  function_handle: 'function handle',
};

interface Hdf5Variable extends MatrixVariableInfo {
  /** HDF5 path of the dataset. */
  path: string;
  storage?: StorageType;
  /** A v7.3 empty array: MATLAB stores its dimensions in place of data. */
  empty?: boolean;
}

export async function openHdf5(
  path: string,
  format: Extract<MatrixFileFormat, 'mat73' | 'hdf5'>,
): Promise<MatrixFile> {
  await h5wasm.ready;
  let file: InstanceType<typeof h5wasm.File>;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (error) {
    throw new MatrixFileError(path, `corrupt HDF5 file: ${message(error)}`, { cause: error });
  }
  if (file.file_id < 0n) {
    // h5wasm reports a failed open (e.g. a truncated file) by an invalid id, not by throwing.
    throw new MatrixFileError(
      path,
      'corrupt or truncated HDF5 file (the HDF5 library cannot open it)',
    );
  }
  try {
    const variables = format === 'mat73' ? listMat73(file) : listPlain(file, file, '');
    return new Hdf5File(path, format, file, variables);
  } catch (error) {
    file.close();
    if (error instanceof MatrixFileError) throw error;
    throw new MatrixFileError(path, `corrupt HDF5 file: ${message(error)}`, { cause: error });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isDataset(entity: unknown): entity is Dataset {
  return entity instanceof h5wasm.Dataset;
}

function isGroup(entity: unknown): entity is Group {
  return entity instanceof h5wasm.Group;
}

function stringAttribute(entity: Dataset | Group, name: string): string | undefined {
  if (!(name in entity.attrs)) return undefined;
  const value = entity.get_attribute(name, true);
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === null ? undefined : String(first);
}

function numberAttribute(entity: Dataset | Group, name: string): number | undefined {
  const value = stringAttribute(entity, name);
  return value === undefined ? undefined : Number(value);
}

/** The storage of integer and float element types, and the MATLAB class they map to. */
function numericType(metadata: Metadata): { storage: StorageType; class: MatClass } | undefined {
  const { type, size, signed, littleEndian } = metadata;
  if (type === H5T_FLOAT && (size === 4 || size === 8)) {
    return {
      storage: { kind: 'float', size, littleEndian },
      class: size === 4 ? 'single' : 'double',
    };
  }
  if (type === H5T_INTEGER && (size === 1 || size === 2 || size === 4 || size === 8)) {
    const kind = signed ? 'int' : 'uint';
    return { storage: { kind, size, littleEndian }, class: `${kind}${size * 8}` as MatClass };
  }
  return undefined;
}

function describeType(metadata: Metadata): string {
  switch (metadata.type) {
    case H5T_COMPOUND: {
      const members = metadata.compound_type?.members.map((m) => m.name) ?? [];
      return members.includes('real') && members.includes('imag')
        ? 'complex matrix'
        : 'compound dataset';
    }
    case H5T_STRING:
      return 'string dataset';
    case H5T_REFERENCE:
      return 'dataset of references';
    case H5T_FLOAT:
      return `dataset of ${metadata.size * 8}-bit floats`;
    default:
      return `dataset of HDF5 type class ${metadata.type}`;
  }
}

function listMat73(file: Group): Hdf5Variable[] {
  const variables: Hdf5Variable[] = [];
  for (const name of file.keys()) {
    if (name === '#refs#' || name === '#subsystem#') continue;
    const entity = file.get(name);
    if (isDataset(entity)) variables.push(mat73Dataset(name, entity));
    else if (isGroup(entity)) variables.push(mat73Group(name, entity));
  }
  return variables;
}

function mat73Group(name: string, group: Group): Hdf5Variable {
  const matlabClass = stringAttribute(group, 'MATLAB_class') ?? 'struct';
  const sparseRows = numberAttribute(group, 'MATLAB_sparse');
  if (sparseRows !== undefined) {
    const jc = group.get('jc');
    const cols = isDataset(jc) ? Math.max(0, (jc.shape?.[0] ?? 1) - 1) : 0;
    const sparseClass: MatClass = matlabClass === 'logical' ? 'logical' : 'double';
    return {
      name,
      path: name,
      class: sparseClass,
      dimensions: [sparseRows, cols],
      unsupported: 'sparse matrix',
    };
  }
  return {
    name,
    path: name,
    class: undefined,
    dimensions: [1, 1],
    unsupported: MATLAB_OTHER[matlabClass] ?? `MATLAB object of class ${matlabClass}`,
  };
}

function mat73Dataset(name: string, dataset: Dataset): Hdf5Variable {
  const metadata = dataset.metadata;
  const matlabClass = stringAttribute(dataset, 'MATLAB_class');
  const numeric = numericType(metadata);
  const shape = metadata.shape ?? [];
  if (numberAttribute(dataset, 'MATLAB_empty')) {
    // The data are the MATLAB dimensions (already in MATLAB's order).
    const value = dataset.value;
    const dimensions = ArrayBuffer.isView(value)
      ? Array.from(value as ArrayLike<number | bigint>, Number)
      : [0, 0];
    const known = matlabClass !== undefined && MATLAB_NUMERIC.has(matlabClass);
    return known
      ? { name, path: name, class: matlabClass as MatClass, dimensions, empty: true }
      : {
          name,
          path: name,
          class: undefined,
          dimensions,
          unsupported: MATLAB_OTHER[matlabClass ?? ''] ?? 'empty array',
        };
  }
  const dimensions =
    shape.length === 0 ? [1, 1] : shape.length === 1 ? [1, shape[0]!] : [...shape].reverse();
  const matClass =
    matlabClass !== undefined && MATLAB_NUMERIC.has(matlabClass)
      ? (matlabClass as MatClass)
      : numeric?.class;
  if (matlabClass !== undefined && !MATLAB_NUMERIC.has(matlabClass)) {
    return {
      name,
      path: name,
      class: undefined,
      dimensions,
      unsupported: MATLAB_OTHER[matlabClass] ?? `MATLAB object of class ${matlabClass}`,
    };
  }
  if (numeric === undefined) {
    return { name, path: name, class: matClass, dimensions, unsupported: describeType(metadata) };
  }
  if (dimensions.length > 2) {
    return {
      name,
      path: name,
      class: matClass,
      dimensions,
      unsupported: describeDimensions(dimensions),
    };
  }
  return {
    name,
    path: name,
    class: matClass,
    dimensions,
    storage: numeric.storage,
  };
}

function listPlain(file: Group, group: Group, prefix: string): Hdf5Variable[] {
  const variables: Hdf5Variable[] = [];
  for (const key of group.keys()) {
    const name = prefix + key;
    const entity = group.get(key);
    if (isGroup(entity)) {
      variables.push(...listPlain(file, entity, `${name}/`));
      continue;
    }
    if (!isDataset(entity)) continue;
    const metadata = entity.metadata;
    const shape = metadata.shape ?? [];
    const dimensions =
      shape.length === 0 ? [1, 1] : shape.length === 1 ? [1, shape[0]!] : [...shape];
    const numeric = numericType(metadata);
    if (numeric === undefined) {
      variables.push({
        name,
        path: name,
        class: undefined,
        dimensions,
        unsupported: describeType(metadata),
      });
    } else if (dimensions.length > 2) {
      variables.push({
        name,
        path: name,
        class: numeric.class,
        dimensions,
        unsupported: describeDimensions(dimensions),
      });
    } else {
      variables.push({
        name,
        path: name,
        class: numeric.class,
        dimensions,
        storage: numeric.storage,
      });
    }
  }
  return variables;
}

/** The raw bytes of an h5wasm read (it copies out of the wasm heap into a fresh array). */
function bytesOf(value: unknown): Uint8Array {
  if (!ArrayBuffer.isView(value)) throw new TypeError('HDF5 read returned no typed array');
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

class Hdf5File implements MatrixFile {
  readonly variables: readonly MatrixVariableInfo[];

  constructor(
    readonly path: string,
    readonly format: 'mat73' | 'hdf5',
    private readonly file: InstanceType<typeof h5wasm.File>,
    private readonly vars: readonly Hdf5Variable[],
  ) {
    this.variables = vars.map(({ name, class: matClass, dimensions, unsupported }) =>
      unsupported === undefined
        ? { name, class: matClass, dimensions }
        : { name, class: matClass, dimensions, unsupported },
    );
  }

  async readMatrix(name: string): Promise<NumericMatrix> {
    const variable = lookupVariable(this.path, this.vars, name);
    const [rows = 0, cols = 0] = variable.dimensions;
    const data = variable.empty
      ? new Float64Array(0)
      : await columnsToRowMajor(this.columns(name), rows, cols);
    return { name, class: variable.class!, rows, columns: cols, data };
  }

  async *columns(name: string): AsyncGenerator<Float64Array> {
    const variable = lookupVariable(this.path, this.vars, name);
    const [rows = 0, cols = 0] = variable.dimensions;
    if (variable.empty || rows === 0 || cols === 0 || !variable.storage) {
      for (let c = 0; c < cols; c++) yield new Float64Array(0);
      return;
    }
    const dataset = this.file.get(variable.path);
    if (!isDataset(dataset))
      throw new MatrixFileError(this.path, `dataset "${variable.path}" disappeared`);
    const storage = variable.storage;
    const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / (rows * storage.size)));
    const scalar = (dataset.shape ?? []).length === 0;
    const oneD = (dataset.shape ?? []).length === 1;
    for (let c0 = 0; c0 < cols; c0 += perBlock) {
      const c1 = Math.min(cols, c0 + perBlock);
      const n = c1 - c0;
      let raw: unknown;
      try {
        if (scalar) raw = dataset.value;
        else if (oneD) raw = dataset.slice([[c0, c1]]);
        else if (this.format === 'mat73') raw = dataset.slice([[c0, c1], []]);
        else raw = dataset.slice([[], [c0, c1]]);
      } catch (error) {
        throw new MatrixFileError(this.path, `cannot read "${name}": ${message(error)}`, {
          cause: error,
        });
      }
      const block = decodeOwned(bytesOf(raw), storage, rows * n);
      if (this.format === 'mat73' || rows === 1) {
        // Column-major block (or a single row): each column is a contiguous run.
        for (let k = 0; k < n; k++) yield block.slice(k * rows, (k + 1) * rows);
      } else {
        // Row-major rows x n block: gather each column.
        for (let k = 0; k < n; k++) {
          const column = new Float64Array(rows);
          for (let r = 0, i = k; r < rows; r++, i += n) column[r] = block[i]!;
          yield column;
        }
      }
    }
  }

  close(): void {
    this.file.close();
  }
}
