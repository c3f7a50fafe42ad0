import { readFileSync } from 'node:fs';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('retries the busy answer, reads the JSON and refuses the loopback name', async () => {
    const { stdout } = await runExample(example);
    expect(stdout).toBe('done after 2 requests\nrefused: a loopback address\nrequests in all: 2\n');
  });
});
