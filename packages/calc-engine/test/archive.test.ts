import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { afterAll, describe, expect, it } from 'vitest';
import { extractArchive } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'calc-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function zip(
  name: string,
  fill: (archive: ZipArchive) => void,
  options: { store?: boolean } = {},
): Promise<string> {
  const path = join(dir, name);
  const archive = new ZipArchive({ store: options.store ?? false });
  const done = pipeline(archive, createWriteStream(path));
  fill(archive);
  await archive.finalize();
  await done;
  return path;
}

describe('extractArchive', () => {
  it('extracts files and folders, skipping __MACOSX', async () => {
    const path = await zip('good.zip', (archive) => {
      archive.append('[a]\ndescription = x\n', { name: 'job.ini' });
      archive.append('{}', { name: 'data/grid.geojson' });
      archive.append('junk', { name: '__MACOSX/._job.ini' });
    });
    const out = mkdtempSync(join(dir, 'out-'));
    expect((await extractArchive(path, out)).sort()).toEqual(['data/grid.geojson', 'job.ini']);
    expect(readFileSync(join(out, 'data', 'grid.geojson'), 'utf8')).toBe('{}');
    expect(existsSync(join(out, '__MACOSX'))).toBe(false);
  });

  it('refuses entries that would land outside the job folder', async () => {
    for (const [file, name] of [
      ['dotdot.zip', '../escape.txt'],
      ['nested.zip', 'a/../../escape.txt'],
      ['absolute.zip', '/etc/escape.txt'],
      ['backslash.zip', '..\\escape.txt'],
    ] as const) {
      // Written by hand: zip libraries clean such names up, attackers do not.
      const path = join(dir, file);
      writeFileSync(path, rawZip([{ name, data: Buffer.from('x') }]));
      const out = mkdtempSync(join(dir, 'out-'));
      await expect(extractArchive(path, out)).rejects.toThrow(
        /points outside the job folder|has an absolute path/,
      );
      expect(existsSync(join(out, '..', 'escape.txt'))).toBe(false);
    }
  });

  it('refuses links', async () => {
    const path = await zip('link.zip', (archive) => archive.symlink('passwd', '/etc/passwd'));
    const out = mkdtempSync(join(dir, 'out-'));
    await expect(extractArchive(path, out)).rejects.toThrow('is a link or a special file');
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses zip bombs by expansion ratio, total size and entry count', async () => {
    const bomb = await zip('bomb.zip', (archive) =>
      archive.append(Buffer.alloc(20 * 1024 * 1024), { name: 'zeros.bin' }),
    );
    await expect(
      extractArchive(bomb, mkdtempSync(join(dir, 'out-')), {
        maxEntries: 10,
        maxTotalBytes: 1e9,
        maxRatio: 100,
      }),
    ).rejects.toThrow('expands too much (a zip bomb?)');
    const big = await zip(
      'big.zip',
      (archive) => archive.append(Buffer.alloc(2 * 1024 * 1024, 7), { name: 'sevens.bin' }),
      { store: true },
    );
    await expect(
      extractArchive(big, mkdtempSync(join(dir, 'out-')), {
        maxEntries: 10,
        maxTotalBytes: 1024 * 1024,
        maxRatio: 1000,
      }),
    ).rejects.toThrow('expands to more than 1048576 bytes');
    const many = await zip('many.zip', (archive) => {
      for (let i = 0; i < 20; i++) archive.append('x', { name: `f${i}.txt` });
    });
    const manyOut = mkdtempSync(join(dir, 'out-'));
    await expect(
      extractArchive(many, manyOut, { maxEntries: 10, maxTotalBytes: 1e9, maxRatio: 1000 }),
    ).rejects.toThrow('The archive has more than 10 entries');
    // Refused from the zip's directory, before a single file is written.
    expect(readdirSync(manyOut)).toEqual([]);
  });

  it('names an entry it cannot write without the path it was written to', async () => {
    const path = await zip('long.zip', (archive) =>
      archive.append('x', { name: `${'n'.repeat(300)}.txt` }),
    );
    const out = mkdtempSync(join(dir, 'out-'));
    const refusal = extractArchive(path, out);
    await expect(refusal).rejects.toThrow(
      `The archive entry "${'n'.repeat(60)}..." cannot be extracted: name too long`,
    );
    await expect(refusal).rejects.not.toThrow(out);
  });

  it('refuses what is not a zip', async () => {
    const out = mkdtempSync(join(dir, 'out-'));
    const notZip = join(dir, 'not.zip');
    writeFileSync(notZip, 'hello');
    await expect(extractArchive(notZip, out)).rejects.toThrow(
      'The archive is not a valid zip file',
    );
  });
});

/** A stored (uncompressed) zip written byte by byte, names exactly as given. */
function rawZip(entries: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
