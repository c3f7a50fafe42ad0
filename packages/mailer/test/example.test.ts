import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readOutbox } from '../src/index.js';
import { temporaryDir } from './helpers/smtp.js';

const example = fileURLToPath(new URL('./fixtures/example.ts', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(
      `\`\`\`ts\n${readFileSync(example, 'utf8')}\`\`\``,
    );
  });

  it('runs and leaves the message in the outbox', async () => {
    const cwd = temporaryDir('example');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', tsx, '--conditions=@geoworks/source', example],
      { cwd },
    );
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
