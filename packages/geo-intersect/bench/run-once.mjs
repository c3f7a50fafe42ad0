// One benchmark run in its own process, so its memory can be measured alone:
// argv: first second outDir cpus. Prints one JSON line. Plain JavaScript on the built
// package, as users run it: its worker processes start without a TypeScript loader.
import { intersect } from '@geoworks/geo-intersect';

const [first, second, outDir, cpus] = process.argv.slice(2);
const started = performance.now();
const result = await intersect(
  { path: first, field: 'star' },
  { path: second, field: 'cell' },
  { outDir, cpus: Number(cpus) },
);
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, count: result.count }));
