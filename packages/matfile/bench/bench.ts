// Reads a MATLAB v5 grid column by column, as the flux models do when they load one: a global
// 1-degree grid (64,800 cells) with the x and y columns and a year of three-hourly steps.
// Usage: npm run bench [-- --steps N] [--keep]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeMat5 } from '@geoworks/test-fixtures';
import { openMatrixFile } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '2920' },
    keep: { type: 'boolean' },
  },
});
const STEPS = Number(args.steps);
const CELLS = 360 * 180;
// Sixteen distinct columns, cycled: generating values is not what is measured.
const columns = Array.from({ length: 16 }, (_, variant) =>
  Float64Array.from({ length: CELLS }, (_, cell) => Math.sin(cell / 97 + variant) * 5),
);

const dir = mkdtempSync(join(tmpdir(), 'matfile-bench-'));
const path = join(dir, 'global.mat');
writeMat5(path, 'flux', CELLS, STEPS + 2, (column) => columns[column % columns.length]!);
const bytes = statSync(path).size;

let checksum = 0;
const began = performance.now();
const file = await openMatrixFile(path);
const opened = performance.now();
let read = 0;
for await (const column of file.columns('flux')) {
  // Touch one value per column, so the read cannot be skipped.
  checksum += column[read++ % CELLS]!;
}
file.close();
const seconds = (performance.now() - began) / 1000;

console.log(
  `matfile bench: a ${(bytes / 1e6).toFixed(0)} MB MAT v5 file, ${CELLS.toLocaleString('en-US')} rows x ${(STEPS + 2).toLocaleString('en-US')} columns of doubles`,
);
console.log(`open (headers only)   ${(opened - began).toFixed(1)} ms`);
console.log(
  `columns, one by one   ${seconds.toFixed(1)} s, ${((CELLS * (STEPS + 2)) / seconds / 1e6).toFixed(0)} million values/s, ${(bytes / seconds / 1e6).toFixed(0)} MB/s (checksum ${checksum.toFixed(1)})`,
);
console.log(
  `peak RSS              ${((process.resourceUsage().maxRSS * 1024) / 1e6).toFixed(0)} MB`,
);
if (args.keep !== true) rmSync(dir, { recursive: true, force: true });
else console.log(`kept ${path}`);
