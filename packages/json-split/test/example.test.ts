import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('./fixtures/example.ts', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(
      `\`\`\`ts\n${readFileSync(example, 'utf8')}\`\`\``,
    );
  });

  it('prints each record as it completes, then the rest of the answer', async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      tsx,
      '--conditions=@geoworks/source',
      example,
    ]);
    expect(stdout).toBe(
      "record { id: 1, name: 'Ann' }\n" +
        "record { id: 2, name: 'Bob' }\n" +
        'the rest {"success":true,"result":{"records":[],"total":2}}\n',
    );
  });
});
