import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FluxService } from '@geoworks/flux-service';
import { FluxStore } from '@geoworks/flux-store';
import { createLogger } from '@geoworks/service-kit';
import { fluxDatasets, type FluxFixtureDataset } from '@geoworks/test-fixtures';
import { afterAll, beforeAll } from 'vitest';
import { start } from '../src/server.js';

export type Server = Awaited<ReturnType<typeof start>>;

export const { casa: CASA, kriged: KRIGED, xco2: XCO2 } = fluxDatasets;

/** Loads a test file into the store under `name` (default: the dataset's own). */
export async function loadFixture(
  store: FluxStore,
  { name: own, path, model, overrides }: FluxFixtureDataset,
  name = own,
): Promise<void> {
  await store.loadFile(name, path, { model, overrides });
}

/** A temp directory holding `flux.sqlite` with the given fixtures loaded (none: an empty database). */
export async function makeDatabase(datasets: FluxFixtureDataset[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'flux-server-'));
  const dbPath = join(dir, 'flux.sqlite');
  const store = FluxStore.open(dbPath);
  try {
    for (const dataset of datasets) await loadFixture(store, dataset);
  } finally {
    store.close();
  }
  return dbPath;
}

/** flux-server on a free loopback port over `dbPath`, logging nothing. */
export function startServer(dbPath: string, env: Record<string, string> = {}): Promise<Server> {
  return start({
    env: { FLUX_SERVER_PORT: '0', FLUX_DB: dbPath, ...env },
    logger: createLogger({ level: 'silent' }),
  });
}

/** Runs `use` against a server over `dbPath`, then stops it and deletes the database's folder. */
export async function withServer(
  dbPath: string,
  use: (server: Server) => Promise<void>,
): Promise<void> {
  const server = await startServer(dbPath);
  try {
    await use(server);
  } finally {
    await server.stop();
    rmSync(dirname(dbPath), { recursive: true, force: true });
  }
}

/** A test file's server, with the use cases over a second connection to its database. */
export interface ServerFixture {
  dbPath: string;
  server: Server;
  /** The server's URL. */
  base: string;
  store: FluxStore;
  /** What the routes should answer, for comparing them with. */
  flux: FluxService;
}

/** Starts a server over a database holding `datasets` before the file's tests; stops it after. */
export function useServer(datasets: FluxFixtureDataset[]): ServerFixture {
  const fixture = {} as ServerFixture;
  beforeAll(async () => {
    fixture.dbPath = await makeDatabase(datasets);
    fixture.server = await startServer(fixture.dbPath);
    fixture.base = fixture.server.url;
    fixture.store = FluxStore.open(fixture.dbPath);
    fixture.flux = new FluxService(fixture.store);
  });
  afterAll(async () => {
    await fixture.server?.stop();
    fixture.store?.close();
    if (fixture.dbPath !== undefined)
      rmSync(dirname(fixture.dbPath), { recursive: true, force: true });
  });
  return fixture;
}

export interface Answer<T = unknown> {
  status: number;
  type: string;
  headers: Headers;
  body: T;
  text: string;
}

/** GET `path` (with query parameters, encoded) and read the body as JSON when it is JSON. */
export async function get<T = unknown>(
  base: string,
  path: string,
  query: Record<string, string> = {},
): Promise<Answer<T>> {
  const url = new URL(path, base);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const response = await fetch(url);
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const body = (type.includes('json') ? JSON.parse(text) : text) as T;
  return { status: response.status, type, headers: response.headers, body, text };
}
