import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';

const example = new URL('./fixtures/example.ts', import.meta.url);

describe('README example', () => {
  it('is in the README word for word, and prints what its comments say', async () => {
    expect(readFileSync(new URL('../README.md', import.meta.url), 'utf8')).toContain(
      exampleBlock(example),
    );
    const cwd = mkdtempSync(join(tmpdir(), 'job-queue-example-'));
    try {
      const { stdout } = await runExample(example, { cwd });
      expect(stdout).toBe('hello world\nfinished\n');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
