// npz benchmark: `npm run bench -w @geoworks/npz`.
//
// Encode and decode throughput for the two shapes the calculation server sends: a large
// float grid (typed-array fast path: one copy) and a table of records (per-field work),
// then whole archives written stored and deflated and read back. Sizes by environment:
// BENCH_FLOATS (default 10 000 000), BENCH_RECORDS (default 500 000). Each figure is the
// best of BENCH_REPEAT runs (default 3): single runs swing with garbage collection.
import { performance } from 'node:perf_hooks';
import {
  decodeNpy,
  encodeNpy,
  npyFromRecords,
  readNpz,
  writeNpz,
  type NpyArray,
} from '../src/index.js';

const FLOATS = Number(process.env.BENCH_FLOATS ?? 10_000_000);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 500_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

async function time<T>(run: () => T | Promise<T>): Promise<{ result: T; ms: number }> {
  let best = Infinity;
  let result: T | undefined;
  for (let i = 0; i < REPEAT; i++) {
    const start = performance.now();
    result = await run();
    best = Math.min(best, performance.now() - start);
  }
  return { result: result as T, ms: best };
}

function row(what: string, bytes: number, ms: number, extra = ''): void {
  const mbps = bytes / 2 ** 20 / (ms / 1000);
  console.log(
    `${what.padEnd(40)} ${(bytes / 2 ** 20).toFixed(1).padStart(8)} MiB ${ms.toFixed(0).padStart(7)} ms ${mbps.toFixed(0).padStart(6)} MiB/s ${extra}`,
  );
}

const grid: NpyArray = {
  dtype: '<f8',
  shape: [FLOATS / 1000, 1000],
  data: Float64Array.from({ length: FLOATS }, (_, i) => Math.sin(i) * 100),
};
const table = npyFromRecords(
  Array.from({ length: RECORDS }, (_, i) => ({
    id: i,
    lon: -180 + (i % 3600) / 10,
    lat: -90 + (i % 1800) / 10,
    value: Math.fround(i / 7),
    label: `site ${i}`,
  })),
  [
    { name: 'id', dtype: '<i8' },
    { name: 'lon', dtype: '<f8' },
    { name: 'lat', dtype: '<f8' },
    { name: 'value', dtype: '<f4' },
    { name: 'label', dtype: '<U16' },
  ],
);

console.log(`npz bench: ${FLOATS} floats, ${RECORDS} records (node ${process.version})`);
for (const [name, array] of [
  ['<f8 grid', grid],
  ['records (i8, f8, f8, f4, U16)', table],
] as const) {
  const encoded = await time(() => encodeNpy(array));
  row(`encodeNpy ${name}`, encoded.result.length, encoded.ms);
  const decoded = await time(() => decodeNpy(encoded.result));
  row(`decodeNpy ${name}`, encoded.result.length, decoded.ms);
}
for (const compress of [false, true]) {
  const entries = { grid, table };
  const written = await time(() => writeNpz(entries, { compress }));
  const raw = encodeNpy(grid).length + encodeNpy(table).length;
  row(
    `writeNpz ${compress ? 'deflated' : 'stored'}`,
    raw,
    written.ms,
    `(archive ${(written.result.length / 2 ** 20).toFixed(1)} MiB)`,
  );
  const read = await time(() => readNpz(written.result, { maxUncompressedBytes: 2 ** 32 }));
  row(`readNpz ${compress ? 'deflated' : 'stored'}`, raw, read.ms);
}
