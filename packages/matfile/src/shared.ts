// Helpers shared by the MAT-file and HDF5 readers.

import type { FileHandle } from 'node:fs/promises';
import type { MatrixVariableInfo } from './types.js';
import { MatrixFileError, UnsupportedVariableError, VariableNotFoundError } from './errors.js';

/** The variable called `name`, if it can be read as a numeric matrix. */
export function lookupVariable<V extends MatrixVariableInfo>(
  path: string,
  variables: readonly V[],
  name: string,
): V {
  const variable = variables.find((v) => v.name === name);
  if (variable === undefined) {
    throw new VariableNotFoundError(
      path,
      name,
      variables.map((v) => v.name),
    );
  }
  if (variable.unsupported !== undefined || variable.class === undefined) {
    throw new UnsupportedVariableError(path, name, variable.unsupported ?? 'non-numeric array');
  }
  return variable;
}

/** Gathers column-major columns into MATLAB's row-major matrix. */
export async function columnsToRowMajor(
  columns: AsyncIterable<Float64Array>,
  rows: number,
  cols: number,
): Promise<Float64Array> {
  const data = new Float64Array(rows * cols);
  let c = 0;
  for await (const column of columns) {
    for (let r = 0, i = c; r < rows; r++, i += cols) data[i] = column[r]!;
    c++;
  }
  return data;
}

/** Fills `target` from `position`; a file shorter than its own headers said is corrupt. */
export async function readFully(
  handle: FileHandle,
  target: Uint8Array,
  position: number,
  path: string,
): Promise<void> {
  let filled = 0;
  while (filled < target.length) {
    const { bytesRead } = await handle.read(
      target,
      filled,
      target.length - filled,
      position + filled,
    );
    if (bytesRead === 0) {
      throw new MatrixFileError(path, 'unexpected end of file', { offset: position + filled });
    }
    filled += bytesRead;
  }
}
