import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestListener } from 'node:http';
import { afterEach } from 'vitest';
import { createLogger, listen, type Logger, type ServerHandle } from '../../src/index.js';

export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A real logger whose JSON lines are kept in `lines` for assertions. */
export function captureLogs(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });
  return { logger, lines };
}

const running: ServerHandle[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((handle) => handle.stop({ timeoutMs: 1000 })));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Listens on a free loopback port; the server is stopped after the test. */
export async function serve(app: RequestListener, logger?: Logger): Promise<ServerHandle> {
  const handle = await listen(app, { port: 0, host: '127.0.0.1', logger });
  running.push(handle);
  return handle;
}

/** A fresh temporary directory, removed after the test. */
export function temporaryDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `service-kit-${prefix}-`));
  dirs.push(dir);
  return dir;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
