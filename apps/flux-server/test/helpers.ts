import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FluxStore, openModel } from '@geoworks/flux-store';
import { createLogger } from '@geoworks/service-kit';
import { fluxFixture } from '@geoworks/test-fixtures';
import { start } from '../src/server.js';

export type Server = Awaited<ReturnType<typeof start>>;

/** A flux-python-api test fixture's path (casagfed2004.mat, kriged_xco2.mat, xco2.mat). */
export const fixture = fluxFixture;

export interface FixtureDataset {
  name: string;
  model: string;
  file: string;
  overrides?: string;
}

export const CASA: FixtureDataset = {
  name: 'casa_gfed_2004',
  model: 'SpatioTemporalMatrix',
  file: 'casagfed2004.mat',
  overrides: 'timestamp=2004-06-30T00:00:00;var_name=casa_gfed_2004;title=Surface Carbon Flux',
};
export const KRIGED: FixtureDataset = {
  name: 'kriged',
  model: 'KrigedXCO2Matrix',
  file: 'kriged_xco2.mat',
  overrides: 'timestamp=2009-06-15T00:00:00',
};
export const XCO2: FixtureDataset = { name: 'xco2', model: 'XCO2Matrix', file: 'xco2.mat' };

/** Loads a fixture through its real model into the store, under `name` (default: the dataset's). */
export async function loadFixture(
  store: FluxStore,
  dataset: FixtureDataset,
  name = dataset.name,
): Promise<void> {
  const model = await openModel(
    dataset.model,
    fixture(dataset.file),
    dataset.overrides === undefined ? {} : { overrides: dataset.overrides },
  );
  try {
    await store.load(name, await model.toLoad());
  } finally {
    model.close();
  }
}

/** A temp directory holding `flux.sqlite` with the given fixtures loaded (none: an empty database). */
export async function makeDatabase(datasets: FixtureDataset[]): Promise<string> {
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

/** Rounds as the API does: two decimals, null for no value. */
export function round2(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  const rounded = Math.round(Math.abs(value) * 100) / 100;
  return value < 0 && rounded !== 0 ? -rounded : rounded;
}
