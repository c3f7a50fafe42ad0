import { readFileSync } from 'node:fs';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('prints each record as it completes, then the rest of the answer', async () => {
    const { stdout } = await runExample(example);
    expect(stdout).toBe(
      "record { id: 1, name: 'Ann' }\n" +
        "record { id: 2, name: 'Bob' }\n" +
        'the rest {"success":true,"result":{"records":[],"total":2}}\n',
    );
  });
});
