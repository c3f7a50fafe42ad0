import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { ArchiveError, archiveKind, extractArchive } from '../src/index.js';

async function zipOf(path: string, entries: Record<string, string>): Promise<void> {
  const archive = new ZipArchive();
  const done = pipeline(archive, createWriteStream(path));
  for (const [name, content] of Object.entries(entries)) archive.append(content, { name });
  await archive.finalize();
  await done;
}

describe('extractArchive', () => {
  it('extracts a zip with folders and lists the files written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archive-'));
    await zipOf(join(dir, 'S2A.SAFE.zip'), {
      'S2A.SAFE/manifest.safe': 'manifest',
      'S2A.SAFE/GRANULE/B04.jp2': 'band four',
    });
    const files = await extractArchive(join(dir, 'S2A.SAFE.zip'), join(dir, 'S2A.SAFE'));
    expect(files.sort()).toEqual([
      join(dir, 'S2A.SAFE', 'S2A.SAFE', 'GRANULE', 'B04.jp2'),
      join(dir, 'S2A.SAFE', 'S2A.SAFE', 'manifest.safe'),
    ]);
    expect(readFileSync(join(dir, 'S2A.SAFE', 'S2A.SAFE', 'GRANULE', 'B04.jp2'), 'utf8')).toBe(
      'band four',
    );
  });

  it('refuses a zip whose entry climbs out of the folder (zip slip), writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archive-'));
    const path = join(dir, 'evil.zip');
    await zipOf(path, { 'ok/a.txt': 'fine', 'zz/x.txt': 'evil' });
    // Rename the entry in both the local header and the central directory, same length.
    const bytes = readFileSync(path);
    writeFileSync(
      path,
      Buffer.from(bytes.toString('latin1').replaceAll('zz/x.txt', '../x.txt'), 'latin1'),
    );
    const out = join(dir, 'deep', 'out');
    await expect(extractArchive(path, out)).rejects.toBeInstanceOf(ArchiveError);
    expect(existsSync(join(dir, 'deep', 'x.txt'))).toBe(false);
    expect(existsSync(join(out, 'ok', 'a.txt'))).toBe(false);
  });

  it('extracts a tar.gz, and refuses one holding a link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archive-'));
    mkdirSync(join(dir, 'src', 'LC08'), { recursive: true });
    writeFileSync(join(dir, 'src', 'LC08', 'MTL.txt'), 'metadata');
    await tar.c({ gzip: true, file: join(dir, 'bundle.tar.gz'), cwd: join(dir, 'src') }, ['LC08']);
    expect(await extractArchive(join(dir, 'bundle.tar.gz'), join(dir, 'bundle'))).toEqual([
      join(dir, 'bundle', 'LC08', 'MTL.txt'),
    ]);
    symlinkSync('/etc/passwd', join(dir, 'src', 'LC08', 'passwd'));
    await tar.c({ file: join(dir, 'linked.tar'), cwd: join(dir, 'src') }, ['LC08']);
    await expect(extractArchive(join(dir, 'linked.tar'), join(dir, 'linked'))).rejects.toThrow(
      'is a link',
    );
    expect(existsSync(join(dir, 'linked', 'LC08', 'MTL.txt'))).toBe(false);
  });

  it('knows the archive kinds by name', async () => {
    expect(['a.zip', 'a.tar', 'a.tar.gz', 'a.TGZ', 'a.tif'].map(archiveKind)).toEqual([
      'zip',
      'tar',
      'tar.gz',
      'tar.gz',
      undefined,
    ]);
    await expect(extractArchive('/tmp/a.tif', '/tmp/a')).rejects.toThrow(
      'not a .zip, .tar, .tar.gz or .tgz archive',
    );
  });
});
