import type { SerializedError } from '@geoworks/errors';
import type { LogLevel } from '../types.js';

/** Messages from the queue to a worker thread or process. */
export type ToWorker =
  | {
      kind: 'run';
      jobId: string;
      type: string;
      attempt: number;
      payload: unknown;
      module: string;
      exportName: string;
    }
  | { kind: 'abort'; reason: string };

/** Messages from a worker back to the queue. */
export type FromWorker =
  | { kind: 'log'; level: LogLevel; message: string }
  | { kind: 'progress'; percent: number }
  | { kind: 'done'; result: unknown }
  | { kind: 'error'; error: SerializedError };
