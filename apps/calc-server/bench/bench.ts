// calc-server benchmark: `npm run bench -w @geoworks/calc-server`.
// - `list` with 10,000 jobs in the database and log pages of a job with 1,000,000 log rows,
//   under 50 concurrent clients (autocannon): requests/s, median and p99 latency.
// - 200 small jobs submitted at once: jobs finished per second (each job is its own process).
// Target: p99 under 50 ms for list and log pages.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { forkModule } from '@geoworks/workers';

const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const LOG_ROWS = Number(process.env.BENCH_LOG_ROWS ?? 1_000_000);
const SMALL_JOBS = Number(process.env.BENCH_SMALL_JOBS ?? 200);
const dataDir = mkdtempSync(join(tmpdir(), 'calc-server-bench-'));

const child = forkModule(new URL('./server-entry.ts', import.meta.url), [], {
  env: {
    ...process.env,
    CALC_SERVER_PORT: '0',
    CALC_SERVER_DATA_DIR: dataDir,
    CALC_SERVER_CONCURRENCY: '2',
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const match = /listening (\S+)/.exec(out);
    if (match) resolve(match[1]!.replace(/\/$/, ''));
  });
  child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
});

async function run(ini: string): Promise<number> {
  const form = new FormData();
  form.append('job.ini', new Blob([ini]), 'job.ini');
  const response = await fetch(`${url}/v1/calc/run`, { method: 'POST', body: form });
  return ((await response.json()) as { job_id: number }).job_id;
}

async function waitAll(ids: number[]): Promise<void> {
  const pending = new Set(ids);
  while (pending.size > 0) {
    for (const id of [...pending]) {
      const { status } = (await (await fetch(`${url}/v1/calc/${id}/status`)).json()) as {
        status: string;
      };
      if (['complete', 'failed', 'aborted'].includes(status)) pending.delete(id);
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function load(title: string, options: Partial<autocannon.Options>): Promise<void> {
  const result = await autocannon({ url, connections: 50, duration: 10, ...options });
  const errors = result.errors + result.non2xx;
  console.log(
    `${title.padEnd(34)} ${result.requests.average.toFixed(0).padStart(6)} req/s  median ${result.latency.p50} ms  p99 ${result.latency.p99} ms  max ${result.latency.max} ms${errors ? `  (${errors} errors)` : ''}`,
  );
}

try {
  console.log(
    `calc-server: ${JOBS} jobs, a job with ${LOG_ROWS} log rows, ${SMALL_JOBS} small jobs; 50 concurrent clients`,
  );
  // 10,000 finished jobs, written straight into the jobs table (running them would take hours).
  const db = new Database(join(dataDir, 'calc.sqlite'));
  db.pragma('busy_timeout = 10000');
  const insert = db.prepare(
    `INSERT INTO job (description, user_name, calculation_mode, status, start_time, stop_time, ds_calc_dir, size_mb)
     VALUES (?, 'bench', 'intersection', 'complete', ?, ?, '/nonexistent', 0.5)`,
  );
  db.transaction(() => {
    for (let i = 0; i < JOBS; i++)
      insert.run(`Seeded job ${i}`, Date.now() - 1e6 + i, Date.now() - 1e6 + i + 500);
  })();
  db.close();

  let started = performance.now();
  const chatty = await run(
    `[a]\ndescription = Chatty\ncalculation_mode = chatty\nlines = ${LOG_ROWS}\n`,
  );
  await waitAll([chatty]);
  const size = (await (await fetch(`${url}/v1/calc/${chatty}/log/size`)).json()) as number;
  console.log(`logged ${size} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  await load('GET /v1/calc/list (100 of 10,000)', {
    requests: [{ method: 'GET', path: '/v1/calc/list' }],
  });
  await load('GET /v1/calc/list?offset=5000&limit=100', {
    requests: [{ method: 'GET', path: '/v1/calc/list?offset=5000&limit=100' }],
  });
  await load('GET log/<random>:<+100> of 1M rows', {
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          const start = Math.floor(Math.random() * (size - 100));
          return { ...request, path: `/v1/calc/${chatty}/log/${start}:${start + 100}` };
        },
      },
    ],
  });
  await load('GET log/size', {
    requests: [{ method: 'GET', path: `/v1/calc/${chatty}/log/size` }],
  });

  started = performance.now();
  const ids = await Promise.all(
    Array.from({ length: SMALL_JOBS }, (_, i) =>
      run(`[a]\ndescription = Small ${i}\ncalculation_mode = noop\n`),
    ),
  );
  const submitted = performance.now();
  await waitAll(ids);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${SMALL_JOBS} small jobs: submitted in ${((submitted - started) / 1000).toFixed(2)} s, all finished in ${seconds.toFixed(1)} s = ${(SMALL_JOBS / seconds).toFixed(1)} jobs/s (each its own process, 2 at a time)`,
  );
  console.log('target: p99 under 50 ms for list and log pages');
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
