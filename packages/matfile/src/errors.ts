import { InvalidInputError, NotFoundError } from '@geoworks/errors';

/**
 * A file that cannot be read as a matrix file: a name not ending in `.mat` or `.h5`, content
 * that is neither a MATLAB v5/v7.3 MAT-file nor HDF5, a truncated or corrupt file. The message
 * names the file and, where it applies, the byte offset or the variable.
 */
export class MatrixFileError extends InvalidInputError {
  readonly path: string;

  constructor(path: string, problem: string, options: { cause?: unknown; offset?: number } = {}) {
    const where = options.offset === undefined ? '' : ` (at byte ${options.offset})`;
    super(`${path}: ${problem}${where}`, {
      code: 'MATRIX_FILE_INVALID',
      cause: options.cause,
      details: { path, ...(options.offset === undefined ? {} : { offset: options.offset }) },
    });
    this.path = path;
  }
}

/** A path that names no file. */
export class MatrixFileNotFoundError extends NotFoundError {
  readonly path: string;

  constructor(path: string, options: { cause?: unknown } = {}) {
    super(`No such matrix file: ${path}`, {
      code: 'MATRIX_FILE_NOT_FOUND',
      cause: options.cause,
      details: { path },
    });
    this.path = path;
  }
}

/** A variable that exists but is not a 2-D real numeric matrix (cell, struct, sparse, ...). */
export class UnsupportedVariableError extends InvalidInputError {
  readonly path: string;
  readonly variable: string;
  /** What the variable is, e.g. `cell array`, `sparse matrix`, `3-D array (2 x 3 x 4)`. */
  readonly reason: string;

  constructor(path: string, variable: string, reason: string) {
    super(
      `Variable "${variable}" of ${path} cannot be read as a numeric matrix: it is a ${reason}`,
      { code: 'UNSUPPORTED_VARIABLE', details: { path, variable, reason } },
    );
    this.path = path;
    this.variable = variable;
    this.reason = reason;
  }
}

/** A variable name the file does not hold; the message lists those it does. */
export class VariableNotFoundError extends NotFoundError {
  readonly path: string;
  readonly variable: string;
  readonly available: readonly string[];

  constructor(path: string, variable: string, available: readonly string[]) {
    const list = available.length === 0 ? 'none' : available.map((name) => `"${name}"`).join(', ');
    super(`No variable "${variable}" in ${path}; variables present: ${list}`, {
      code: 'VARIABLE_NOT_FOUND',
      details: { path, variable, available: [...available] },
    });
    this.path = path;
    this.variable = variable;
    this.available = available;
  }
}
