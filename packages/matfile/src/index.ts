// @geoworks/matfile: MATLAB v5 and v7.3 MAT-files and HDF5 files, read as numeric matrices.
export { openMatrixFile } from './open.js';
export {
  MatrixFileError,
  MatrixFileNotFoundError,
  UnsupportedVariableError,
  VariableNotFoundError,
} from './errors.js';
export type {
  MatClass,
  MatrixFile,
  MatrixFileFormat,
  MatrixVariableInfo,
  NumericMatrix,
} from './types.js';
