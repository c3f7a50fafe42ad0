import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// @geoworks/test-fixtures' exampleBlock and runExample cannot serve here: test-fixtures
// depends on this package (through workers), so the test does the same by hand.
const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(
      `\`\`\`ts\n${readFileSync(example, 'utf8')}\`\`\``,
    );
  });

  it('prints the error as data, then as the base class of its kind', async () => {
    // As a user runs it from this repository: tsx, the package from its sources.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--conditions=@geoworks/source', fileURLToPath(example)],
      { cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    expect(stdout).toBe(
      "DuplicateLabelError invalid-input DUPLICATE_LABEL { label: 'FR' }\n" +
        'true invalid-input Label "FR" appears twice\n',
    );
  });
});
