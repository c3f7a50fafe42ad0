import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { describe, expect, it } from 'vitest';
import {
  ArchiveFailedError,
  loadExtension,
  writeDwcArchive,
  writeTableEntry,
  WriteAbortedError,
  type TableFormat,
} from '../../src/writers/index.js';
import { appendEntry } from '../../src/writers/zip-entry.js';
import { discardingZip, fields, records } from './bulk-records.js';

const MB = 1024 * 1024;

describe('streaming', () => {
  for (const [format, count] of [
    ['csv', 500_000],
    ['xlsx', 200_000],
  ] as [TableFormat, number][]) {
    // How fast rows are written is measured by the bench script (npm run bench), not here.
    it(`streams ${count.toLocaleString('en')} rows into a ${format} entry in flat memory`, async () => {
      const { archive, writing } = discardingZip();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      try {
        const result = await writeTableEntry(archive, format, fields, records(count));
        await archive.finalize();
        await writing;
        peak = Math.max(peak, process.memoryUsage().rss);
        expect(result.rows).toBe(count);
        // The data (~60 MB of CSV) is never held: growth is buffers and garbage, not rows.
        expect(peak - baseline).toBeLessThan(100 * MB);
      } finally {
        clearInterval(sampler);
      }
    }, 120_000);
  }

  it('stops pulling records while the zip is not being read', async () => {
    const archive = new ZipArchive();
    // The stream the writer feeds the zip entry through: its writableNeedDrain says when the
    // writer was told to wait.
    let entry: NodeJS.WritableStream & { writableNeedDrain: boolean } = undefined!;
    const append = archive.append.bind(archive);
    archive.append = (source, data) => {
      entry ??= source as typeof entry;
      return append(source, data);
    };
    const held: (() => void)[] = [];
    let open = false;
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(_chunk, _encoding, callback) {
        if (open) callback();
        else held.push(() => callback());
      },
    });
    const writing = pipeline(archive, sink);
    let pulled = 0;
    let pulledWhileFull = 0;
    // Random text barely compresses, so buffered bytes are close to buffered rows.
    const noise = (i: number) => ({ _id: i, text: randomBytes(48).toString('hex') });
    const total = 200_000;
    // A bounded amount is buffered (a few MB across the stream buffers), not the data.
    const bound = 50_000;
    async function* source() {
      for (let i = 0; i < total; i++) {
        // A writer that honours backpressure asks for no row while its stream is full.
        if (entry?.writableNeedDrain) pulledWhileFull++;
        pulled++;
        yield noise(i);
      }
    }
    const writingEntry = writeTableEntry(archive, 'csv', [{ id: '_id' }, { id: 'text' }], source());
    // Turn the event loop until the writer is told to wait (or has read too much: a writer
    // that ignores backpressure is never told, and would read everything).
    while (!entry?.writableNeedDrain && pulled < bound) await new Promise(setImmediate);
    expect(entry.writableNeedDrain).toBe(true);
    expect(pulled).toBeLessThan(bound);
    open = true;
    for (const release of held.splice(0)) release();
    expect((await writingEntry).rows).toBe(total);
    await archive.finalize();
    await writing;
    expect(pulledWhileFull).toBe(0);
  });

  it('stops on abort, closes the record source and fails the zip', async () => {
    const { archive, writing } = discardingZip();
    const controller = new AbortController();
    let closed = false;
    async function* source() {
      try {
        yield* records(1_000_000, (i) => {
          if (i === 20_000) controller.abort(new Error('user cancelled'));
        });
      } finally {
        closed = true;
      }
    }
    const failing = writeTableEntry(archive, 'csv', fields, source(), {
      signal: controller.signal,
    });
    await expect(failing).rejects.toBeInstanceOf(WriteAbortedError);
    await expect(failing).rejects.toMatchObject({ kind: 'aborted', code: 'WRITE_ABORTED' });
    expect(closed).toBe(true);
    await expect(writing).rejects.toBeInstanceOf(WriteAbortedError);
  });

  it('fails, rather than hangs, when the zip cannot be written', async () => {
    const archive = new ZipArchive();
    let written = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        callback(written > 2 * MB ? new Error('ENOSPC: no space left on device') : null);
      },
    });
    const writing = pipeline(archive, sink);
    writing.catch(() => {});
    const failing = writeTableEntry(archive, 'csv', fields, records(1_000_000));
    await expect(failing).rejects.toBeInstanceOf(ArchiveFailedError);
    await expect(writing).rejects.toThrow('ENOSPC');
  });

  it('appendEntry: a failing stream source fails the entry and the zip instead of stalling', async () => {
    const { archive, writing } = discardingZip();
    const entry = appendEntry(archive, createReadStream('/nonexistent/file.csv'), 'file.csv');
    await expect(entry.failed).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(entry.done).rejects.toMatchObject({ code: 'ENOENT' });
    entry.dispose();
    await expect(writing).rejects.toMatchObject({ code: 'ENOENT' });
    // What a caller does on failure must not hang either.
    archive.abort();
  });

  describe('Darwin Core archive', () => {
    const options = (tempDir: string, signal?: AbortSignal) => ({
      eml: '<eml>{pub_date}</eml>',
      tempDir,
      ...(signal === undefined ? {} : { signal }),
      extensionFields: {
        extra: {
          extension: loadExtension('gbif_multimedia'),
          defaults: { identifier: '', type: 'StillImage' },
        },
      },
    });

    async function withTempDir(test: (tempDir: string) => Promise<void>) {
      const tempDir = await mkdtemp(join(tmpdir(), 'dwc-stream-'));
      try {
        await test(tempDir);
        expect(await readdir(tempDir)).toEqual([]);
      } finally {
        await rm(tempDir, { recursive: true, force: true });
      }
    }

    it('writes 100,000 records through temporary files and removes them', () =>
      withTempDir(async (tempDir) => {
        const { archive, writing } = discardingZip();
        const result = await writeDwcArchive(archive, fields, records(100_000), options(tempDir));
        await archive.finalize();
        await writing;
        expect(result.rows).toBe(100_000);
        expect(result.files).toEqual(['meta.xml', 'eml.xml', 'occurrence.csv', 'multimedia.csv']);
      }));

    it('leaves no temporary files when aborted while reading records', () =>
      withTempDir(async (tempDir) => {
        const { archive, writing } = discardingZip();
        const controller = new AbortController();
        const source = records(1_000_000, (i) => {
          if (i === 30_000) controller.abort();
        });
        await expect(
          writeDwcArchive(archive, fields, source, options(tempDir, controller.signal)),
        ).rejects.toBeInstanceOf(WriteAbortedError);
        // Nothing was added to the zip yet: it is still usable (and empty).
        archive.abort();
        await writing;
      }));

    it('leaves no temporary files when aborted while copying them into the zip', () =>
      withTempDir(async (tempDir) => {
        const { archive, writing } = discardingZip();
        const controller = new AbortController();
        archive.on('entry', (entry) => {
          if (entry.name === 'eml.xml') controller.abort();
        });
        await expect(
          writeDwcArchive(archive, fields, records(50_000), options(tempDir, controller.signal)),
        ).rejects.toBeInstanceOf(WriteAbortedError);
        await expect(writing).rejects.toBeInstanceOf(WriteAbortedError);
      }));

    it('leaves no temporary files when the record source fails', () =>
      withTempDir(async (tempDir) => {
        const { archive, writing } = discardingZip();
        async function* broken() {
          yield* records(10_000);
          throw new Error('CKAN timed out');
        }
        await expect(writeDwcArchive(archive, fields, broken(), options(tempDir))).rejects.toThrow(
          'CKAN timed out',
        );
        archive.abort();
        await writing;
      }));
  });
});
