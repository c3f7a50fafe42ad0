import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJobQueue, type CreateJobQueueOptions, type JobQueue } from '../../src/index.js';
import { startRedis, type RedisServer } from '@geoworks/test-fixtures';

export type QueueOptions = Omit<CreateJobQueueOptions, 'backend'>;

/** One backend under test: every contract test runs once per fixture. */
export interface BackendFixture {
  name: 'sqlite' | 'redis';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh, empty queue store for one test. */
  newStore(): string;
  /** Opens a queue on a store; several opens of one store share its jobs. */
  open(store: string, options: QueueOptions, extra?: { consume?: boolean }): Promise<JobQueue>;
}

export function sqliteFixture(): BackendFixture {
  let dir = '';
  return {
    name: 'sqlite',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'job-queue-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    newStore: () => join(dir, `${randomUUID()}.sqlite`),
    open: (store, options, extra = {}) =>
      createJobQueue({
        ...options,
        backend: { kind: 'sqlite', file: store, pollIntervalMs: 50, ...extra },
      }),
  };
}

export function redisFixture(): BackendFixture {
  let server: RedisServer | null = null;
  return {
    name: 'redis',
    async setup() {
      server = await startRedis();
    },
    async teardown() {
      await server?.stop();
    },
    newStore: () => `test-${randomUUID().slice(0, 8)}`,
    open: (store, options, extra = {}) =>
      createJobQueue({
        ...options,
        backend: {
          kind: 'redis',
          url: server!.url,
          namespace: store,
          lockDurationMs: 5000,
          ...extra,
        },
      }),
  };
}
