import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, fluxFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { FluxStore } from '../src/index.js';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);
const casa = fluxFixture('casagfed2004.mat');

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', async () => {
    expect(await readFile(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it("runs: loads the grid and answers a cell's daily mean", async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'flux-store-example-'));
    try {
      const { stdout } = await runExample(example, { args: [casa], cwd });
      const lines = stdout.trim().split('\n');
      // The original's bbox md5 of the grid.
      expect(lines[0]).toBe('8 6f3e33c145010bc74c5ccd3ba772f504');
      // The true mean of that cell's eight values (the original averaged pairwise).
      const store = FluxStore.open(join(cwd, 'data', 'flux', 'flux.sqlite'));
      const values = store
        .times('casa_gfed_2004')
        .map((time) => store.map('casa_gfed_2004', new Date(time)).values[1]!);
      store.close();
      expect(values).toHaveLength(8);
      expect(lines[1]).toBe(
        `1 1 ${(values.reduce((sum, value) => sum + value, 0) / 8).toFixed(4)}`,
      );
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
