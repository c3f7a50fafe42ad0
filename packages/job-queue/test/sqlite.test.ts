import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobQueue, defineJobType, QueueLockedError, type JobQueue } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'job-queue-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const echo = defineJobType({ type: 'echo', handler: (payload: unknown) => payload });
const long = defineJobType({ type: 'long', handler: () => 'second run finished' });

/** Runs the owner fixture until its job has started, then kills it with SIGKILL. */
async function killOwnerMidJob(
  file: string,
  attempts: number,
): Promise<{ id: string; pid: number }> {
  // node itself with tsx's loader (the tsx CLI would put a wrapper process in between).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(
    process.execPath,
    [
      '--import',
      tsx,
      '--conditions=@geoworks/source',
      fileURLToPath(new URL('./fixtures/owner-process.ts', import.meta.url)),
      file,
      String(attempts),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const id = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /started (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`owner exited early with ${code}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return { id, pid: child.pid! };
}

describe('sqlite backend', () => {
  it('fails a job whose service process was killed mid-job, at the next start', async () => {
    const file = join(dir, 'crash.sqlite');
    const { id, pid } = await killOwnerMidJob(file, 1);
    const queue = await createJobQueue({ backend: { kind: 'sqlite', file }, jobTypes: [long] });
    try {
      const job = await queue.get(id);
      expect(job?.status).toBe('failed');
      expect(job?.error?.code).toBe('JOB_INTERRUPTED');
      expect(job?.error?.message).toMatch(
        new RegExp(
          `^The job was interrupted: the process running it \\(pid ${pid} on .+\\) stopped$`,
        ),
      );
      const messages = (await queue.logs(id)).map((line) => line.message);
      expect(messages[0]).toBe('long job running');
      expect(messages.some((message) => message.includes('JobInterruptedError'))).toBe(true);
    } finally {
      await queue.close();
    }
  });

  it('retries a job interrupted by a crash when attempts allow', async () => {
    const file = join(dir, 'crash-retry.sqlite');
    const { id } = await killOwnerMidJob(file, 2);
    const queue = await createJobQueue({
      backend: { kind: 'sqlite', file },
      jobTypes: [long],
      retryBackoffMs: 10,
    });
    try {
      const job = await queue.wait(id, { timeoutMs: 10_000 });
      expect(job.status).toBe('finished');
      expect(job.result).toBe('second run finished');
      expect(job.attempt).toBe(2);
    } finally {
      await queue.close();
    }
  });

  it('refuses a second process running the same queue file while the first is alive', async () => {
    const file = join(dir, 'locked.sqlite');
    const first = await createJobQueue({ backend: { kind: 'sqlite', file }, jobTypes: [echo] });
    let second: JobQueue | undefined;
    try {
      await expect(
        createJobQueue({ backend: { kind: 'sqlite', file }, jobTypes: [echo] }),
      ).rejects.toThrow(QueueLockedError);
      await expect(
        createJobQueue({ backend: { kind: 'sqlite', file }, jobTypes: [echo] }),
      ).rejects.toThrow(`Job queue ${file} is in use by pid ${process.pid}`);
      await first.close();
      second = await createJobQueue({ backend: { kind: 'sqlite', file }, jobTypes: [echo] });
      expect(second.backend).toBe('sqlite');
    } finally {
      await first.close();
      await second?.close();
    }
  });

  it('keeps jobs, results and logs across restarts', async () => {
    const file = join(dir, 'durable.sqlite');
    const chatty = defineJobType({
      type: 'chatty',
      handler: (payload: { n: number }, context) => {
        context.log.info(`n is ${payload.n}`);
        return payload.n * 2;
      },
    });
    const first = await createJobQueue({ backend: { kind: 'sqlite', file }, jobTypes: [chatty] });
    const id = await first.enqueue('chatty', { n: 21 });
    await first.wait(id);
    await first.close();
    const second = await createJobQueue({ backend: { kind: 'sqlite', file }, jobTypes: [chatty] });
    try {
      expect(await second.get(id)).toMatchObject({ status: 'finished', result: 42 });
      expect((await second.logs(id)).map((line) => line.message)).toEqual(['n is 21']);
    } finally {
      await second.close();
    }
  });

  it('fails a stored job whose type this process no longer knows, with a clear reason', async () => {
    const file = join(dir, 'unknown-type.sqlite');
    const producer = await createJobQueue({
      backend: { kind: 'sqlite', file, consume: false },
      jobTypes: [echo],
    });
    const id = await producer.enqueue('echo', 1);
    await producer.close();
    const queue = await createJobQueue({ backend: { kind: 'sqlite', file }, jobTypes: [long] });
    try {
      const job = await queue.wait(id, { timeoutMs: 5000 });
      expect(job.status).toBe('failed');
      expect(job.error?.message).toBe('Unknown job type "echo"; known types: long');
    } finally {
      await queue.close();
    }
  });

  it('keeps at most maxLogLinesPerJob lines and says so once', async () => {
    const chatty = defineJobType({
      type: 'chatty',
      handler: (_payload: unknown, context) => {
        for (let i = 0; i < 10; i++) context.log.info(`line ${i}`);
      },
    });
    const queue = await createJobQueue({ jobTypes: [chatty], maxLogLinesPerJob: 5 });
    try {
      const id = await queue.enqueue('chatty', {});
      await queue.wait(id);
      expect((await queue.logs(id)).map((line) => line.message)).toEqual([
        'line 0',
        'line 1',
        'line 2',
        'line 3',
        'line 4',
        'Log limit of 5 lines reached; later lines are dropped',
      ]);
      expect(await queue.logCount(id)).toBe(6);
    } finally {
      await queue.close();
    }
  });

  it('rejects calls after close', async () => {
    const queue = await createJobQueue({ jobTypes: [echo] });
    await queue.close();
    await expect(queue.enqueue('echo', 1)).rejects.toThrow('The job queue is closed');
  });
});

describe('sqlite retention', () => {
  it('removes ended jobs and their logs once their retention has passed, keeping the others', async () => {
    let now = Date.now();
    const chatty = defineJobType({
      type: 'chatty',
      handler: (_payload: unknown, context) => context.log.info('kept until the job goes'),
    });
    const queue = await createJobQueue({
      jobTypes: [chatty, echo],
      backend: {
        kind: 'sqlite',
        file: join(dir, 'retention.sqlite'),
        pollIntervalMs: 20,
        retentionSeconds: 3600,
      },
      now: () => now,
    });
    try {
      const old = await queue.enqueue('chatty', {});
      await queue.wait(old, { timeoutMs: 5000 });
      expect(await queue.logCount(old)).toBe(1);
      // Past the old job's retention, but not past the one that ends now.
      now += 3600_000 + 120_000;
      const recent = await queue.enqueue('echo', 'recent');
      await queue.wait(recent, { timeoutMs: 5000 });
      for (;;) {
        if ((await queue.get(old)) === null) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await expect(queue.logCount(old)).rejects.toThrow(`No job with id "${old}"`);
      expect((await queue.get(recent))?.result).toBe('recent');
    } finally {
      await queue.close();
    }
  });
});
