// A pandarus-remote service of its own for each test (its own data folder, real HTTP on
// loopback), and requests whose every answer is checked for server paths.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { createLogger } from '@geoworks/service-kit';
import { pandarusFixture } from '@geoworks/test-fixtures';
import { start } from '../src/server.js';

export type Server = Awaited<ReturnType<typeof start>>;

const running: { server: Server; root: string }[] = [];
afterEach(async () => {
  for (const { server, root } of running.splice(0)) {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

export const sha256 = (content: Buffer | string) =>
  createHash('sha256').update(content).digest('hex');

export type UploadFields = Partial<Record<'name' | 'sha256' | 'band' | 'layer' | 'field', string>>;

/** Starts the service on a free port with its data under a fresh folder; stopped after the test. */
export async function startService(env: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'pandarus-remote-'));
  const dataDir = join(root, 'data');
  const server = await start({
    env: {
      PANDARUS_REMOTE_PORT: '0',
      PANDARUS_REMOTE_DATA_DIR: dataDir,
      PANDARUS_CPUS: '0',
      ...env,
    },
    logger: createLogger({ level: 'silent' }),
  });
  running.push({ server, root });
  const url = (path: string) => new URL(path, server.url).href;

  /** fetch, and no answer but a downloaded file may name a file or folder of the server. */
  async function call(path: string, init?: RequestInit): Promise<Response> {
    const response = await fetch(url(path), init);
    if (response.headers.get('content-disposition') === null) {
      const body = await response.clone().text();
      expect(body).not.toContain(root);
      expect(body).not.toMatch(/\/(?:uploads|incoming|intersections|rasterstats)\//);
    }
    return response;
  }

  /** Uploads `content` (a dataset's bytes) as brightway2-regional does. */
  async function upload(name: string, content: Buffer | string, fields: UploadFields = {}) {
    const form = new FormData();
    const all = { name, sha256: sha256(content), band: '', layer: '', field: 'name', ...fields };
    for (const [key, value] of Object.entries(all)) form.append(key, value);
    // The part's own file name is not what the service goes by (bw2regional sends `name`).
    form.append('file', new Blob([content]), 'dataset');
    return call('/upload', { method: 'POST', body: form });
  }

  /** Uploads a pandarus fixture (field `name`), which must be taken; its hash and stored name. */
  async function uploadFixture(fixture: string, name = fixture) {
    const content = readFileSync(pandarusFixture(fixture));
    const response = await upload(name, content);
    expect(response.status).toBe(200);
    return (await response.json()) as { filename: string; sha256: string };
  }

  const post = (path: string, fields: Record<string, string>) =>
    call(path, { method: 'POST', body: new URLSearchParams(fields) });

  /** Polls a job's status as bw2regional does, until it ends; answers the JSON status. */
  async function poll(statusPath: string): Promise<{ status: string; error: string | null }> {
    for (;;) {
      const response = await call(statusPath, { headers: { accept: 'application/json' } });
      expect(response.status).toBe(200);
      const status = (await response.json()) as { status: string; error: string | null };
      if (status.status === 'finished' || status.status === 'failed') return status;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** POSTs a download route and parses the attachment (bz2 JSON, or GeoJSON). */
  async function download(path: string, fields: Record<string, string>) {
    const response = await post(path, fields);
    expect(response.status).toBe(200);
    const name = response.headers.get('content-disposition')!.replace('attachment; filename=', '');
    const saved = join(root, name);
    writeFileSync(saved, Buffer.from(await response.arrayBuffer()));
    return { name, saved };
  }

  const catalog = async () =>
    (await (await call('/catalog')).json()) as {
      files: [string, string, string][];
      intersections: [string, string][];
    };

  return { server, root, dataDir, url, call, upload, uploadFixture, post, poll, download, catalog };
}
