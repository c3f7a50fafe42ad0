import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { forkModule, needsTypeScript, siblingModule, startThread } from '../src/index.js';

const tsEntry = new URL('./fixtures/echo.ts', import.meta.url);
const jsEntry = new URL('./fixtures/echo.mjs', import.meta.url);

describe('launching workers', () => {
  it('starts a TypeScript or JavaScript module in a worker thread', async () => {
    for (const entry of [tsEntry, jsEntry]) {
      const worker = startThread(entry);
      const [message] = (await once(worker, 'message')) as [{ kind: string; pid: number }];
      expect(message.kind).toBe('thread');
      expect(message.pid).toBe(process.pid);
      await worker.terminate();
    }
  });

  it('forks a TypeScript or JavaScript module as a child process', async () => {
    for (const entry of [tsEntry, jsEntry]) {
      const child = forkModule(entry);
      const [message] = (await once(child, 'message')) as [{ kind: string; pid: number }];
      expect(message.kind).toBe('process');
      expect(message.pid).toBe(child.pid);
      expect(message.pid).not.toBe(process.pid);
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(0);
    }
  });

  it('knows which modules need tsx and finds siblings with the caller’s extension', () => {
    expect(needsTypeScript(tsEntry)).toBe(true);
    expect(needsTypeScript(jsEntry)).toBe(false);
    expect(needsTypeScript(jsEntry, 'file:///x/handlers.mts')).toBe(true);
    expect(siblingModule('file:///a/b/pool.ts', 'entry').href).toBe('file:///a/b/entry.ts');
    expect(siblingModule('file:///a/b/pool.js', 'entry').href).toBe('file:///a/b/entry.js');
  });
});
