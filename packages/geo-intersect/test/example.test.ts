import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, pandarusFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain(
      exampleBlock(example),
    );
  });

  it("runs next to the pandarus fixtures and prints pandarus's areas", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'geo-intersect-example-'));
    try {
      for (const name of ['grid.geojson', 'square.geojson'])
        copyFileSync(pandarusFixture(name), join(cwd, name));
      const { stdout } = await runExample(example, { cwd });
      // Spec section 2: each grid cell overlaps a quarter of the square.
      expect(stdout).toBe(
        '4 true true\n' +
          'grid cell 0 single 3097719886\n' +
          'grid cell 1 single 3097248058\n' +
          'grid cell 2 single 3097719886\n' +
          'grid cell 3 single 3097248058\n',
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
