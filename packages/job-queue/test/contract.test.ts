import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defineJobType,
  JobNotFoundError,
  UnknownJobTypeError,
  UnknownQueueError,
  UnserializableValueError,
  type Job,
  type JobQueue,
  type JobType,
} from '../src/index.js';
import {
  redisFixture,
  sqliteFixture,
  type BackendFixture,
  type QueueOptions,
} from './helpers/backends.js';

const handlers = new URL('./fixtures/handlers.ts', import.meta.url);

let flakyCalls = 0;
const jobTypes: JobType[] = [
  defineJobType({ type: 'echo', handler: (payload: unknown) => ({ echoed: payload }) }),
  defineJobType({
    type: 'chatty',
    handler: async (payload: { lines: number }, context) => {
      for (let i = 0; i < payload.lines; i++) context.log.info(`line ${i}`);
      context.log.warn('careful');
      context.progress(50);
      return payload.lines;
    },
  }),
  defineJobType({
    type: 'wait-for-abort',
    handler: async (_payload: unknown, context) => {
      context.log.info('waiting');
      await new Promise((_resolve, reject) =>
        context.signal.addEventListener('abort', () => reject(context.signal.reason as Error)),
      );
    },
  }),
  defineJobType({
    type: 'flaky',
    handler: (payload: { failures: number }) => {
      flakyCalls++;
      if (flakyCalls <= payload.failures) throw new Error(`failure number ${flakyCalls}`);
      return 'worked';
    },
  }),
  defineJobType({ type: 'sleepy', handler: async (payload: { ms: number }) => sleep(payload.ms) }),
  defineJobType({
    type: 'sleepy-slow',
    queue: 'slow',
    handler: async (payload: { ms: number }) => sleep(payload.ms),
  }),
  defineJobType({
    type: 'thread-where',
    isolation: 'thread',
    module: handlers,
    exportName: 'whereAmI',
  }),
  defineJobType({
    type: 'process-where',
    isolation: 'process',
    module: handlers,
    exportName: 'whereAmI',
  }),
  defineJobType({
    type: 'thread-sleepy',
    isolation: 'thread',
    module: handlers,
    exportName: 'sleepy',
  }),
  defineJobType({
    type: 'process-sleepy',
    isolation: 'process',
    module: handlers,
    exportName: 'sleepy',
  }),
  defineJobType({ type: 'thread-spin', isolation: 'thread', module: handlers, exportName: 'spin' }),
  defineJobType({
    type: 'process-spin',
    isolation: 'process',
    module: handlers,
    exportName: 'spin',
  }),
  defineJobType({
    type: 'process-printer',
    isolation: 'process',
    module: handlers,
    exportName: 'printer',
  }),
  defineJobType({
    type: 'thread-explode',
    isolation: 'thread',
    module: handlers,
    exportName: 'explode',
  }),
  defineJobType({
    type: 'thread-unsendable',
    isolation: 'thread',
    module: handlers,
    exportName: 'unsendable',
  }),
  defineJobType({
    type: 'process-suicide',
    isolation: 'process',
    module: handlers,
    exportName: 'suicide',
  }),
  defineJobType({ type: 'inline-bad-result', handler: () => ({ when: new Date() }) }),
];

const baseOptions: QueueOptions = {
  jobTypes,
  queues: { fast: { concurrency: 2 }, slow: { concurrency: 1 } },
  abortGraceMs: 300,
  retryBackoffMs: 10,
};

function sleep(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}

