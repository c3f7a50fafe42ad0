import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleBlock, runExample } from '../src/index.js';

const script = new URL('./fixtures/prints.ts', import.meta.url);

describe('runExample and exampleBlock', () => {
  it('runs a TypeScript file with its arguments, folder and environment, giving its output', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'examples-'));
    try {
      const { stdout, stderr } = await runExample(script, {
        args: ['0', 'hello', 'world'],
        cwd,
        env: { ...process.env, EXTRA: '1' },
      });
      expect(stdout).toBe(`hello world\n${realpathSync(cwd)} 1\n`);
      expect(stderr).toBe('to stderr\n');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('rejects with the exit code and stderr of a failing run', async () => {
    await expect(runExample(script, { args: ['3', 'x'] })).rejects.toThrow(
      'the example exited with code 3:\nto stderr\n',
    );
  });

  it('gives the README block of a file: a ts fence around it, word for word', () => {
    expect(exampleBlock(script)).toMatch(
      /^```ts\n\/\/ Prints its arguments[\s\S]*process\.exitCode = Number\(code\);\n```$/,
    );
  });
});
