// geo-intersect benchmark: `npm run bench -w @geoworks/geo-intersect`.
// 20,000 irregular polygons (~30 vertices) x 2,000 warped 1-degree cells (~500 vertices), with
// 1 and 2 worker processes; and, when Debian's python3-geopandas is installed, geopandas
// `overlay(how="intersection")` plus Mollweide areas on the same files, side by side.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkModule } from '@geoworks/workers';
import { writeSyntheticDatasets } from './synthetic.js';

const STARS = Number(process.env.BENCH_STARS ?? 20_000);

/** Resident memory of a process and all its descendants, in bytes (Linux /proc). */
function treeRss(pid: number): number {
  let total = 0;
  const pending = [pid];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  while (pending.length > 0) {
    const current = pending.pop()!;
    try {
      const status = readFileSync(`/proc/${current}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      continue;
    }
    pending.push(...(children.get(current) ?? []));
  }
  return total;
}

async function measure(
  start: () => ReturnType<typeof spawn>,
): Promise<{ output: string; peak: number }> {
  const child = start();
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, treeRss(child.pid!))), 25);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`benchmark run failed (exit ${code}): ${output}`);
  return { output, peak };
}

const dir = mkdtempSync(join(tmpdir(), 'geo-intersect-bench-'));
try {
  const generated = performance.now();
  const { starsPath, cellsPath } = await writeSyntheticDatasets(dir, { stars: STARS });
  console.log(
    `geo-intersect: ${STARS} stars (~30 vertices) x 2000 cells (~500 vertices), data made in ${((performance.now() - generated) / 1000).toFixed(1)} s`,
  );
  const rows: string[] = [];
  let ours = Infinity;
  for (const cpus of [1, 2]) {
    const outDir = join(dir, `out-${cpus}`);
    mkdirSync(outDir);
    const { output, peak } = await measure(() =>
      forkModule(
        new URL('./run-once.ts', import.meta.url),
        [starsPath, cellsPath, outDir, String(cpus)],
        {
          stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        },
      ),
    );
    const { seconds, count } = JSON.parse(output) as { seconds: number; count: number };
    ours = Math.min(ours, seconds);
    rows.push(
      `geo-intersect, ${cpus} worker${cpus > 1 ? 's' : ' '} ${seconds.toFixed(2).padStart(7)} s ${(STARS / seconds).toFixed(0).padStart(8)} features/s ${String(count).padStart(7)} intersections  peak ${(peak / 2 ** 20).toFixed(0).padStart(5)} MiB`,
    );
    console.log(rows[rows.length - 1]);
  }
  const python = '/usr/bin/python3';
  const hasGeopandas =
    spawnSync(python, ['-c', 'import geopandas'], { stdio: 'ignore' }).status === 0;
  if (hasGeopandas) {
    const script = fileURLToPath(new URL('./geopandas_overlay.py', import.meta.url));
    const { output, peak } = await measure(() =>
      spawn(python, [script, starsPath, cellsPath], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    const { seconds, count } = JSON.parse(output) as { seconds: number; count: number };
    console.log(
      `geopandas overlay + area ${seconds.toFixed(2).padStart(7)} s ${(STARS / seconds).toFixed(0).padStart(8)} features/s ${String(count).padStart(7)} intersections  peak ${(peak / 2 ** 20).toFixed(0).padStart(5)} MiB`,
    );
    console.log(`speed-up over geopandas: ${(seconds / ours).toFixed(1)}x (target: at least 3x)`);
  } else {
    console.log(
      'geopandas: not installed (apt-get install python3-geopandas to compare side by side);',
    );
    console.log(
      '  spec baseline on this kind of machine: 17.3 s, 34,266 intersections, 285 MB peak',
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
