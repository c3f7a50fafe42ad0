import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { Accounts } from '../src/index.js';
import { freshDir } from './helpers/setup.js';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('runs', async () => {
    const cwd = freshDir('example');
    const { stdout } = await runExample(example, { cwd });
    expect(stdout).toBe("[ 'risk' ]\nann\nnull\n");
    const accounts = await Accounts.open({ file: join(cwd, 'data', 'accounts.sqlite') });
    try {
      await expect(accounts.authenticate('ann', 'a new secret')).resolves.toMatchObject({ id: 1 });
    } finally {
      await accounts.close();
    }
  });
});
