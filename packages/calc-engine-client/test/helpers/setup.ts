import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { CalcEngineClient, type CalcEngineClientOptions } from '../../src/index.js';
import { startFakeEngine, type FakeEngine, type FakeEngineOptions } from './fake-engine.js';

const engines: FakeEngine[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.allSettled(engines.splice(0).map((engine) => engine.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake OpenQuake server on a free loopback port, closed after the test. */
export async function fakeEngine(options: FakeEngineOptions = {}): Promise<FakeEngine> {
  const engine = await startFakeEngine(options);
  engines.push(engine);
  return engine;
}

/** A client of `engine` with quick retries, so retry tests stay fast. */
export function clientOf(
  engine: FakeEngine,
  options: Partial<CalcEngineClientOptions> = {},
): CalcEngineClient {
  return new CalcEngineClient({
    url: engine.url,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    ...options,
  });
}

/** A fresh temporary directory, removed after the test. */
export function temporaryDir(prefix = 'calc-engine-client'): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  dirs.push(dir);
  return dir;
}

/** Polls `check` until it is true (or fails after `timeoutMs`). */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A client's `sleep` option that records every delay asked for instead of letting time pass:
 * the delays `hold` picks wait until `release()` ends them (or their signal aborts them), the
 * others end at once. Request timeouts wait through it too, so holding them keeps a request
 * from timing out until the test says so.
 */
export function recordedSleeps(hold: (ms: number) => boolean) {
  const asked: number[] = [];
  const held: (() => void)[] = [];
  return {
    asked,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      asked.push(ms);
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason as Error);
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        if (hold(ms)) held.push(resolve);
        else resolve();
      });
    },
    release(): void {
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

export const JOB_INI = `[general]
description = Classical PSHA demo
calculation_mode = classical
source_model_logic_tree_file = source_model_logic_tree.xml
gsim_logic_tree_file = gmpe_logic_tree.xml

[calculation]
investigation_time = 50.0
`;

export const INPUTS = {
  'source_model_logic_tree.xml': '<nrml><logicTree/></nrml>\n',
  'gmpe_logic_tree.xml': '<nrml><logicTree/></nrml>\n',
};

/** job.ini text with another description (which drives the fake's outcome). */
export function jobIni(description: string): string {
  return JOB_INI.replace('Classical PSHA demo', description);
}

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as a child process (`node --import tsx --conditions=@geoworks/source
 * src/cli.ts ...`) with HOME pointed at an empty directory so no real config is read.
 * `onStdout` sees the output as it comes and may act on the child (send it SIGINT).
 */
export function runCliProcess(
  args: string[],
  options: {
    env?: Record<string, string>;
    onStdout?: (soFar: string, child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliRun> {
  const home = temporaryDir('calc-engine-home');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@geoworks/source', 'src/cli.ts', ...args],
      {
        cwd: packageDir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          XDG_CONFIG_HOME: join(home, '.config'),
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
