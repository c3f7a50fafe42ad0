// pandarus-format benchmark: `npm run bench -w @geoworks/pandarus-format`.
// 400,000 intersection rows (`[from, to, area]`, about 20 MB of JSON) written as a result file,
// plain and bzip2-compressed, read back, and the plain file hashed; best of BENCH_REPEAT (3).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readResultFile, sha256File, writeResultFile } from '../src/index.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 400_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

async function best(run: (attempt: number) => Promise<unknown>): Promise<number> {
  let seconds = Infinity;
  for (let attempt = 0; attempt < REPEAT; attempt++) {
    const started = performance.now();
    await run(attempt);
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
  }
  return seconds;
}

function* rows(): Generator<[string, string, number]> {
  for (let i = 0; i < ROWS; i++) {
    yield [`star ${i}`, `cell ${i % 2000}`, 3097719886.0413523 * ((i % 997) / 997)];
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pandarus-format-bench-'));
try {
  console.log(`pandarus-format: ${ROWS} rows [from, to, area]`);
  for (const compress of [false, true]) {
    let path = '';
    const write = await best(async (attempt) => {
      path = await writeResultFile(
        join(dir, `${compress}-${attempt}.json`),
        rows(),
        {},
        { compress },
      );
    });
    const megabytes = statSync(path).size / 1e6;
    const read = await best(() => readResultFile(path));
    const kind = compress ? 'bzip2' : 'plain';
    console.log(
      `${kind.padEnd(6)} write ${write.toFixed(2).padStart(5)} s  ${(ROWS / write).toFixed(0).padStart(7)} rows/s  read ${read.toFixed(2).padStart(5)} s  file ${megabytes.toFixed(1)} MB`,
    );
    if (!compress) {
      const hash = await best(() => sha256File(path));
      console.log(
        `sha256 of the plain file  ${hash.toFixed(3)} s  ${(megabytes / hash).toFixed(0)} MB/s`,
      );
    }
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
