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

  it("reads the reprojected grid and measures its 1-degree cells' areas", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'geodata-example-'));
    try {
      copyFileSync(pandarusFixture('grid-3410.geojson'), join(cwd, 'grid-3410.geojson'));
      const { stdout } = await runExample(example, { cwd });
      expect(stdout).toBe(
        '4 polygon str\n' +
          'grid cell 0 12391\n' +
          'grid cell 1 12387\n' +
          'grid cell 2 12391\n' +
          'grid cell 3 12387\n',
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
