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

  it('writes a compressed result next to the grid fixture and reads it back', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pandarus-format-example-'));
    try {
      copyFileSync(pandarusFixture('grid.geojson'), join(cwd, 'grid.geojson'));
      const { stdout } = await runExample(example, { cwd });
      expect(stdout).toBe(
        "out/areas.json.bz2\n[ [ 'grid cell 0', 12363718145.18 ] ] grid.geojson 64\n",
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
