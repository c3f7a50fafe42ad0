export { CalcEngineClient, DEFAULT_URL } from './client.js';
export {
  EngineConflictError,
  EngineConnectionError,
  EngineForbiddenError,
  EngineInvalidInputError,
  EngineNotFoundError,
  EngineTimeoutError,
  EngineUnauthorizedError,
  EngineUpstreamError,
  isEngineError,
  JobRunError,
  WaitTimeoutError,
} from './errors.js';
export type { EngineError, EngineErrorInfo } from './errors.js';
export { adler32, sameFsChecksum } from './checksum.js';
export { filenameFromDisposition } from './files.js';
export { parseEngineTime } from './normalize.js';
export { FINAL_STATUSES, isFinalStatus } from './types.js';
export type {
  CalcEngineClientOptions,
  Calculation,
  CalculationInfo,
  CallOptions,
  DownloadOptions,
  ExtractQuery,
  FileInput,
  JobStatus,
  ListOptions,
  LogOptions,
  LogRow,
  Output,
  RunArchiveInput,
  RunFilesInput,
  RunInput,
  SavedFile,
  SaveOptions,
  Validation,
  WaitOptions,
} from './types.js';
export type { NpyArray } from '@geoworks/npz';
