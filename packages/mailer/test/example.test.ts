import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { readOutbox } from '../src/index.js';
import { temporaryDir } from './helpers/smtp.js';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('runs and leaves the message in the outbox', async () => {
    const cwd = temporaryDir('example');
    const { stdout } = await runExample(example, { cwd });
    const outbox = join(cwd, 'data', 'outbox');
    const [message] = await readOutbox(outbox);
    expect(stdout).toBe(
      `[ 'ann@example.org' ] ${message!.path}\n` +
        `Resource from data.example.org <a href="https://data.example.org/a1b2c3.zip">Your file</a>\n`,
    );
    expect(message).toMatchObject({
      from: 'noreply@data.example.org',
      to: ['ann@example.org'],
      text: 'Your file: https://data.example.org/a1b2c3.zip\n',
    });
  });
});
