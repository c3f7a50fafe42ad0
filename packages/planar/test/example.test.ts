import { readFileSync } from 'node:fs';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain(
      exampleBlock(example),
    );
  });

  it('prints the square, its box, its Mollweide area and the points inside', async () => {
    const { stdout } = await runExample(example);
    expect(stdout).toBe(
      'POLYGON((0.5 0.5, 1.5 0.5, 1.5 1.5, 0.5 1.5, 0.5 0.5), (0.9 0.9, 0.9 1.1, 1.1 1.1, 1.1 0.9, 0.9 0.9))\n' +
        '[ 0.5, 0.5, 1.5, 1.5 ] true\n' +
        '11894185237\n' +
        'true false\n' +
        '96 of 400 grid points\n',
    );
  });
});
