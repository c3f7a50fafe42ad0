import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, fluxFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);
const casa = fluxFixture('casagfed2004.mat');

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', async () => {
    expect(await readFile(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('runs: loads the grid and answers a map', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'flux-example-'));
    try {
      const { stdout } = await runExample(example, {
        args: [casa],
        cwd,
      });
      const lines = stdout.trim().split('\n');
      expect(lines).toEqual(['2004-06-30T03:00:00.000Z 2635']);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
