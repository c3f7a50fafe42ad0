import { readFile } from 'node:fs/promises';
import { exampleBlock, fluxFixture, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', async () => {
    expect(await readFile(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('reads the MATLAB v5 grid and its v7.3 copy to the same numbers', async () => {
    const lines = async (file: string) =>
      (await runExample(example, { args: [fluxFixture(file)] })).stdout.trim().split('\n');
    const v5 = await lines('casagfed2004.mat');
    expect(v5).toEqual([
      'mat5 casa_gfed_2004 double 2635 x 10',
      '0.397 0.673 0.662 0.661 0.654 0.453 -0.107 -0.132',
      // The original's test: the second row's coordinates.
      '-165.5 61.5',
    ]);
    // v7.3 stores the matrix transposed (column-major, dimensions reversed): read back as v5.
    expect(await lines('casagfed2004-v73.mat')).toEqual([
      'mat73 casa_gfed_2004 double 2635 x 10',
      ...v5.slice(1),
    ]);
  });
});
