export { encodeNpy, decodeNpy } from './npy.js';
export { writeNpz, writeNpzStream } from './npz-write.js';
export { readNpz } from './npz-read.js';
export { jsonFromNpy, npyFromJson } from './json.js';
export { npyFromNumbers, npyFromRecords } from './build.js';
export type { NpyFromNumbersOptions } from './build.js';
export {
  CorruptNpyError,
  CorruptNpzError,
  InvalidArrayError,
  NpzTooLargeError,
  UnsupportedDtypeError,
} from './errors.js';
export type { NpyArray, NpyData, ReadNpzOptions, WriteNpzOptions } from './types.js';
