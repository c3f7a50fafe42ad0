import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exampleBlock, runExample } from '../src/index.js';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it("prints the grid cells' names from the pandarus fixture", async () => {
    const { stdout } = await runExample(example);
    expect(stdout).toBe("[ 'grid cell 0', 'grid cell 1', 'grid cell 2', 'grid cell 3' ]\ntrue\n");
  });
});
