import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ZipArchive } from 'archiver';
import { describe, expect, it } from 'vitest';
import {
  ArchiveFailedError,
  loadExtension,
  writeDwcArchive,
  writeTableEntry,
  WriteAbortedError,
  type Field,
  type TableFormat,
} from '../../src/writers/index.js';
import { appendEntry } from '../../src/writers/zip-entry.js';

const fields: Field[] = [
  { id: '_id', type: 'int' },
  { id: 'catalogNumber', type: 'text' },
  { id: 'Scientific name', type: 'text' },
  { id: 'Event date', type: 'timestamp' },
  { id: 'decimalLatitude', type: 'numeric' },
  { id: 'decimalLongitude', type: 'numeric' },
  { id: 'locality', type: 'text' },
  { id: 'recordedBy', type: 'text' },
  { id: 'count', type: 'int4' },
  { id: 'verified', type: 'bool' },
  { id: 'extra', type: 'json' },
  { id: 'remarks', type: 'text' },
];

/** Records shaped like a natural-history datastore's, cheap to make. */
function record(i: number): Record<string, unknown> {
  return {
    _id: i,
    catalogNumber: `NHMUK ${1_000_000 + i}`,
    'Scientific name': i % 3 === 0 ? 'Puma concolor (Linnaeus, 1771)' : 'Felis catus',
    'Event date': `20${10 + (i % 13)}-0${1 + (i % 9)}-1${i % 10}`,
    decimalLatitude: 51.4967 + (i % 1000) / 1e4,
    decimalLongitude: -0.1764 - (i % 700) / 1e4,
    locality: i % 5 === 0 ? 'London, "South Kensington"' : 'Tring',
    recordedBy: 'A. Collector',
    count: i % 17,
    verified: i % 2 === 0,
    extra: i % 10 === 0 ? { preparation: 'skin', parts: ['skull', 'pelt'] } : null,
    remarks: i % 7 === 0 ? 'multi-line\nremark' : null,
  };
}

async function* records(count: number, each?: (i: number) => void) {
  for (let i = 0; i < count; i++) {
    each?.(i);
    yield record(i);
  }
}

/** A zip piped to a sink that throws the bytes away, like a fast disk. */
function discardingZip() {
  const archive = new ZipArchive();
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  const writing = pipeline(archive, sink);
  writing.catch(() => {});
  return { archive, writing, bytes: () => bytes };
}

const MB = 1024 * 1024;

describe('streaming', () => {
  for (const [format, count] of [
    ['csv', 500_000],
    ['xlsx', 200_000],
  ] as [TableFormat, number][]) {
    it(`streams ${count.toLocaleString('en')} rows into a ${format} entry fast, in flat memory`, async () => {
      const { archive, writing, bytes } = discardingZip();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const started = performance.now();
      try {
        const result = await writeTableEntry(archive, format, fields, records(count));
        await archive.finalize();
        await writing;
        const seconds = (performance.now() - started) / 1000;
        peak = Math.max(peak, process.memoryUsage().rss);
        const rate = Math.round(count / seconds);
        console.log(
          `${format}: ${count.toLocaleString('en')} rows in ${seconds.toFixed(2)} s = ` +
            `${rate.toLocaleString('en')} rows/s; ${(result.bytes / MB).toFixed(1)} MB -> ` +
            `${(bytes() / MB).toFixed(1)} MB zipped; RSS ${(baseline / MB).toFixed(0)} MB, ` +
            `peak +${((peak - baseline) / MB).toFixed(1)} MB`,
        );
        expect(result.rows).toBe(count);
        expect(rate).toBeGreaterThan(50_000);
        // The data (~60 MB of CSV) is never held: growth is buffers and garbage, not rows.
        expect(peak - baseline).toBeLessThan(100 * MB);
      } finally {
        clearInterval(sampler);
      }
    }, 120_000);
  }

  it('stops pulling records while the zip is not being read', async () => {
    const archive = new ZipArchive();
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
    // Random text barely compresses, so buffered bytes are close to buffered rows.
    const noise = (i: number) => ({ _id: i, text: randomBytes(48).toString('hex') });
    const total = 200_000;
    async function* source() {
      for (let i = 0; i < total; i++) {
        pulled++;
        yield noise(i);
      }
    }
    const writingEntry = writeTableEntry(archive, 'csv', [{ id: '_id' }, { id: 'text' }], source());
    // Wait until reading stops (two samples 100 ms apart agree), then check it stays stopped.
    let first = -1;
    for (let tries = 0; tries < 100 && pulled !== first; tries++) {
      first = pulled;
      await sleep(100);
    }
    await sleep(200);
    expect(pulled).toBe(first);
    // A bounded amount is buffered (a few MB across the stream buffers), not the data.
    expect(first).toBeLessThan(50_000);
    console.log(
      `backpressure: ${first.toLocaleString('en')} of ${total.toLocaleString('en')} rows read while the zip was not read`,
    );
    open = true;
    for (const release of held.splice(0)) release();
    expect((await writingEntry).rows).toBe(total);
    await archive.finalize();
    await writing;
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
        const started = performance.now();
        const result = await writeDwcArchive(archive, fields, records(100_000), options(tempDir));
        await archive.finalize();
        await writing;
        const rate = Math.round(100_000 / ((performance.now() - started) / 1000));
        console.log(`dwc: 100,000 records at ${rate.toLocaleString('en')} records/s`);
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
