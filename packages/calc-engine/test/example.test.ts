import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, pandarusFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it("runs an intersection job to completion and prints its CSV export's rows", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'calc-engine-example-'));
    try {
      for (const name of ['grid.geojson', 'square.geojson'])
        copyFileSync(pandarusFixture(name), join(cwd, name));
      const { stdout } = await runExample(example, { cwd });
      // docs/specs/pandarus.md section 2: each grid cell overlaps a quarter of the square.
      expect(stdout).toBe(
        'complete Grid x square intersection\n' +
          'intersections csv geojson gpkg json\n' +
          'id,from_label,to_label,measure\n' +
          '0 grid cell 0 single 3097719886\n' +
          '1 grid cell 1 single 3097248058\n' +
          '2 grid cell 2 single 3097719886\n' +
          '3 grid cell 3 single 3097248058\n',
      );
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
