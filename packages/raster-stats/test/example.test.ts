import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readResultFile } from '@geoworks/pandarus-format';
import { exampleBlock, pandarusFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain(
      exampleBlock(example),
    );
  });

  it('runs next to the pandarus fixtures: coverage rows printed, centre rows written', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'raster-stats-example-'));
    try {
      for (const name of ['grid.geojson', 'range.tif'])
        copyFileSync(pandarusFixture(name), join(cwd, name));
      const { stdout } = await runExample(example, { cwd });
      const lines = stdout.trim().split('\n');
      expect(lines).toHaveLength(5);
      expect(lines[0]).toMatch(
        /^grid cell 0 \{ min: 30, max: 47, mean: 38\.3, count: 10, std: 5\.64/,
      );
      expect(lines[3]).toMatch(
        /^grid cell 3 \{ min: 2, max: 19, mean: 10\.7, count: 10, std: 5\.64/,
      );
      // The output folder did not exist: it is made.
      const [file] = readdirSync(join(cwd, 'out'));
      expect(lines[4]).toBe(`written ${join('out', file!)}`);
      expect(file).toMatch(/^[0-9a-f]{64}-[0-9a-f]{64}-1\.json$/);
      const { data } = (await readResultFile(join(cwd, 'out', file!))) as { data: unknown[] };
      expect(data[0]).toEqual(['grid cell 0', { min: 30, max: 47, mean: 38.5, count: 12 }]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
