// The fake CKAN of the benchmark, in a process of its own so that its CPU and memory are not
// counted as the packager's. Prints one JSON line {apiUrl, rows, loadMs} once loaded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRows, startFakeCkan } from '@geoworks/fake-ckan';

const rows = Number(process.argv[2]);
const columns = Number(process.argv[3]);
const dir = mkdtempSync(join(tmpdir(), 'packager-bench-ckan-'));
const ckan = await startFakeCkan({ database: join(dir, 'ckan.sqlite') });
const data = generateRows(rows, columns, 11);
const summary = await ckan.addResource({ id: 'bench', fields: data.fields, rows: data });
console.log(
  JSON.stringify({ apiUrl: ckan.apiUrl, rows: summary.total, loadMs: summary.milliseconds }),
);

const stop = async () => {
  await ckan.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('disconnect', () => void stop());
