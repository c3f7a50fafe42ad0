import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '@geoworks/service-kit';
import { pandarusFixture } from '@geoworks/test-fixtures';
import { start } from '../src/server.js';
import { slowMode } from './fixtures/slow-mode.js';

export type Server = Awaited<ReturnType<typeof start>>;

export async function startServer(
  env: Record<string, string> = {},
): Promise<{ server: Server; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'calc-server-'));
  const server = await start({
    env: { CALC_SERVER_PORT: '0', CALC_SERVER_DATA_DIR: dataDir, ...env },
    logger: createLogger({ level: 'silent' }),
    extraModes: [slowMode],
  });
  return { server, dataDir };
}

/**
 * A server of its own for the tests of one file: started before them, stopped after. Read its
 * fields inside the tests (they are set once it has started).
 */
export function serverForFile(env: Record<string, string> = {}): {
  server: Server;
  dataDir: string;
  base: string;
} {
  const started = {} as { server: Server; dataDir: string; base: string };
  beforeAll(async () => {
    Object.assign(started, await startServer(env));
    started.base = started.server.url.replace(/\/$/, '');
  });
  afterAll(async () => {
    await started.server.stop();
  });
  return started;
}

export async function zipOf(files: Record<string, string | { path: string }>): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'calc-zip-'));
  const path = join(dir, 'job.zip');
  const archive = new ZipArchive();
  const done = pipeline(archive, createWriteStream(path));
  for (const [name, content] of Object.entries(files)) {
    archive.append(typeof content === 'string' ? content : readFileSync(content.path), { name });
  }
  await archive.finalize();
  await done;
  return readFileSync(path);
}

export const gridIni = `[general]
description = Grid x square
calculation_mode = intersection

[inputs]
first_file = grid.geojson
first_field = name
second_file = square.geojson
second_field = name
cpus = 0
`;

export const gridFiles = {
  'grid.geojson': { path: pandarusFixture('grid.geojson') },
  'square.geojson': { path: pandarusFixture('square.geojson') },
};

export async function postArchive(
  url: string,
  archive: Buffer,
  fields: Record<string, string> = {},
  cookie?: string,
) {
  const form = new FormData();
  form.append('archive', new Blob([archive]), 'job.zip');
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return fetch(url, {
    method: 'POST',
    body: form,
    headers: cookie === undefined ? {} : { cookie },
  });
}

export async function waitStatus(base: string, id: number, cookie?: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const response = await fetch(`${base}/v1/calc/${id}/status`, {
      headers: cookie === undefined ? {} : { cookie },
    });
    const { status } = (await response.json()) as { status: string };
    if (status === 'failed') {
      // The traceback makes a failure in CI readable without rerunning it.
      const traceback = await fetch(`${base}/v1/calc/${id}/traceback`, {
        headers: cookie === undefined ? {} : { cookie },
      });
      console.error(`job ${id} failed:`, await traceback.text());
    }
    if (['complete', 'failed', 'aborted'].includes(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} did not end`);
}
