export { createJobQueue } from './create.js';
export type { CreateJobQueueOptions } from './create.js';
export type { JobQueue } from './queue.js';
export type { SqliteBackendOptions } from './backends/sqlite.js';
export type { RedisBackendOptions } from './backends/redis.js';
export { defineJobType } from './job-types.js';
export {
  JobAbortedError,
  JobInterruptedError,
  JobLostError,
  JobNotFoundError,
  JobTimeoutError,
  JobTypeDefinitionError,
  QueueClosedError,
  QueueLockedError,
  QueueUnavailableError,
  UnknownJobTypeError,
  UnknownQueueError,
  UnserializableValueError,
  WorkerCrashedError,
} from './errors.js';
export { isTerminal, LOG_LEVELS, TERMINAL_STATUSES } from './types.js';
export type {
  AbortResult,
  EnqueueOptions,
  InlineJobType,
  Isolation,
  IsolatedJobType,
  Job,
  JobContext,
  JobEventName,
  JobEvents,
  JobFilter,
  JobHandler,
  JobLogger,
  JobStatus,
  JobType,
  LogLevel,
  LogLine,
  LogRange,
  QueueLogger,
  QueueStats,
} from './types.js';
export { handlerModule, inlineJob } from './declarations.js';
export type {
  InlineJobDeclaration,
  JobDeclaration,
  JobDeclarations,
  PayloadOf,
  ResultOf,
} from './declarations.js';
export { openServiceQueue, ServiceQueue } from './service-queue.js';
export type { ServiceQueueOptions } from './service-queue.js';
export type { LedgerEntry, SettledJob } from './ledger.js';
