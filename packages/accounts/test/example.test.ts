import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Accounts } from '../src/index.js';
import { freshDir } from './helpers/setup.js';

const example = fileURLToPath(new URL('./fixtures/example.ts', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(
      `\`\`\`ts\n${readFileSync(example, 'utf8')}\`\`\``,
    );
  });

  it('runs', async () => {
    const cwd = freshDir('example');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', tsx, '--conditions=@geoworks/source', example],
      { cwd },
    );
    expect(stdout).toBe("[ 'risk' ]\nann\nnull\n");
    const accounts = await Accounts.open({ file: join(cwd, 'data', 'accounts.sqlite') });
    try {
      await expect(accounts.authenticate('ann', 'a new secret')).resolves.toMatchObject({ id: 1 });
    } finally {
      await accounts.close();
    }
  });
});
