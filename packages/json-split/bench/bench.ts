// json-split benchmark: `npm run bench -w @geoworks/json-split`.
// Splits a generated ~100 MB datastore_search-like answer (200,000 records) in 64 KiB chunks,
// against JSON.parse of the whole text, printing MB/s and the peak heap of each.
import { JsonArraySplitter } from '../src/index.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const CHUNK = 64 * 1024;

function makeAnswer(): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < RECORDS; i++) {
    parts.push(
      JSON.stringify({
        _id: i + 1,
        name: `Specimen "${i}" \\ ${'é東'.repeat(i % 5)}`,
        lat: -45 + (i % 90),
        lon: (i * 7.3) % 360,
        notes: 'x'.repeat(300 + (i % 200)),
        tags: [i % 3, { kind: 'a[b]{c}' }],
      }),
    );
  }
  return Buffer.from(
    `{"success": true, "result": {"fields": [{"id": "_id"}], "records": [${parts.join(', ')}], "total": ${RECORDS}}}`,
  );
}

const answer = makeAnswer();
const megabytes = answer.length / 1e6;
console.log(
  `json-split: ${RECORDS} records, ${megabytes.toFixed(0)} MB, ${CHUNK / 1024} KiB chunks`,
);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
for (let round = 0; round < 2; round++) {
  // Split: the heap is sampled every 64 chunks (the parsed records are dropped as a consumer
  // would after writing them).
  let started = performance.now();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const splitter = new JsonArraySplitter({ path: ['result', 'records'] });
  let count = 0;
  for (let at = 0, step = 0; at < answer.length; at += CHUNK, step++) {
    count += splitter.push(answer.subarray(at, at + CHUNK)).length;
    if (step % 64 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  splitter.end();
  const splitSeconds = (performance.now() - started) / 1000;
  // Whole: one string and one tree, alive together at the end.
  started = performance.now();
  const before = process.memoryUsage().heapUsed;
  const parsed = JSON.parse(answer.toString('utf8')) as { result: { records: unknown[] } };
  const wholeSeconds = (performance.now() - started) / 1000;
  const held = process.memoryUsage().heapUsed - before;
  if (count !== RECORDS || parsed.result.records.length !== RECORDS) throw new Error('count');
  console.log(
    `split in chunks ${(megabytes / splitSeconds).toFixed(0).padStart(5)} MB/s, heap growth at most ${mib(peak - base)}   JSON.parse whole ${(megabytes / wholeSeconds).toFixed(0).padStart(5)} MB/s, holding ${mib(held)}`,
  );
}
