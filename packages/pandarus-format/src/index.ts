export { Bzip2UnavailableError, bzip2 } from './bzip2.js';
export { sha256File } from './hash.js';
export { datasetMetadata, timestamp } from './metadata.js';
export type { DatasetDescription, DatasetMetadata } from './metadata.js';
export { readResultFile, writeResultFile } from './result-file.js';
export type { WriteResultOptions } from './result-file.js';
