import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const waiter = fileURLToPath(new URL('./fixtures/waiter.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs the waiter as a program; sends SIGINT once it printed its first line. */
function runWaiter(args: string[], interrupt: boolean) {
  const child = spawn(
    process.execPath,
    ['--import', tsx, '--conditions=@geoworks/source', waiter, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (interrupt && stdout.endsWith('\n')) child.kill('SIGINT');
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Each run starts Node with tsx: allow for a slow, busy machine.
describe('a tool run as a program', { timeout: 60_000 }, () => {
  it('stops interruptible work at Ctrl-C and exits 130', async () => {
    expect(await runWaiter(['wait'], true)).toEqual({
      code: 130,
      stdout: 'waiting\n',
      stderr: 'Interrupted\n',
    });
  });

  it('exits 130 at once at Ctrl-C when nothing listens for it', async () => {
    expect(await runWaiter(['hang'], true)).toEqual({ code: 130, stdout: 'hanging\n', stderr: '' });
  });

  it('sets the exit status of its command line', async () => {
    expect(await runWaiter(['--version'], false)).toEqual({
      code: 0,
      stdout: '0.0.1\n',
      stderr: '',
    });
    const unknown = await runWaiter(['fly'], false);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'Unknown command "fly"; commands: wait, hang\n\nUsage: waiter (wait | hang)\n',
    );
  });
});