async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe.each<[string, () => BackendFixture]>([
  ['sqlite', sqliteFixture],
  ['redis', redisFixture],
])('job queue contract on %s', (_name, makeFixture) => {
  const fixture = makeFixture();
  const open: JobQueue[] = [];
  const openQueue = async (options: QueueOptions = baseOptions, store = fixture.newStore()) => {
    const queue = await fixture.open(store, options);
    open.push(queue);
    return queue;
  };

  beforeAll(() => fixture.setup());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((queue) => queue.close({ graceMs: 0 })));
  });
  afterAll(() => fixture.teardown());

  it('runs a job to completion and keeps its result, timestamps and attempt', async () => {
    const queue = await openQueue();
    const started: string[] = [];
    queue.on('started', (job) => started.push(job.id));
    const id = await queue.enqueue('echo', { hello: ['world', 1, null, true] });
    const job = await queue.wait(id, { timeoutMs: 5000 });
    expect(job.status).toBe('finished');
    expect(job.result).toEqual({ echoed: { hello: ['world', 1, null, true] } });
    expect(job.payload).toEqual({ hello: ['world', 1, null, true] });
    expect(job.queue).toBe('fast');
    expect(job.type).toBe('echo');
    expect(job.attempt).toBe(1);
    expect(job.progress).toBe(100);
    expect(job.error).toBeNull();
    expect(job.startedAt!.getTime()).toBeGreaterThanOrEqual(job.createdAt.getTime());
    expect(job.finishedAt!.getTime()).toBeGreaterThanOrEqual(job.startedAt!.getTime());
    await eventually(async () => started.includes(id));
    expect(await queue.get(id)).toEqual(job);
  });

  it('refuses bad input with clear errors and stores nothing', async () => {
    const queue = await openQueue();
    await expect(queue.enqueue('nope', {})).rejects.toThrow(UnknownJobTypeError);
    await expect(queue.enqueue('nope', {})).rejects.toThrow(
      /Unknown job type "nope"; known types: echo, chatty/,
    );
    await expect(queue.enqueue('echo', { f: () => 1 })).rejects.toThrow(UnserializableValueError);
    await expect(queue.enqueue('echo', { f: () => 1 })).rejects.toThrow('$.f is a function');
    await expect(queue.enqueue('echo', { n: 10n })).rejects.toThrow('$.n is a BigInt');
    await expect(queue.enqueue('echo', { list: [1, Number.NaN] })).rejects.toThrow(
      '$.list[1] is NaN',
    );
    await expect(queue.enqueue('echo', { when: new Date() })).rejects.toThrow('$.when is a Date');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(queue.enqueue('echo', cycle)).rejects.toThrow('$.self is a circular reference');
    await expect(queue.enqueue('echo', undefined)).rejects.toThrow('$ is undefined');
    await expect(queue.enqueue('echo', {}, { queue: 'medium' })).rejects.toThrow(UnknownQueueError);
    await expect(queue.enqueue('echo', {}, { attempts: 0 })).rejects.toThrow(
      'attempts must be an integer from 1 to 100',
    );
    await expect(queue.enqueue('echo', {}, { timeoutMs: -5 })).rejects.toThrow(
      'timeoutMs must be a positive',
    );
    await expect(queue.enqueue('echo', {}, { key: '' })).rejects.toThrow(
      'Job key must be a non-empty string',
    );
    await expect(queue.enqueue('echo', 'x'.repeat(2 * 1024 * 1024))).rejects.toThrow(
      'over the 1048576 byte limit',
    );
    expect(await queue.list()).toEqual([]);
  });

  it('answers unknown ids with null or JobNotFoundError', async () => {
    const queue = await openQueue();
    expect(await queue.get('no-such-job')).toBeNull();
    await expect(queue.abort('no-such-job')).rejects.toThrow(JobNotFoundError);
    await expect(queue.logs('no-such-job')).rejects.toThrow('No job with id "no-such-job"');
    await expect(queue.logCount('no-such-job')).rejects.toThrow(JobNotFoundError);
    await expect(queue.wait('no-such-job')).rejects.toThrow(JobNotFoundError);
  });

  it('keeps log lines in order with level, source and time, and pages through them', async () => {
    const queue = await openQueue();
    const before = Date.now();
    const id = await queue.enqueue('chatty', { lines: 5 });
    const job = await queue.wait(id, { timeoutMs: 5000 });
    expect(job.result).toBe(5);
    const lines = await queue.logs(id);
    expect(lines.map((line) => line.message)).toEqual([
      'line 0',
      'line 1',
      'line 2',
      'line 3',
      'line 4',
      'careful',
    ]);
    expect(lines.map((line) => line.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines.map((line) => line.level)).toEqual([
      'info',
      'info',
      'info',
      'info',
      'info',
      'warn',
    ]);
    expect(lines[0]!.source).toBe(`pid-${process.pid}`);
    expect(lines[0]!.time.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(await queue.logCount(id)).toBe(6);
    expect((await queue.logs(id, { start: 2, end: 4 })).map((line) => line.message)).toEqual([
      'line 2',
      'line 3',
    ]);
    expect((await queue.logs(id, { start: 5 })).map((line) => line.message)).toEqual(['careful']);
    expect(await queue.logs(id, { start: 10 })).toEqual([]);
    await expect(queue.logs(id, { start: -1 })).rejects.toThrow(
      'Log start must be an integer >= 0',
    );
  });

  it('lets a client read the log and progress while the job runs', async () => {
    const queue = await openQueue();
    const id = await queue.enqueue('thread-sleepy', { ms: 5000 });
    const lines = await eventually(async () => {
      const found = await queue.logs(id);
      return found.length > 0 ? found : null;
    });
    expect(lines[0]!.message).toMatch(/^sleeping 5000 ms in pid \d+$/);
    expect(lines[0]!.source).toMatch(/^thread-\d+$/);
    const running = await eventually(async () => {
      const job = await queue.get(id);
      return job?.progress === 10 ? job : null;
    });
    expect(running.status).toBe('started');
    const { aborted, job } = await queue.abort(id);
    expect(aborted).toBe(true);
    expect(job.status).toBe('aborted');
  });

  it('records a failure with its error and a critical log line holding the traceback', async () => {
    const queue = await openQueue();
    const id = await queue.enqueue('thread-explode', { message: 'the map is not the territory' });
    const job = await queue.wait(id, { timeoutMs: 10_000 });
    expect(job.status).toBe('failed');
    expect(job.error?.message).toBe('the map is not the territory');
    expect(job.error?.name).toBe('RangeError');
    const lines = await queue.logs(id);
    const critical = lines.filter((line) => line.level === 'critical');
    expect(critical).toHaveLength(1);
    expect(critical[0]!.message).toContain('RangeError: the map is not the territory');
    expect(critical[0]!.message).toContain('handlers.ts');
  });

  it('retries failures up to `attempts` and then succeeds', async () => {
    flakyCalls = 0;
    const queue = await openQueue();
    const retrying: number[] = [];
    queue.on('retrying', (job) => retrying.push(job.attempt));
    const id = await queue.enqueue('flaky', { failures: 2 }, { attempts: 3 });
    const job = await queue.wait(id, { timeoutMs: 10_000 });
    expect(job.status).toBe('finished');
    expect(job.result).toBe('worked');
    expect(job.attempt).toBe(3);
    expect(flakyCalls).toBe(3);
    await eventually(async () => retrying.length === 2);
    expect(retrying).toEqual([1, 2]);
  });

  it('fails for good once the attempts are used up', async () => {
    flakyCalls = 0;
    const queue = await openQueue();
    const id = await queue.enqueue('flaky', { failures: 5 }, { attempts: 2 });
    const job = await queue.wait(id, { timeoutMs: 10_000 });
    expect(job.status).toBe('failed');
    expect(job.attempt).toBe(2);
    expect(job.error?.message).toBe('failure number 2');
    expect(flakyCalls).toBe(2);
  });

  it('deduplicates by key while a job is queued, running or finished, not after it failed', async () => {
    const queue = await openQueue();
    const first = await queue.enqueue('sleepy', { ms: 100 }, { key: 'same' });
    expect(await queue.enqueue('sleepy', { ms: 100 }, { key: 'same' })).toBe(first);
    await queue.wait(first, { timeoutMs: 5000 });
    expect(await queue.enqueue('sleepy', { ms: 100 }, { key: 'same' })).toBe(first);
    const other = await queue.enqueue('sleepy', { ms: 1 }, { key: 'other' });
    expect(other).not.toBe(first);

    flakyCalls = 0;
    const failing = await queue.enqueue('flaky', { failures: 1 }, { key: 'flaky-key' });
    expect((await queue.wait(failing, { timeoutMs: 5000 })).status).toBe('failed');
    const again = await queue.enqueue('flaky', { failures: 1 }, { key: 'flaky-key' });
    expect(again).not.toBe(failing);
    expect((await queue.wait(again, { timeoutMs: 5000 })).status).toBe('finished');
    const keyed = await queue.list({ key: 'flaky-key' });
    expect(keyed.map((job) => job.status).sort()).toEqual(['failed', 'finished']);
  });

  it('gives each named queue its own workers, so small jobs never wait behind big ones', async () => {
    const queue = await openQueue();
    // The big jobs outlast the test: the small one can only finish beside them.
    const big = await queue.enqueue('sleepy-slow', { ms: 60_000 });
    const bigger = await queue.enqueue('sleepy-slow', { ms: 60_000 });
    await eventually(async () => (await queue.get(big))?.status === 'started');
    const small = await queue.enqueue('echo', { n: 1 });
    const done = await queue.wait(small, { timeoutMs: 5000 });
    expect(done.status).toBe('finished');
    expect((await queue.get(big))?.status).toBe('started');
    expect((await queue.get(bigger))?.status).toBe('queued');
    const stats = await queue.stats();
    expect(stats.find((s) => s.name === 'slow')).toMatchObject({
      concurrency: 1,
      started: 1,
      queued: 1,
    });
  });

  it('never runs more jobs at once than a queue allows', async () => {
    const queue = await openQueue();
    let running = 0;
    let peak = 0;
    queue.on('started', () => {
      running++;
      peak = Math.max(peak, running);
    });
    queue.on('finished', () => running--);
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => queue.enqueue('sleepy', { ms: 150 })));
    for (const id of ids)
      expect((await queue.wait(id, { timeoutMs: 10_000 })).status).toBe('finished');
    expect(peak).toBe(2);
  });

  it('fails a job that runs past its timeout', async () => {
    const queue = await openQueue();
    const id = await queue.enqueue('thread-sleepy', { ms: 10_000 }, { timeoutMs: 200 });
    const job = await queue.wait(id, { timeoutMs: 10_000 });
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('JOB_TIMEOUT');
    expect(job.error?.message).toBe('Job timed out after 200 ms');
  });

  it('aborts a queued job at once', async () => {
    const queue = await openQueue();
    const blocker = await queue.enqueue('sleepy-slow', { ms: 500 });
    const waiting = await queue.enqueue('sleepy-slow', { ms: 10 });
    const { aborted, job } = await queue.abort(waiting, 'changed my mind');
    expect(aborted).toBe(true);
    expect(job.status).toBe('aborted');
    expect(job.error?.message).toBe('Job aborted: changed my mind');
    expect(job.finishedAt).not.toBeNull();
    expect((await queue.wait(blocker, { timeoutMs: 5000 })).status).toBe('finished');
    // The slow queue runs one job at a time, in order: once a job enqueued after it has run,
    // the aborted one would have run too, had it been left in the queue.
    const after = await queue.enqueue('sleepy-slow', { ms: 1 });
    expect((await queue.wait(after, { timeoutMs: 5000 })).status).toBe('finished');
    expect((await queue.get(waiting))?.status).toBe('aborted');
    expect(await queue.abort(waiting)).toMatchObject({ aborted: false });
  });

  it('aborts a running inline job through its signal: aborted, not failed', async () => {
    const queue = await openQueue();
    const id = await queue.enqueue('wait-for-abort', {});
    await eventually(async () => (await queue.get(id))?.status === 'started');
    const { aborted, job } = await queue.abort(id);
    expect(aborted).toBe(true);
    expect(job.status).toBe('aborted');
    expect(job.error?.code).toBe('JOB_ABORTED');
    const finished = await queue.enqueue('echo', 1);
    expect((await queue.wait(finished)).status).toBe('finished');
    expect(await queue.abort(finished)).toMatchObject({
      aborted: false,
      job: { status: 'finished' },
    });
  });

  it('kills a CPU-bound thread or process that ignores the abort signal', async () => {
    const queue = await openQueue();
    for (const type of ['thread-spin', 'process-spin']) {
      const id = await queue.enqueue(type, { ms: 60_000 });
      const line = await eventually(async () => (await queue.logs(id))[0]);
      // It would spin for 60 s, past the test's timeout: only the kill can end it.
      const { job } = await queue.abort(id);
      expect(job.status).toBe('aborted');
      if (type === 'process-spin') {
        const pid = Number(/pid (\d+)/.exec(line.message)![1]);
        await eventually(async () => !isAlive(pid));
      }
    }
    // The queue goes on with fresh workers.
    const next = await queue.enqueue('thread-where', {});
    expect((await queue.wait(next, { timeoutMs: 10_000 })).status).toBe('finished');
  });

  it('gives the job after an aborted one a fresh worker process, never the dying one', async () => {
    const queue = await openQueue();
    for (let round = 0; round < 3; round++) {
      const id = await queue.enqueue('process-sleepy', { ms: 60_000 });
      await eventually(async () => (await queue.logs(id))[0]);
      expect((await queue.abort(id)).job.status).toBe('aborted');
      // Enqueued at once: the interrupted process is still exiting at this point.
      const next = await queue.enqueue('process-where', {});
      const job = await queue.wait(next, { timeoutMs: 10_000 });
      expect(job.error).toBeNull();
      expect(job.status).toBe('finished');
    }
  });

  it('runs isolated handlers off the main event loop', async () => {
    const queue = await openQueue();
    const inThread = await queue.wait(await queue.enqueue('thread-where', {}), {
      timeoutMs: 10_000,
    });
    expect(inThread.result).toMatchObject({ pid: process.pid });
    expect((inThread.result as { threadId: number }).threadId).toBeGreaterThan(0);
    const inProcess = await queue.wait(await queue.enqueue('process-where', {}), {
      timeoutMs: 10_000,
    });
    expect((inProcess.result as { pid: number }).pid).not.toBe(process.pid);

    // While a thread burns CPU (for longer than the test may run), an inline job runs to its
    // end on this event loop: a spin on the loop itself would block it until the timeout.
    const id = await queue.enqueue('thread-spin', { ms: 60_000 });
    await eventually(async () => (await queue.get(id))?.status === 'started');
    const inline = await queue.enqueue('echo', 'beside the spin');
    expect((await queue.wait(inline, { timeoutMs: 10_000 })).result).toEqual({
      echoed: 'beside the spin',
    });
    expect((await queue.get(id))?.status).toBe('started');
    expect((await queue.abort(id)).job.status).toBe('aborted');
  });

  it("turns a child process's stdout and stderr into log lines", async () => {
    const queue = await openQueue();
    const id = await queue.enqueue('process-printer', { lines: 3 });
    expect((await queue.wait(id, { timeoutMs: 10_000 })).result).toBe(3);
    const lines = await eventually(async () => {
      const found = await queue.logs(id);
      return found.length >= 4 ? found : null;
    });
    expect(lines.map((line) => [line.level, line.message]).sort()).toEqual([
      ['info', 'stdout line 0'],
      ['info', 'stdout line 1'],
      ['info', 'stdout line 2'],
      ['warn', 'stderr line'],
    ]);
    expect(lines[0]!.source).toMatch(/^pid-\d+$/);
  });

  it('fails a job whose worker process is killed, and retries it when attempts allow', async () => {
    const queue = await openQueue();
    const id = await queue.enqueue('process-suicide', {});
    const job = await queue.wait(id, { timeoutMs: 10_000 });
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe('WORKER_CRASHED');
    expect(job.error?.message).toBe('The worker running the job was killed by SIGKILL');

    const retried = await queue.enqueue('process-suicide', {}, { attempts: 2 });
    const twice = await queue.wait(retried, { timeoutMs: 10_000 });
    expect(twice.status).toBe('failed');
    expect(twice.attempt).toBe(2);
  });

  it('fails a job whose result cannot be stored', async () => {
    const queue = await openQueue();
    const threaded = await queue.wait(await queue.enqueue('thread-unsendable', {}), {
      timeoutMs: 10_000,
    });
    expect(threaded.status).toBe('failed');
    expect(threaded.error?.message).toMatch(/cannot be sent back/);
    const inline = await queue.wait(await queue.enqueue('inline-bad-result', {}), {
      timeoutMs: 10_000,
    });
    expect(inline.status).toBe('failed');
    expect(inline.error?.message).toBe(
      'The job result cannot be serialised: $.when is a Date; only plain objects, arrays, strings, finite numbers, booleans and null are allowed',
    );
  });

  it('lists jobs newest first with filters and paging', async () => {
    const queue = await openQueue();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push(await queue.enqueue('echo', i));
      await sleep(5);
    }
    const slow = await queue.enqueue('sleepy-slow', { ms: 1 });
    for (const id of [...ids, slow]) await queue.wait(id, { timeoutMs: 5000 });
    const all = await queue.list();
    expect(all.map((job: Job) => job.id)).toEqual(
      [slow, ...ids].reverse().slice(0, 5).length === 5
        ? [slow, ids[3], ids[2], ids[1], ids[0]]
        : [],
    );
    expect((await queue.list({ type: 'echo', limit: 2 })).map((job) => job.id)).toEqual([
      ids[3],
      ids[2],
    ]);
    expect((await queue.list({ type: 'echo', limit: 2, offset: 2 })).map((job) => job.id)).toEqual([
      ids[1],
      ids[0],
    ]);
    expect((await queue.list({ queue: 'slow' })).map((job) => job.id)).toEqual([slow]);
    expect(await queue.list({ status: 'failed' })).toEqual([]);
    expect(
      (await queue.list({ status: ['finished'], type: ['sleepy-slow'] })).map((job) => job.id),
    ).toEqual([slow]);
    await expect(queue.list({ limit: -1 })).rejects.toThrow('limit must be an integer');
    await expect(queue.list({ queue: 'nope' })).rejects.toThrow(UnknownQueueError);
  });

  it('hands running jobs back on close, and another run finishes them', async () => {
    const store = fixture.newStore();
    const first = await fixture.open(store, baseOptions);
    const id = await first.enqueue('sleepy', { ms: 400 });
    await eventually(async () => (await first.get(id))?.status === 'started');
    await first.close({ graceMs: 20 });
    const second = await openQueue(baseOptions, store);
    const job = await second.wait(id, { timeoutMs: 10_000 });
    expect(job.status).toBe('finished');
    expect(job.attempt).toBe(1);
    const messages = (await second.logs(id)).map((line) => line.message);
    expect(messages.some((message) => /Handed back to the queue/.test(message))).toBe(true);
  });

  it('lets a process that only enqueues see the results, logs and aborts of jobs run elsewhere', async () => {
    const store = fixture.newStore();
    const worker = await openQueue(baseOptions, store);
    const producer = await fixture.open(store, baseOptions, { consume: false });
    open.push(producer);
    const id = await producer.enqueue('chatty', { lines: 2 });
    const job = await producer.wait(id, { timeoutMs: 10_000 });
    expect(job.result).toBe(2);
    expect((await producer.logs(id)).map((line) => line.message)).toEqual([
      'line 0',
      'line 1',
      'careful',
    ]);
    expect((await worker.get(id))?.status).toBe('finished');

    const long = await producer.enqueue('process-sleepy', { ms: 30_000 });
    await eventually(async () => (await producer.get(long))?.status === 'started');
    const { aborted, job: abortedJob } = await producer.abort(long);
    expect(aborted).toBe(true);
    expect(abortedJob.status).toBe('aborted');
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
