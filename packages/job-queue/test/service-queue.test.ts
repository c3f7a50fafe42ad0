// openServiceQueue: typed job types, and every end recorded once into the service's database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { eventually, startRedis, type RedisServer } from '@geoworks/test-fixtures';
import {
  handlerModule,
  inlineJob,
  openServiceQueue,
  type PayloadOf,
  type ResultOf,
  type ServiceQueueOptions,
  type SettledJob,
} from '../src/index.js';
import type * as fixtureHandlers from './fixtures/handlers.js';

const fixtures = handlerModule<typeof fixtureHandlers>(
  new URL('./fixtures/handlers.ts', import.meta.url),
);

let releaseHeld: () => void = () => undefined;
const jobs = {
  double: inlineJob<{ n: number }, { doubled: number }>(),
  refuse: inlineJob<{ why: string }, never>(),
  held: inlineJob<Record<string, never>, string>(),
  explode: fixtures.job('explode', { isolation: 'thread' }),
};
type Jobs = typeof jobs;

const inlineHandlers: ServiceQueueOptions<Jobs>['inlineHandlers'] = {
  double: ({ n }) => ({ doubled: 2 * n }),
  refuse: ({ why }) => {
    throw new Error(why);
  },
  held: (_payload, context) =>
    new Promise<string>((resolve, reject) => {
      releaseHeld = () => resolve('released');
      context.signal.addEventListener('abort', () => reject(context.signal.reason as Error));
    }),
};

const root = mkdtempSync(join(tmpdir(), 'service-queue-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('handlerModule', () => {
  it('types a job by its handler, and refuses a name the module does not export', () => {
    expectTypeOf<PayloadOf<typeof jobs.explode>>().toEqualTypeOf<{ message: string }>();
    expectTypeOf<ResultOf<typeof jobs.double>>().toEqualTypeOf<{ doubled: number }>();
    // @ts-expect-error: not an export of the handler module
    fixtures.job('noSuchHandler', { isolation: 'thread' });
  });
});

describe.each(['sqlite', 'redis'] as const)('openServiceQueue on %s', (backend) => {
  let redis: RedisServer | null = null;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    if (backend === 'redis') redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    releaseHeld = () => undefined;
  });

  /** A service: its own database and recorder, and a queue on the backend under test. */
  async function openService(
    name: string,
    options: { record?: (job: SettledJob<Jobs>) => void; consume?: boolean } = {},
  ) {
    const dataDir = join(root, `${backend}-${name}`);
    const database = new Database(join(root, `${backend}-${name}.sqlite`));
    const recorded: SettledJob<Jobs>[] = [];
    const queue = await openServiceQueue({
      dataDir,
      ...(redis === null
        ? {}
        : {
            redis: {
              url: redis.url,
              namespace: `service-${name}`,
              ...(options.consume === false ? { consume: false } : {}),
            },
          }),
      jobs,
      inlineHandlers,
      ledger: {
        database,
        record: (job) => {
          options.record?.(job);
          recorded.push(job);
        },
      },
      lostJobCheckMs: 0,
      abortGraceMs: 200,
    });
    cleanups.push(async () => {
      await queue.close({ graceMs: 0 });
      database.close();
    });
    return { queue, recorded, database };
  }

  it('records each end once, typed, with its payload and result or error', async () => {
    const { queue, recorded } = await openService('ends');
    const doubled = await queue.enqueue('double', { n: 21 });
    const refused = await queue.enqueue('refuse', { why: 'no reason' });
    const exploded = await queue.enqueue('explode', { message: 'out of range' });
    for (const id of [doubled, refused, exploded]) await queue.wait(id, { timeoutMs: 10_000 });
    await queue.check(); // asking again records nothing twice
    await eventually(async () => expect(recorded).toHaveLength(3));
    const byId = new Map(recorded.map((job) => [job.id, job]));
    expect(byId.get(doubled)).toEqual({
      id: doubled,
      type: 'double',
      status: 'finished',
      payload: { n: 21 },
      result: { doubled: 42 },
      error: null,
    });
    expect(byId.get(refused)).toMatchObject({
      type: 'refuse',
      status: 'failed',
      payload: { why: 'no reason' },
      result: null,
      error: { message: 'no reason' },
    });
    expect(byId.get(exploded)).toMatchObject({
      status: 'failed',
      error: { name: 'RangeError', message: 'out of range' },
    });
    expect(queue.entry(doubled)).toMatchObject({ status: 'finished', payload: { n: 21 } });
  });

  it('records an aborted job as aborted', async () => {
    const { queue, recorded } = await openService('abort');
    const id = await queue.enqueue('held', {});
    await eventually(async () => expect((await queue.get(id))?.status).toBe('started'));
    expect((await queue.abort(id, 'not needed'))?.aborted).toBe(true);
    await eventually(async () => expect(recorded).toHaveLength(1));
    expect(recorded[0]).toMatchObject({ id, status: 'aborted', error: { code: 'JOB_ABORTED' } });
  });

  it('keeps an end whose recorder failed open, and records it at the next check', async () => {
    let failing = true;
    const { queue, recorded } = await openService('retry', {
      record: () => {
        if (failing) throw new Error('database busy');
      },
    });
    const id = await queue.enqueue('double', { n: 1 });
    await queue.wait(id, { timeoutMs: 10_000 });
    expect(queue.entry(id)?.settledAt).toBeNull();
    failing = false;
    await queue.check();
    expect(recorded.map((job) => job.id)).toEqual([id]);
    expect(queue.entry(id)?.status).toBe('finished');
  });

  it('catches up at start with the ends it missed while closed', async () => {
    const first = await openService('restart');
    const id = await first.queue.enqueue('held', {});
    await eventually(async () => expect((await first.queue.get(id))?.status).toBe('started'));
    // The service stops: the running job is handed back and runs at the next start.
    await first.queue.close({ graceMs: 0 });
    first.database.close();
    cleanups.pop();

    const second = await openService('restart');
    await eventually(async () => expect((await second.queue.get(id))?.status).toBe('started'));
    releaseHeld();
    await eventually(async () => expect(second.recorded.map((job) => job.id)).toEqual([id]));
    expect(second.recorded[0]).toMatchObject({ status: 'finished', result: 'released' });
  });
});

describe('openServiceQueue on Redis that loses its data', () => {
  it('records the jobs it lost as failed with JOB_LOST, once', async () => {
    const redis = await startRedis();
    const database = new Database(':memory:');
    const recorded: SettledJob<Jobs>[] = [];
    // A front that leaves the jobs to worker hosts (none here): the job stays queued.
    const queue = await openServiceQueue({
      dataDir: join(root, 'lost'),
      redis: { url: redis.url, namespace: 'lost', consume: false },
      jobs,
      inlineHandlers,
      ledger: { database, record: (job) => recorded.push(job) },
      lostJobCheckMs: 0,
    });
    try {
      const id = await queue.enqueue('double', { n: 5 });
      await redis.restart();
      await eventually(async () => {
        await queue.check();
        expect(recorded).toHaveLength(1);
      });
      await queue.check();
      expect(recorded).toEqual([
        {
          id,
          type: 'double',
          status: 'failed',
          payload: { n: 5 },
          result: null,
          error: expect.objectContaining({ code: 'JOB_LOST' }),
        },
      ]);
      expect(queue.entry(id)).toMatchObject({ status: 'failed', error: { code: 'JOB_LOST' } });
    } finally {
      await queue.close({ graceMs: 0 });
      await redis.stop();
    }
  });
});
