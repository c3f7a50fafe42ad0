// What the readers hand out: a file's variables, and numeric matrices in MATLAB's orientation.

/** MATLAB classes of numeric arrays. */
export type MatClass =
  | 'double'
  | 'single'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'logical';

/** Where a matrix file came from: MATLAB v5 (Level 5 MAT), MATLAB v7.3 (HDF5), plain HDF5. */
export type MatrixFileFormat = 'mat5' | 'mat73' | 'hdf5';

/** One variable of a matrix file, as listed (before its data is read). */
export interface MatrixVariableInfo {
  name: string;
  /** MATLAB class, or the HDF5 element type mapped to one; `undefined` when not numeric. */
  class: MatClass | undefined;
  /** MATLAB's dimensions (rows, columns, ...), already transposed back for v7.3. */
  dimensions: number[];
  /** Why this variable cannot be read as a numeric matrix (cell, struct, sparse, complex, ...). */
  unsupported?: string;
}

/** A 2-D numeric matrix, MATLAB's orientation (rows x columns), values in row-major order. */
export interface NumericMatrix {
  name: string;
  class: MatClass;
  rows: number;
  columns: number;
  /** rows * columns values: row r is `data.subarray(r * columns, (r + 1) * columns)`. */
  data: Float64Array;
}

/** An open matrix file. */
export interface MatrixFile {
  readonly path: string;
  readonly format: MatrixFileFormat;
  /** Variables in file order (MATLAB's `__header__`-style names included, as the file has them). */
  readonly variables: readonly MatrixVariableInfo[];
  /**
   * Reads a variable as a 2-D numeric matrix (a vector is 1 x n or n x 1). Throws
   * `UnsupportedVariableError` naming the variable for cells, structs, sparse, complex, char
   * or more than two dimensions, and `VariableNotFoundError` for an unknown name.
   */
  readMatrix(name: string): Promise<NumericMatrix>;
  /**
   * The columns of a 2-D numeric variable one by one, in order, each as a fresh Float64Array of
   * `rows` values, without holding the whole matrix (a MATLAB matrix is stored column by
   * column, so a column is contiguous in both formats): for grids of thousands of time steps.
   * Same errors as `readMatrix`.
   */
  columns(name: string): AsyncIterable<Float64Array>;
  close(): void;
}

/** What a reader sees of a file while it decides whether the file is one of its own. */
export interface FileProbe {
  readonly path: string;
  /** The file's size in bytes. */
  readonly size: number;
  /** The file's first 128 bytes (all of a shorter file). */
  readonly head: Uint8Array;
  /**
   * `length` bytes from `offset`; a file ending before them is corrupt (`MatrixFileError` naming
   * the offset). Valid only during `sniff` and `open`: the file is closed once they return.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** One kind of matrix file: how to tell it by content (magic bytes), and how to open it. */
export interface MatrixReader {
  /** What the reader reads, for messages: `MATLAB v5`, `HDF5 (MATLAB v7.3 and plain)`. */
  readonly name: string;
  /** The file's format when it is this reader's, else undefined. */
  sniff(probe: FileProbe): Promise<MatrixFileFormat | undefined>;
  /** Opens a file that `sniff` recognised as `format`. */
  open(probe: FileProbe, format: MatrixFileFormat): Promise<MatrixFile>;
}
