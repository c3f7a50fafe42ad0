import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forkModule } from '../src/index.js';

// @geoworks/test-fixtures' exampleBlock and runExample cannot serve here: test-fixtures
// depends on this package, so the test compares and runs the example itself.
const example = new URL('./fixtures/example.ts', import.meta.url);
const worker = new URL('./fixtures/squares.ts', import.meta.url);
const block = (file: URL) => `\`\`\`ts\n${readFileSync(file, 'utf8')}\`\`\``;

describe('the README example', () => {
  it('is test/fixtures/example.ts and its worker squares.ts, word for word', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(block(worker));
    expect(readme).toContain(block(example));
  });

  it('runs, from TypeScript sources, a pool of two processes that square numbers', async () => {
    const child = forkModule(example, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe('[ 2, 5, 10 ]\n');
  });
});
