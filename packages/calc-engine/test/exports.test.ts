// Export downloads: one file as it is, several as a zip streamed while it is built.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { exportDownload } from '../src/exports.js';
import type { CalcOutput } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'calc-engine-exports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const output = { id: 7, key: 'intersections' } as CalcOutput;

/** Entry name -> content of a zip held in memory. */
async function zipEntries(zip: Buffer): Promise<Record<string, string>> {
  const file = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, opened) =>
      error ? reject(error) : resolve(opened),
    ),
  );
  const entries: Record<string, string> = {};
  for await (const entry of readEntries(file)) {
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      file.openReadStream(entry, (error, read) => (error ? reject(error) : resolve(read))),
    );
    entries[entry.fileName] = (await buffer(stream)).toString();
  }
  return entries;
}

async function* readEntries(file: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      file.once('entry', resolve);
      file.once('end', () => resolve(null));
      file.once('error', reject);
      file.readEntry();
    });
    if (entry === null) return;
    yield entry;
  }
}

describe('exportDownload', () => {
  it('gives one file as it is, named as OpenQuake names exports', () => {
    expect(exportDownload(output, 'csv', [join(dir, 'a.csv')])).toEqual({
      name: 'output-7-intersections.csv',
      mediaType: 'application/octet-stream',
      path: join(dir, 'a.csv'),
    });
  });

  it('zips several files under their own names, built only when opened', async () => {
    writeFileSync(join(dir, 'part-1.json'), '{"a":1}');
    writeFileSync(join(dir, 'part-2.json'), '{"b":2}');
    const download = exportDownload(output, 'json', [
      join(dir, 'part-1.json'),
      join(dir, 'part-2.json'),
    ]);
    expect(download).toMatchObject({
      name: 'output-7-intersections.zip',
      mediaType: 'application/zip',
    });
    if (!('open' in download)) throw new Error('expected a zip');
    expect(await zipEntries(await buffer(download.open()))).toEqual({
      'part-1.json': '{"a":1}',
      'part-2.json': '{"b":2}',
    });
  });

  it('reports a file that cannot be read on the stream', async () => {
    const download = exportDownload(output, 'json', [
      join(dir, 'missing-1'),
      join(dir, 'missing-2'),
    ]);
    if (!('open' in download)) throw new Error('expected a zip');
    await expect(buffer(download.open())).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
