export { startFakeCkan } from './server.js';
export { generateRows, GeneratedRows } from './generate.js';
export { SERVE_MODULE } from './serve-module.js';
export { DuplicateResourceError } from './resources.js';
export { BadValueError } from './field-types.js';
export { MAX_REPR_DEPTH } from './errors.js';
export type {
  Backend,
  DelayFault,
  DestroyFault,
  FakeCkan,
  FakeCkanOptions,
  Fault,
  FieldSpec,
  RecordedRequest,
  ResourceSpec,
  ResourceSummary,
  Row,
  StatusFault,
} from './types.js';
