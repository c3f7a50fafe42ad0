import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, pandarusFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const featuresExample = new URL('./fixtures/features-example.ts', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts and features-example.ts, word for word', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(exampleBlock(example));
    expect(readme).toContain(exampleBlock(featuresExample));
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

  it('intersects the same fixtures in memory, with the same areas', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'geo-intersect-features-example-'));
    try {
      for (const name of ['grid.geojson', 'square.geojson'])
        copyFileSync(pandarusFixture(name), join(cwd, name));
      const { stdout } = await runExample(featuresExample, { cwd });
      expect(stdout).toBe(
        '0 grid cell 0 single 3097719886 MultiPolygon\n' +
          '1 grid cell 1 single 3097248058 MultiPolygon\n' +
          '2 grid cell 2 single 3097719886 MultiPolygon\n' +
          '3 grid cell 3 single 3097248058 MultiPolygon\n',
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
