// Writers benchmark, the first part of `npm run bench -w @geoworks/packager`: rows per second
// of the CSV, XLSX and Darwin Core writers alone, into a zip whose bytes are thrown away (no
// CKAN, no queue, no disk for the zip). Target (issue 5): well above 50,000 rows/s for each,
// so the writers are never what limits a package.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExtension, writeDwcArchive, writeTableEntry } from '../src/writers/index.js';
import { discardingZip, fields, records } from '../test/writers/bulk-records.js';

const MB = 1024 * 1024;

async function timed(label: string, count: number, write: () => Promise<{ bytes?: number }>) {
  const started = performance.now();
  const result = await write();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${label}: ${count.toLocaleString('en')} rows in ${seconds.toFixed(2)} s = ` +
      `${Math.round(count / seconds).toLocaleString('en')} rows/s` +
      (result.bytes === undefined ? '' : `, ${(result.bytes / MB).toFixed(1)} MB written`),
  );
}

for (const [format, count] of [
  ['csv', 500_000],
  ['xlsx', 200_000],
] as const) {
  await timed(`writer ${format}`, count, async () => {
    const { archive, writing } = discardingZip();
    const result = await writeTableEntry(archive, format, fields, records(count));
    await archive.finalize();
    await writing;
    return result;
  });
}

const tempDir = await mkdtemp(join(tmpdir(), 'dwc-bench-'));
try {
  await timed('writer dwc', 100_000, async () => {
    const { archive, writing } = discardingZip();
    await writeDwcArchive(archive, fields, records(100_000), {
      eml: '<eml>{pub_date}</eml>',
      tempDir,
      extensionFields: {
        extra: {
          extension: loadExtension('gbif_multimedia'),
          defaults: { identifier: '', type: 'StillImage' },
        },
      },
    });
    await archive.finalize();
    await writing;
    return {};
  });
} finally {
  await rm(tempDir, { recursive: true, force: true });
}
