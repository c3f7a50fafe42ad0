import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleBlock, runExample } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { textIo } from '../src/index.js';
import { notes } from './fixtures/example.js';

const example = new URL('./fixtures/example.ts', import.meta.url);
const readme = new URL('../README.md', import.meta.url);

describe('the README example', () => {
  it('is test/fixtures/example.ts, word for word', () => {
    expect(readFileSync(readme, 'utf8')).toContain(exampleBlock(example));
  });

  it('runs as a program: keeps notes under the data directory and lists them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-example-'));
    const env = { ...process.env, GEOWORKS_DATA_DIR: dir, HOME: dir };
    expect(await runExample(example, { args: ['add', 'buy', 'milk'], env })).toEqual({
      stdout: '',
      stderr: 'kept\n',
    });
    await runExample(example, { args: ['add', 'call', 'Ann'], env });
    expect((await runExample(example, { args: ['list'], env })).stdout).toBe(
      'buy milk\ncall Ann\n',
    );
    expect((await runExample(example, { args: ['list', '--json'], env })).stdout).toBe(
      '["buy milk","call Ann"]\n',
    );
    expect((await runExample(example, { args: ['--version'], env })).stdout).toBe('1.0.0\n');
    expect((await runExample(example, { args: ['--help'], env })).stdout).toContain(
      '  --dir, NOTES_DIR   Where the notes are kept (default: $GEOWORKS_DATA_DIR/notes)\n',
    );
  });

  it('fails with the documented statuses, run in this process', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'cli-example-'));
    const missing = textIo({ env: { NOTES_DIR: empty } });
    expect(await notes.run(['list'], missing)).toBe(1);
    expect(missing.stderr.text).toBe(`No notes in ${empty}\n`);
    const nothing = textIo({ env: { NOTES_DIR: empty } });
    expect(await notes.run(['add'], nothing)).toBe(2);
    expect(nothing.stderr.text).toBe(`add needs some text\n\n${notes.help}`);
    const option = textIo({ env: { NOTES_DIR: empty } });
    expect(await notes.run(['add', 'x', '--json'], option)).toBe(2);
    expect(option.stderr.text.split('\n')[0]).toBe('--json is not an option of add');
  });
});
