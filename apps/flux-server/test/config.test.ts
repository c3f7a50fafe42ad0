// flux-server's configuration: the database (flux-server and flux-manage must open the same
// one: FLUX_DB, else $GEOWORKS_DATA_DIR/flux/flux.sqlite, where `npm start` keeps every
// service's data), the limit on what one query reads, and the origins allowed to call the API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FluxStore } from '@geoworks/flux-store';
import { createLogger } from '@geoworks/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../src/server.js';
import { CASA, get, loadFixture, startServer, useServer, XCO2, type Server } from './helpers.js';

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

const API = '/flux/api';
const CASA_URL = `${API}/scenarios/casa_gfed_2004`;
const DAY = { start: new Date('2004-06-30Z'), end: new Date('2004-07-01Z') };
const app = useServer([CASA]);

describe('FLUX_MAX_AGGREGATE_VALUES', () => {
  let limited: Server;

  beforeAll(async () => {
    limited = await startServer(app.dbPath, { FLUX_MAX_AGGREGATE_VALUES: '10' });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('answers 413 for an aggregate map or a region reading more values than the limit', async () => {
    const map = await get(limited.url, `${CASA_URL}/xy.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      aggregate: 'net',
    });
    expect(map.status).toBe(413);
    expect(map.type).toMatch(/^text\/plain/);
    expect(map.text).toBe(
      'The query would read 21,080 values, more than the limit of 10: narrow the time range or the region',
    );
    const region = await get(limited.url, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      geom: 'POLYGON((-100 30, -90 30, -90 40, -100 40, -100 30))',
    });
    expect(region.status).toBe(413);
  });

  it('still answers queries under the limit', async () => {
    const series = await get(limited.url, `${CASA_URL}/t.json`, {
      start: '2004-06-30',
      end: '2004-07-01',
      coords: 'POINT(-165.5 61.5)',
    });
    expect(series.status).toBe(200);
    expect(series.body).toEqual(app.flux.cellSeries(CASA.name, DAY, { at: [-165.5, 61.5] }));
  });
});

describe('FLUX_SERVER_CORS_ORIGINS', () => {
  it('sends access-control-allow-origin: * by default, on answers and errors', async () => {
    const ok = await fetch(new URL(`${API}/scenarios.json`, app.base), {
      headers: { origin: 'http://client.example' },
    });
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const error = await fetch(new URL(`${API}/scenarios/nope.json`, app.base));
    expect(error.status).toBe(404);
    expect(error.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('with FLUX_SERVER_CORS_ORIGINS, allows only the listed origins', async () => {
    const strict = await startServer(app.dbPath, {
      FLUX_SERVER_CORS_ORIGINS: 'http://client.example',
    });
    try {
      const listed = await fetch(new URL(`${API}/scenarios.json`, strict.url), {
        headers: { origin: 'http://client.example' },
      });
      expect(listed.status).toBe(200);
      expect(listed.headers.get('access-control-allow-origin')).toBe('http://client.example');
      expect(listed.headers.get('vary')).toMatch(/Origin/);
      const other = await fetch(new URL(`${API}/scenarios.json`, strict.url), {
        headers: { origin: 'http://evil.example' },
      });
      expect(other.status).toBe(200);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await strict.stop();
    }
  });
});
