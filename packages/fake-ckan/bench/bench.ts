// fake-ckan benchmark: `npm run bench -w @geoworks/fake-ckan`.
//
// Loads BENCH_ROWS generated rows (default 3,000,000) of BENCH_COLUMNS columns (default 20),
// then pulls them all back as ckanpackager would: pages of BENCH_PAGE rows (default 5000),
// by offset on the default backend, by cursor on solr, by `after` on versioned-datastore
// (BENCH_BACKENDS, default `default`; each backend loads its own copy of the rows). The client
// reads each body whole and parses it in this same process, as a packager benchmark would, so
// the figures include the client's share.
import { generateRows, startFakeCkan, type Backend } from '../src/index.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 3_000_000);
const COLUMNS = Number(process.env.BENCH_COLUMNS ?? 20);
const PAGE = Number(process.env.BENCH_PAGE ?? 5000);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'default').split(',') as Backend[];

const rate = (count: number, ms: number) => Math.round(count / (ms / 1000)).toLocaleString('en');
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

const ckan = await startFakeCkan();
const rows = generateRows(ROWS, COLUMNS, 1);

for (const backend of BACKENDS) {
  const id = `bench-${backend}`;
  const loaded = await ckan.addResource({ id, backend, fields: rows.fields, rows });
  console.log(
    `load (${backend}): ${ROWS.toLocaleString('en')} rows x ${COLUMNS} columns in ` +
      `${(loaded.milliseconds / 1000).toFixed(1)} s (${rate(ROWS, loaded.milliseconds)} rows/s, ` +
      'generation included)',
  );

  const started = performance.now();
  let count = 0;
  let bytes = 0;
  let pages = 0;
  let peakRss = 0;
  const request: Record<string, unknown> = { resource_id: id, limit: PAGE };
  if (backend === 'default') request['offset'] = 0;
  if (backend === 'solr') request['cursor'] = '*';
  for (;;) {
    const response = await fetch(ckan.apiUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    const text = await response.text();
    bytes += Buffer.byteLength(text);
    const result = (JSON.parse(text) as { result: Record<string, unknown> }).result;
    const records = result['records'] as unknown[];
    pages++;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (records.length === 0) break;
    count += records.length;
    if (backend === 'default') request['offset'] = (request['offset'] as number) + PAGE;
    else if (backend === 'solr') request['cursor'] = result['next_cursor'];
    else request['after'] = result['after'];
  }
  const ms = performance.now() - started;
  if (count !== ROWS) throw new Error(`${backend}: read ${count} rows, expected ${ROWS}`);
  console.log(
    `read (${backend}): ${count.toLocaleString('en')} rows in ${pages} pages, ` +
      `${(ms / 1000).toFixed(1)} s (${rate(count, ms)} rows/s, ` +
      `${mb(bytes / (ms / 1000))} MB/s of JSON, ${mb(bytes)} MB in all, peak RSS ${mb(peakRss)} MB)`,
  );
}
await ckan.stop();
