// Job queue benchmark: `npm run bench -w @geoworks/job-queue`.
//
// Throughput: a burst of no-op jobs enqueued at once, timed from the first enqueue to the last
// finish. Latency: no-op jobs enqueued at a steady rate below capacity, each timed from the
// moment enqueue() is called to the moment its handler starts (in this process).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createJobQueue, defineJobType, type JobQueue } from '../src/index.js';
import { startRedis } from '@geoworks/test-fixtures';

const BURST = Number(process.env.BENCH_BURST ?? 5000);
const LATENCY_JOBS = Number(process.env.BENCH_LATENCY_JOBS ?? 1000);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 200); // jobs per second

const handlerStarts = new Map<string, number>();
const noop = defineJobType({
  type: 'noop',
  handler: (payload: { tag: string }) => {
    handlerStarts.set(payload.tag, performance.now());
    return null;
  },
});

async function throughput(queue: JobQueue): Promise<number> {
  let finished = 0;
  const done = new Promise<void>((resolve) =>
    queue.on('finished', () => {
      if (++finished === BURST) resolve();
    }),
  );
  const started = performance.now();
  await Promise.all(
    Array.from({ length: BURST }, (_, i) => queue.enqueue('noop', { tag: `t${i}` })),
  );
  await done;
  return BURST / ((performance.now() - started) / 1000);
}

async function latency(queue: JobQueue): Promise<{ median: number; p99: number; max: number }> {
  handlerStarts.clear();
  const enqueuedAt = new Map<string, number>();
  let finished = 0;
  const done = new Promise<void>((resolve) =>
    queue.on('finished', () => {
      if (++finished === LATENCY_JOBS) resolve();
    }),
  );
  const interval = 1000 / LATENCY_RATE;
  const start = performance.now();
  for (let i = 0; i < LATENCY_JOBS; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const tag = `l${i}`;
    enqueuedAt.set(tag, performance.now());
    void queue.enqueue('noop', { tag });
  }
  await done;
  const samples = [...enqueuedAt]
    .map(([tag, at]) => handlerStarts.get(tag)! - at)
    .sort((a, b) => a - b);
  const pick = (q: number) =>
    samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { median: pick(0.5), p99: pick(0.99), max: samples[samples.length - 1]! };
}

async function run(name: string, open: () => Promise<JobQueue>): Promise<void> {
  let queue = await open();
  const jobsPerSecond = await throughput(queue);
  await queue.close();
  queue = await open();
  const { median, p99, max } = await latency(queue);
  await queue.close();
  console.log(
    `${name.padEnd(8)} ${jobsPerSecond.toFixed(0).padStart(8)} jobs/s   start latency median ${median.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'job-queue-bench-'));
const redis = await startRedis();
try {
  console.log(
    `job-queue: ${BURST} no-op jobs in a burst (throughput), ${LATENCY_JOBS} at ${LATENCY_RATE}/s (enqueue-to-start latency), concurrency 8`,
  );
  let round = 0;
  const queues = { default: { concurrency: 8 } };
  await run('sqlite', () =>
    createJobQueue({
      backend: { kind: 'sqlite', file: join(dir, `bench-${round++}.sqlite`) },
      jobTypes: [noop],
      queues,
    }),
  );
  await run('redis', () =>
    createJobQueue({
      backend: { kind: 'redis', url: redis.url, namespace: `bench${round++}` },
      jobTypes: [noop],
      queues,
    }),
  );
  console.log('target (sqlite): >= 1000 jobs/s and p99 start latency < 50 ms');
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
