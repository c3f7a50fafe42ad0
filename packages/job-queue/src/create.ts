import { availableParallelism } from 'node:os';
import { InvalidInputError } from '@geoworks/errors';
import { SqliteJobQueue, type SqliteBackendOptions } from './backends/sqlite.js';
import { JobTypeRegistry } from './job-types.js';
import type { JobQueue } from './queue.js';
import type { RedisBackendOptions } from './backends/redis.js';
import type { JobType, QueueLogger } from './types.js';

export interface CreateJobQueueOptions {
  /** Where jobs live. Default: `{ kind: 'sqlite', file: ':memory:' }`. */
  backend?: SqliteBackendOptions | RedisBackendOptions;
  jobTypes: readonly JobType[];
  /**
   * Named queues and how many jobs each runs at once in this process. Default: one queue,
   * `default`, with one job per CPU.
   */
  queues?: Record<string, { concurrency?: number }>;
  /** Queue for job types and enqueue calls that name none; default: the first queue. */
  defaultQueue?: string;
  /** Grace period for a handler to stop after an abort before its worker is killed. */
  abortGraceMs?: number;
  /** First retry delay; doubles on each further attempt. Default 1000 ms. */
  retryBackoffMs?: number;
  /** Largest payload accepted, in bytes of JSON. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Log lines kept per job; later ones are dropped. Default 100,000. */
  maxLogLinesPerJob?: number;
  logger?: QueueLogger;
  /** The clock job retention is measured on; default `Date.now`. For tests. */
  now?: () => number;
}

/** Opens a job queue on the chosen backend. */
export async function createJobQueue(options: CreateJobQueueOptions): Promise<JobQueue> {
  const registry = new JobTypeRegistry(options.jobTypes);
  const queueEntries = Object.entries(options.queues ?? { default: {} });
  if (queueEntries.length === 0) throw new InvalidInputError('At least one queue is needed');
  const queues: Record<string, { concurrency: number }> = {};
  for (const [name, queue] of queueEntries) {
    const concurrency = queue.concurrency ?? availableParallelism();
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
      throw new InvalidInputError(`Queue name "${name}" must be 1-64 letters, digits, "_" or "-"`);
    }
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new InvalidInputError(`Queue "${name}": concurrency must be an integer >= 1`);
    }
    queues[name] = { concurrency };
  }
  const defaultQueue = options.defaultQueue ?? queueEntries[0]![0];
  if (!(defaultQueue in queues))
    throw new InvalidInputError(`Default queue "${defaultQueue}" is not configured`);
  for (const definition of registry.all()) {
    if (definition.queue !== undefined && !(definition.queue in queues)) {
      throw new InvalidInputError(
        `Job type "${definition.type}" names queue "${definition.queue}", which is not configured`,
      );
    }
  }
  const common = {
    queues,
    defaultQueue,
    maxPayloadBytes: options.maxPayloadBytes ?? 1024 * 1024,
    abortGraceMs: options.abortGraceMs ?? 5000,
    retryBackoffMs: options.retryBackoffMs ?? 1000,
    idleWorkersPerQueue: Math.max(...Object.values(queues).map((queue) => queue.concurrency)),
    maxLogLinesPerJob: options.maxLogLinesPerJob ?? 100_000,
    logger: options.logger,
    now: options.now ?? Date.now,
  };
  const backend = options.backend ?? { kind: 'sqlite', file: ':memory:' };
  if (backend.kind === 'redis') {
    // BullMQ and ioredis load only when Redis is used.
    const { RedisJobQueue } = await import('./backends/redis.js');
    return RedisJobQueue.open(registry, backend, common);
  }
  return new SqliteJobQueue(registry, backend, common);
}
