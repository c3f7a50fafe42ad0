// Load a synthetic global 1-degree grid (64,800 cells) with a year of three-hourly steps
// (2,920) and time the reads the flux API makes.
// Usage: npm run bench [-- --steps N] [--no-file] [--keep]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cellsInPolygon,
  FluxStore,
  openModel,
  type GriddedLoad,
  type GriddedStep,
} from '../src/index.js';
import { writeMat5 } from '@geoworks/test-fixtures';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '2920' },
    keep: { type: 'boolean' },
    'no-file': { type: 'boolean' },
  },
});
const STEPS = Number(args.steps);
const HOUR = 3_600_000;
const START = Date.UTC(2010, 0, 1);

const cells = new Float64Array(360 * 180 * 2);
for (let row = 0; row < 180; row++) {
  for (let column = 0; column < 360; column++) {
    const cell = row * 360 + column;
    cells[2 * cell] = -179.5 + column;
    cells[2 * cell + 1] = 89.5 - row;
  }
}
const cellCount = cells.length / 2;
// Sixteen distinct maps of plausible fluxes, cycled: generating values is not what is measured.
const maps = Array.from({ length: 16 }, (_, variant) =>
  Float64Array.from(
    { length: cellCount },
    (_, cell) => Math.round(Math.sin(cell / 97 + variant) * 500 + Math.cos(cell / 13) * 80) / 100,
  ),
);

function* steps(): Generator<GriddedStep> {
  for (let step = 0; step < STEPS; step++) {
    yield {
      time: new Date(START + step * 3 * HOUR),
      values: { values: maps[step % maps.length]! },
    };
  }
}
const plan: GriddedLoad = {
  kind: 'gridded',
  metadata: {
    gridded: true,
    grid: { units: 'degrees', x: 1, y: 1 },
    title: 'Synthetic',
    units: {},
    steps: [10800],
    dates: [],
    precision: 2,
  },
  parameters: ['values'],
  cells,
  precision: { values: 2 },
  stepCount: STEPS,
  steps: steps(),
};

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const dir = mkdtempSync(join(tmpdir(), 'flux-bench-'));
const path = join(dir, 'flux.sqlite');
const store = FluxStore.open(path);
const began = performance.now();
await store.load('global', plan);
const loadSeconds = (performance.now() - began) / 1000;
const loadRss = process.memoryUsage().rss;
const values = STEPS * cellCount;
store.close();
const size = statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);

function median(run: () => void, times = 15): number {
  const samples: number[] = [];
  for (let index = 0; index < times; index++) {
    const at = performance.now();
    run();
    samples.push(performance.now() - at);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const reader = FluxStore.open(path);
const year = { start: new Date(START), end: new Date(START + (STEPS - 1) * 3 * HOUR) };
let probe = 0;
const mapMs = median(() =>
  reader.map('global', new Date(START + ((probe++ * 37) % STEPS) * 3 * HOUR)),
);
const seriesMs = median(() =>
  reader.cellSeries('global', year, { cell: (probe++ * 7919) % cellCount }),
);
const box = cellsInPolygon(cells, [
  [
    [-100, 20],
    [-80, 20],
    [-80, 40],
    [-100, 40],
    [-100, 20],
  ],
]);
const roiMs = median(() => reader.regionSeries('global', year, { cells: Array.from(box) }), 7);
const aggregateMs = median(
  () => reader.seriesAggregate('global', year, { aggregate: 'net', interval: 'monthly' }),
  7,
);
reader.close();

// End to end as `flux-manage load` does it: a MAT v5 file read column by column by the model.
let fileFigures = 'skipped (--no-file)';
if (args['no-file'] !== true) {
  const matPath = join(dir, 'global.mat');
  const xs = Float64Array.from({ length: cellCount }, (_, cell) => cells[2 * cell]!);
  const ys = Float64Array.from({ length: cellCount }, (_, cell) => cells[2 * cell + 1]!);
  writeMat5(matPath, 'flux', cellCount, STEPS + 2, (column) =>
    column === 0 ? xs : column === 1 ? ys : maps[(column - 2) % maps.length]!,
  );
  const fileBytes = statSync(matPath).size;
  const fileStore = FluxStore.open(join(dir, 'file.sqlite'));
  const at = performance.now();
  const model = await openModel('SpatioTemporalMatrix', matPath, {
    overrides: 'timestamp=2010-01-01T00:00:00',
  });
  await fileStore.load('global', await model.toLoad());
  model.close();
  const seconds = (performance.now() - at) / 1000;
  fileStore.close();
  fileFigures = `${seconds.toFixed(1)} s, ${(values / seconds / 1e6).toFixed(1)} million values/s from a ${mb(fileBytes)} MAT v5 file`;
  rmSync(matPath);
}

console.log(
  `flux-store bench: ${cellCount.toLocaleString('en-US')} cells x ${STEPS.toLocaleString('en-US')} steps = ${values.toLocaleString('en-US')} values`,
);
console.log(
  `load                 ${loadSeconds.toFixed(1)} s, ${(values / loadSeconds / 1e6).toFixed(1)} million values/s (target >= 10)`,
);
console.log(`load from a file     ${fileFigures}`);
console.log(`database size        ${mb(size)} (${(size / values).toFixed(2)} bytes/value)`);
console.log(`map read             ${mapMs.toFixed(1)} ms median (target < 20)`);
console.log(`cell series, 1 year  ${seriesMs.toFixed(1)} ms median (target < 20)`);
console.log(
  `ROI 20x20 deg, 1 yr  ${roiMs.toFixed(1)} ms median, ${box.length} cells (target < 200)`,
);
console.log(`all-cell monthly net ${aggregateMs.toFixed(1)} ms median`);
console.log(
  `RSS after load       ${mb(loadRss)}; peak ${mb(process.resourceUsage().maxRSS * 1024)}`,
);
if (args.keep !== true) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${path}`);
