import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', async () => {
    expect(await readFile(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('runs: packs the rows, emails the link and leaves the zip in the store', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'packager-example-'));
    try {
      const { stdout } = await runExample(example, {
        cwd,
      });
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toBe('fast finished 2');
      expect(lines[1]).toMatch(
        /^https:\/\/packager\.example\.org\/downloads\/birds_[A-Za-z0-9-]{32}\.zip$/,
      );
      expect(lines[2]).toMatch(/^\[ 'ann@example\.org' \] Resource from 127\.0\.0\.1:\d+$/);
      const zips = (await readdir(join(cwd, 'data', 'packager', 'packages'))).filter((name) =>
        name.endsWith('.zip'),
      );
      expect(zips).toEqual([lines[1]!.split('/').pop()]);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
