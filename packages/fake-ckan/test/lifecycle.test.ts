import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '@geoworks/errors';
import { afterAll, expect, it } from 'vitest';
import { generateRows, startFakeCkan, type Row } from '../src/index.js';
import { heldDelays, post, records } from './helpers/client.js';

const dir = mkdtempSync(join(tmpdir(), 'fake-ckan-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('listens on 127.0.0.1, a free port by default', async () => {
  const ckan = await startFakeCkan();
  try {
    expect(ckan.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ckan.apiUrl).toBe(`${ckan.url}/api/3/action/datastore_search`);
  } finally {
    await ckan.stop();
  }
});

it('uses a database file given to it, starting afresh each time', async () => {
  const file = join(dir, 'datastore.sqlite');
  const rows = generateRows(50, 5, 1);
  for (let run = 0; run < 2; run++) {
    const ckan = await startFakeCkan({ database: file });
    try {
      await ckan.addResource({ id: 'r', fields: rows.fields, rows });
      expect(records(await post(ckan, { resource_id: 'r', limit: 1000 }))).toHaveLength(50);
    } finally {
      await ckan.stop();
    }
  }
  expect(existsSync(file)).toBe(true); // a file the caller gave is left where it was
});

it('stop() ends a load in progress and waiting requests promptly', async () => {
  const delays = heldDelays();
  const ckan = await startFakeCkan({ wait: (ms, signal) => delays.wait(ms, signal) });
  let loadStarted!: () => void;
  const loadRunning = new Promise<void>((resolve) => (loadStarted = resolve));
  async function* endless(): AsyncGenerator<Row> {
    for (let n = 0; ; n++) {
      if (n === 1000) loadStarted();
      yield { n };
    }
  }
  // Loads take turns on SQLite's one writer: the small one goes first.
  await ckan.addResource({ id: 'small', fields: [{ id: 'n', type: 'int' }], rows: [{ n: 1 }] });
  const loading = ckan.addResource({
    id: 'endless',
    fields: [{ id: 'n', type: 'int' }],
    rows: endless(),
  });
  const loadError = loading.then(
    () => undefined,
    (error: unknown) => error,
  );
  ckan.setFault({ kind: 'delay', ms: 60_000, call: 1 });
  const waiting = fetch(ckan.apiUrl, { method: 'POST', body: '{"resource_id": "small"}' }).catch(
    (error: unknown) => error,
  );
  await Promise.all([loadRunning, delays.arrived(1)]);
  // Reading from a file goes on while a load runs.
  expect(records(await post(ckan, { resource_id: 'small', limit: 1 }))).toEqual([{ _id: 1, n: 1 }]);
  // Nothing is released: stop() itself must end the held delay and the endless load (a stop
  // that waited for them would never return, and the test would time out).
  await ckan.stop();
  expect(await loadError).toBeInstanceOf(UnavailableError);
  expect(await waiting).toBeInstanceOf(Error);
  await expect(ckan.addResource({ id: 'late', fields: [], rows: [] })).rejects.toThrow(
    UnavailableError,
  );
});
