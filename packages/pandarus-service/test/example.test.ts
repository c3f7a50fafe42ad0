import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, pandarusFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it("uploads the grid and the square, intersects them and prints pandarus's areas", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pandarus-service-example-'));
    try {
      for (const name of ['grid.geojson', 'square.geojson'])
        copyFileSync(pandarusFixture(name), join(cwd, name));
      const { stdout } = await runExample(example, { cwd });
      // docs/specs/pandarus.md section 2: each grid cell overlaps a quarter of the square.
      const output = `${sha256(pandarusFixture('grid.geojson'))}.${sha256(pandarusFixture('square.geojson'))}.geojson`;
      expect(stdout).toBe(
        "{ status: 'finished', error: null }\n" +
          'grid cell 0 single 3097719886\n' +
          'grid cell 1 single 3097248058\n' +
          'grid cell 2 single 3097719886\n' +
          'grid cell 3 single 3097248058\n' +
          `grid.geojson (vector), square.geojson (vector), ${output} (vector) 3\n`,
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
