// flux-server and flux-manage must open the same database: FLUX_DB, else
// $GEOWORKS_DATA_DIR/flux/flux.sqlite (where `npm start` keeps every service's data).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FluxStore } from '@geoworks/flux-store';
import { createLogger } from '@geoworks/service-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { start } from '../src/server.js';
import { get, loadFixture, XCO2 } from './helpers.js';

const dataDir = mkdtempSync(join(tmpdir(), 'flux-server-data-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const startWith = (env: NodeJS.ProcessEnv) =>
  start({ env: { FLUX_SERVER_PORT: '0', ...env }, logger: createLogger({ level: 'silent' }) });

describe('the database', () => {
  it('is $GEOWORKS_DATA_DIR/flux/flux.sqlite when FLUX_DB is unset or blank', async () => {
    const path = join(dataDir, 'flux', 'flux.sqlite');
    const loader = FluxStore.open(path);
    await loadFixture(loader, XCO2);
    loader.close();
    for (const env of [
      { GEOWORKS_DATA_DIR: dataDir },
      { GEOWORKS_DATA_DIR: dataDir, FLUX_DB: '' },
    ]) {
      const server = await startWith(env);
      try {
        expect(server.store.path).toBe(path);
        const answer = await get(server.url, '/flux/api/scenarios.json');
        expect(answer.body).toEqual([{ _id: 'xco2', title: '', gridded: false }]);
      } finally {
        await server.stop();
      }
    }
  });

  it('is FLUX_DB when it is set, whatever GEOWORKS_DATA_DIR says', async () => {
    const server = await startWith({
      GEOWORKS_DATA_DIR: dataDir,
      FLUX_DB: join(dataDir, 'other', '..', 'other.sqlite'),
    });
    try {
      expect(server.store.path).toBe(join(dataDir, 'other.sqlite'));
      expect((await get(server.url, '/flux/api/scenarios.json')).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
