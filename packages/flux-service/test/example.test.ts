import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FluxStore } from '@geoworks/flux-store';
import { exampleBlock, fluxFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', async () => {
    expect(await readFile(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it("runs: a map and a cell's daily maximum, as flux-server answers them", async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'flux-service-example-'));
    try {
      const { stdout } = await runExample(example, {
        args: [fluxFixture('casagfed2004.mat')],
        cwd,
      });
      const lines = stdout.trim().split('\n');
      // The original's test: the first value of the 2004-06-30 step is 0.08.
      expect(lines[0]).toBe('2004-06-30T00:00:00.000Z 2635 0.08 0.16 0.11');
      // The raw series at that cell, straight from the store.
      const store = FluxStore.open(join(cwd, 'data', 'flux', 'flux.sqlite'));
      const { values } = store.cellSeries(
        'casa_gfed_2004',
        { start: new Date('2004-06-30Z'), end: new Date('2004-06-30T21:00Z') },
        { cell: 1 },
      );
      store.close();
      expect(values).toHaveLength(8);
      expect(lines[1]).toBe(`2004-06-30T00:00:00.000Z ${Math.max(...values)}`);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
