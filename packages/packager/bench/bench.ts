// Packager benchmark: `npm run bench -w @geoworks/packager`.
// A fake CKAN (its own process) serves BENCH_ROWS rows of BENCH_COLUMNS columns; the packager
// turns them into a zipped CSV through the whole service path (queue, CKAN paging, CSV
// writer, zip, atomic publication, email to the outbox). Each run is a fresh `node` process
// on the built package, as in production; printed: rows per second end to end and the
// process's peak RSS, for a tenth of the rows and for all of them, so one sees that memory
// does not grow with the row count.
// Targets (issue 5): >= 50,000 rows/s and peak RSS < 200 MB, independent of the row count.
// Note: on a 2-core machine the fake CKAN takes about one core of its own.
import { execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkModule } from '@geoworks/workers';

const ROWS = Number(process.env.BENCH_ROWS ?? 3_000_000);
const COLUMNS = Number(process.env.BENCH_COLUMNS ?? 20);
const PAGE_SIZE = Number(process.env.BENCH_PAGE_SIZE ?? 5000);
const ZIP_LEVEL = process.env.BENCH_ZIP_LEVEL ?? 'default';
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

interface RunFigures {
  rows: number;
  seconds: number;
  zipBytes: number;
  idleRss: number;
  peakRss: number;
  cpuPercent: number;
}

console.log('building @geoworks/packager and its dependencies (nx, cached)...');
execFileSync('npx', ['nx', 'run', '@geoworks/packager:build', '--output-style=static'], {
  cwd: fileURLToPath(new URL('../../..', import.meta.url)),
  stdio: 'ignore',
});

console.log(
  `packager bench: ${ROWS.toLocaleString('en')} rows x ${COLUMNS} columns, page size ${PAGE_SIZE}, zip level ${ZIP_LEVEL}`,
);
const ckanProcess = forkModule(
  new URL('./ckan-entry.ts', import.meta.url),
  [String(ROWS), String(COLUMNS)],
  {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  },
);
try {
  const ckan = await new Promise<{ apiUrl: string; rows: number; loadMs: number }>(
    (resolve, reject) => {
      let out = '';
      ckanProcess.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n').find((text) => text.startsWith('{'));
        if (line !== undefined)
          resolve(JSON.parse(line) as { apiUrl: string; rows: number; loadMs: number });
      });
      ckanProcess.on('exit', (code) => reject(new Error(`fake CKAN exited with ${code}`)));
    },
  );
  console.log(
    `fake CKAN loaded ${ckan.rows.toLocaleString('en')} rows in ${(ckan.loadMs / 1000).toFixed(1)} s`,
  );

  const run = (limit: string) =>
    new Promise<RunFigures>((resolve, reject) => {
      const child = fork(
        fileURLToPath(new URL('./run-packager.mjs', import.meta.url)),
        [ckan.apiUrl, limit, String(PAGE_SIZE), ZIP_LEVEL],
        // Plain node on dist: no TypeScript loader, no source condition.
        { execArgv: [], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
      );
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', (code) => {
        const line = out.split('\n').find((text) => text.startsWith('{'));
        if (code === 0 && line !== undefined) resolve(JSON.parse(line) as RunFigures);
        else reject(new Error(`packager run exited with ${code}: ${out}`));
      });
    });

  for (const limit of [String(Math.max(1, Math.round(ROWS / 10))), 'all']) {
    const figures = await run(limit);
    console.log(
      `${figures.rows.toLocaleString('en').padStart(10)} rows: ${figures.seconds.toFixed(1)} s, ` +
        `${Math.round(figures.rows / figures.seconds).toLocaleString('en')} rows/s, zip ${mb(figures.zipBytes)}, ` +
        `peak RSS ${mb(figures.peakRss)} (idle ${mb(figures.idleRss)}), packager CPU ${Math.round(figures.cpuPercent)}% of a core`,
    );
  }
} finally {
  ckanProcess.kill('SIGTERM');
}
