// What the Redis backend does when Redis goes away or comes back without its data.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startRedis, type RedisServer } from '@geoworks/test-fixtures';
import {
  createJobQueue,
  defineJobType,
  JobLostError,
  JobNotFoundError,
  QueueUnavailableError,
  type JobQueue,
} from '../src/index.js';
import { watchLostJobs } from '../src/lost-jobs.js';

/** Reasons the running handlers were stopped with, in order. */
let stopReasons: unknown[] = [];
let handlerStarted: () => void = () => undefined;

const jobTypes = [
  defineJobType({ type: 'echo', handler: (payload: unknown) => payload }),
  defineJobType({
    type: 'until-stopped',
    handler: async (_payload: unknown, context) => {
      handlerStarted();
      await new Promise<void>((_resolve, reject) =>
        context.signal.addEventListener('abort', () => {
          stopReasons.push(context.signal.reason);
          reject(context.signal.reason as Error);
        }),
      );
    },
  }),
];

let redis: RedisServer | null = null;
const queues: JobQueue[] = [];

async function openQueue(server: RedisServer) {
  const queue = await createJobQueue({
    jobTypes,
    queues: { default: { concurrency: 2 } },
    abortGraceMs: 200,
    backend: {
      kind: 'redis',
      url: server.url,
      namespace: `faults-${randomUUID().slice(0, 8)}`,
      // Renewed every 250 ms, so a lost job is noticed within a fraction of a second.
      lockDurationMs: 500,
      commandTimeoutMs: 2000,
    },
  });
  queues.push(queue);
  return queue;
}

afterEach(async () => {
  await Promise.all(queues.splice(0).map((queue) => queue.close({ graceMs: 0 })));
  await redis?.stop();
  redis = null;
  stopReasons = [];
  handlerStarted = () => undefined;
});

describe('Redis backend faults', () => {
  it('fails calls at once with QueueUnavailableError while Redis is down, and works again when it is back', async () => {
    redis = await startRedis();
    const queue = await openQueue(redis);
    const before = await queue.enqueue('echo', { n: 1 });
    expect((await queue.wait(before, { timeoutMs: 10_000 })).result).toEqual({ n: 1 });

    await redis.stop();
    for (const call of [
      () => queue.enqueue('echo', { n: 2 }),
      () => queue.get(before),
      () => queue.list(),
      () => queue.logs(before),
      () => queue.logCount(before),
      () => queue.stats(),
      () => queue.abort(before),
      () => queue.wait(before),
    ]) {
      const error = await call().then(
        () => null,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(QueueUnavailableError);
      expect((error as QueueUnavailableError).kind).toBe('unavailable');
      expect((error as QueueUnavailableError).details).toEqual({ retryAfterSeconds: 5 });
    }

    // Back, empty: the same queue object enqueues, runs and reports again.
    await redis.restart();
    const after = await eventually(() => queue.enqueue('echo', { n: 3 }));
    expect((await queue.wait(after, { timeoutMs: 10_000 })).result).toEqual({ n: 3 });
  });

  it('closes while Redis is down instead of waiting for it', async () => {
    redis = await startRedis();
    const queue = await openQueue(redis);
    expect((await queue.wait(await queue.enqueue('echo', 1), { timeoutMs: 10_000 })).result).toBe(
      1,
    );
    await redis.stop();
    // Before, this waited for Redis to come back: a service could not stop during an outage.
    await queue.close({ graceMs: 0 });
    await expect(queue.get('any')).rejects.toThrow('The job queue is closed');
  });

  it('stops a running job whose Redis state was lost, and watchLostJobs reports it once', async () => {
    redis = await startRedis();
    const queue = await openQueue(redis);
    const started = new Promise<void>((resolve) => (handlerStarted = resolve));
    const id = await queue.enqueue('until-stopped', {});
    await started;

    const lost: string[] = [];
    const watch = watchLostJobs(queue, {
      liveJobs: () => [id],
      onLost: (lostId) => {
        lost.push(lostId);
      },
      intervalMs: 0,
    });
    // Down: an outage is not a loss.
    await redis.stop();
    expect(await watch.check()).toEqual([]);

    // Back without its data: the worker cannot renew the job's lock and stops the handler.
    await redis.restart();
    const stopped = await eventually(async () => {
      if (stopReasons.length === 0) throw new Error('not stopped yet');
      return stopReasons[0];
    });
    expect(stopped).toBeInstanceOf(JobLostError);
    expect((stopped as JobLostError).message).toContain(`lost job ${id} while it was running`);

    // Until Redis answers, a check reports nothing; then exactly this job, once.
    const found = await eventually(async () => {
      const ids = await watch.check();
      if (ids.length === 0) throw new Error('not reported yet');
      return ids;
    });
    expect(found).toEqual([id]);
    expect(lost).toEqual([id]);
    await expect(queue.get(id)).resolves.toBeNull();
    // Aborting what the queue forgot says so (and tells any worker still running it to stop).
    await expect(queue.abort(id)).rejects.toThrow(JobNotFoundError);
    watch.stop();
  });
});
