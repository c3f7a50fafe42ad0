// pandarus-remote on Redis while Redis is down: quick 503s, and back to work once it returns.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@geoworks/service-kit';
import { eventually, pandarusFixture, startRedis } from '@geoworks/test-fixtures';
import { start } from '../src/server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function uploadForm(fixture: string): FormData {
  const bytes = readFileSync(pandarusFixture(fixture));
  const form = new FormData();
  form.append('name', fixture);
  form.append('sha256', createHash('sha256').update(bytes).digest('hex'));
  for (const key of ['band', 'layer']) form.append(key, '');
  form.append('field', 'name');
  form.append('file', new Blob([bytes]), fixture);
  return form;
}

describe('pandarus-remote on Redis', () => {
  it('answers 503 with Retry-After while Redis is down, and uploads again once it is back', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'pandarus-redis-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const server = await start({
      env: {
        PANDARUS_REMOTE_PORT: '0',
        PANDARUS_REMOTE_DATA_DIR: dataDir,
        PANDARUS_CPUS: '0',
        PANDARUS_REDIS_URL: redis.url,
      },
      logger: createLogger({ level: 'silent' }),
    });
    cleanups.push(() => server.stop());
    const url = (path: string) => new URL(path, server.url).href;
    await redis.stop();

    const status = await fetch(url('/status/some-job'));
    expect(status.status).toBe(503);
    expect(status.headers.get('retry-after')).toBe('5');
    expect(await status.text()).toMatch(/^The job queue is unavailable/);
    const refused = await fetch(url('/upload'), {
      method: 'POST',
      body: uploadForm('grid.geojson'),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    // The refused upload is not kept: the catalog is empty and the same upload works later.
    expect(((await (await fetch(url('/catalog'))).json()) as { files: unknown[] }).files).toEqual(
      [],
    );

    await redis.restart();
    await eventually(async () => {
      const accepted = await fetch(url('/upload'), {
        method: 'POST',
        body: uploadForm('grid.geojson'),
      });
      expect(accepted.status).toBe(200);
    });
    expect(((await (await fetch(url('/catalog'))).json()) as { files: unknown[] }).files).toEqual([
      [
        'grid.geojson',
        createHash('sha256')
          .update(readFileSync(pandarusFixture('grid.geojson')))
          .digest('hex'),
        'vector',
      ],
    ]);
  });
});
