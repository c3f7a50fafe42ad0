// workers benchmark: `npm run bench -w @geoworks/workers`.
// A ProcessPool of 2: how long the workers take to start and take their setup, how many small
// tasks a second go round trip, and how fast large payloads cross the IPC channel.
import { ProcessPool } from '../src/index.js';

const entry = new URL('./echo-worker.ts', import.meta.url);
const SMALL = Number(process.env.BENCH_TASKS ?? 20_000);
const LARGE = 200;

let started = performance.now();
const pool = ProcessPool.spawn<null, Uint8Array, [number, number]>(entry, 2);
try {
  await pool.setup(null);
  console.log(
    `start 2 workers and set them up: ${((performance.now() - started) / 1000).toFixed(2)} s (TypeScript sources, through tsx)`,
  );
  for (const [label, count, size] of [
    ['small tasks (64 B)', SMALL, 64],
    ['large payloads (1 MiB)', LARGE, 1 << 20],
  ] as const) {
    const payload = new Uint8Array(size).fill(7);
    // Keep 64 tasks in flight, as a producer feeding batches would.
    started = performance.now();
    let sent = 0;
    const runOne = async (): Promise<void> => {
      while (sent < count) {
        sent++;
        const [length, first] = await pool.run(payload);
        if (length !== size || first !== 7) throw new Error('wrong answer');
      }
    };
    await Promise.all(Array.from({ length: 64 }, runOne));
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${label.padEnd(24)} ${(count / seconds).toFixed(0).padStart(7)} tasks/s  ${((count * size) / seconds / 2 ** 20).toFixed(0).padStart(5)} MiB/s  ${((seconds / count) * 1e6).toFixed(0)} us each`,
    );
  }
} finally {
  pool.close();
}
