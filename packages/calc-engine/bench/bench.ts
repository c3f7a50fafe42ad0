// calc-engine benchmark: `npm run bench -w @geoworks/calc-engine`.
// The engine's own cost per job, on the smallest real calculation (the pandarus grid x square
// intersection, milliseconds of work): submit (inputs checked and copied, rows written), the
// job's process started, the datastore and the exports written, the outputs recorded. Jobs one
// after the other, then JOBS at once with concurrency 2.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pandarusFixture } from '@geoworks/test-fixtures';
import { BUILT_IN_MODES, CalcEngine, type CalcStatus } from '../src/index.js';
import { intersectionIni } from '../test/helpers.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 8);
const ENDED: CalcStatus[] = ['complete', 'failed', 'aborted', 'deleted'];

const dir = mkdtempSync(join(tmpdir(), 'calc-engine-bench-'));
const files = ['grid.geojson', 'square.geojson'].map((name) => {
  const path = join(dir, name);
  copyFileSync(pandarusFixture(name), path);
  return { name, path };
});
writeFileSync(join(dir, 'job.ini'), intersectionIni());
const engine = await CalcEngine.open({
  dataDir: join(dir, 'data'),
  modes: BUILT_IN_MODES,
  concurrency: 2,
});

async function finished(id: number): Promise<void> {
  for (;;) {
    const status = engine.job(id).status;
    if (status === 'complete') return;
    if (ENDED.includes(status)) throw new Error(`job ${id} ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const submit = () =>
  engine.submit({
    owner: 'bench',
    files: [{ name: 'job.ini', path: join(dir, 'job.ini') }, ...files],
  });

try {
  console.log(
    `calc-engine: grid x square intersections, each job in its own process (from the TypeScript sources)`,
  );
  let submitting = 0;
  let started = performance.now();
  for (let i = 0; i < JOBS; i++) {
    const before = performance.now();
    const { jobId } = await submit();
    submitting += performance.now() - before;
    await finished(jobId);
  }
  let seconds = (performance.now() - started) / 1000;
  console.log(
    `one after the other   ${((seconds / JOBS) * 1000).toFixed(0).padStart(5)} ms per job from submit to complete (submit itself ${(submitting / JOBS).toFixed(0)} ms)`,
  );
  started = performance.now();
  const ids = [];
  for (let i = 0; i < JOBS; i++) ids.push((await submit()).jobId);
  await Promise.all(ids.map(finished));
  seconds = (performance.now() - started) / 1000;
  console.log(`${JOBS} at once, 2 running   ${(JOBS / seconds).toFixed(1).padStart(5)} jobs/s`);
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}
