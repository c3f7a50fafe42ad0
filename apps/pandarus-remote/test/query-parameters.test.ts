// A query parameter given twice is a 400 on every route, before any handler reads it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@geoworks/service-kit';
import { callEveryRoute } from '@geoworks/test-fixtures';
import { start } from '../src/server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'pandarus-remote-query-'));
let server: Awaited<ReturnType<typeof start>>;

beforeAll(async () => {
  server = await start({
    env: { PANDARUS_REMOTE_PORT: '0', PANDARUS_REMOTE_DATA_DIR: dataDir },
    logger: createLogger({ level: 'silent' }),
  });
});
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('pandarus-remote query parameters', () => {
  it('refuses a query parameter given twice on every route, naming it', async () => {
    const answers = await callEveryRoute(server.url, { query: '?sha256=1&sha256=2' });
    expect(answers.length).toBeGreaterThan(5);
    const body = 'Query parameter "sha256" is given 2 times: give it once\n';
    expect(answers).toEqual(answers.map(({ route }) => ({ route, status: 400, body })));
  });
});
