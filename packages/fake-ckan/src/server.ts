import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { InvalidInputError, UnavailableError } from '@geoworks/errors';
import { Faults } from './faults.js';
import { handleRequest, type HandlerState } from './handler.js';
import { PagingCaches } from './paging.js';
import { DuplicateResourceError, loadResource } from './resources.js';
import { Store } from './store.js';
import { registerTextSearch } from './text-search.js';
import type { FakeCkan, FakeCkanOptions, ResourceSpec, ResourceSummary } from './types.js';

/** Resource tables are `fake_ckan_r1`, `fake_ckan_r2`…: field ids never name SQL objects. */
const TABLE_PREFIX = 'fake_ckan_r';

/**
 * Starts a stand-in for a CKAN site's datastore API on 127.0.0.1: `datastore_search` at
 * `/api/3/action/datastore_search` and `/api/action/datastore_search`, GET or POST, over
 * resources held in SQLite. See the README for what is and is not like CKAN.
 */
export async function startFakeCkan(options: FakeCkanOptions = {}): Promise<FakeCkan> {
  const store = new Store({
    file: options.database,
    readConnections: options.readConnections ?? 4,
    setup: registerTextSearch,
  });
  await store.dropTables(TABLE_PREFIX);
  const stopped = new AbortController();
  let url = '';
  const state: HandlerState = {
    store,
    caches: new PagingCaches(),
    faults: new Faults(),
    limits: { rowsMax: options.rowsMax ?? 32000, rowsDefault: options.rowsDefault ?? 100 },
    defaultBackend: options.backend ?? 'default',
    resources: new Map(),
    requests: [],
    searchCalls: 0,
    stopped: stopped.signal,
    wait: options.wait ?? ((ms, signal) => sleep(ms, undefined, { signal })),
    helpUrl: () => `${url}/api/3/action/help_show?name=datastore_search`,
  };
  for (const fault of options.faults ?? []) state.faults.add(fault);

  // Requests and loads under way, for stop() to wait for before closing the database.
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.catch(() => undefined).finally(() => inFlight.delete(work));
    return work;
  };

  const server = createServer((req, res) => {
    void track(
      handleRequest(state, req, res).catch((error: unknown) => {
        console.error('fake-ckan: request failed:', error);
        res.destroy();
      }),
    );
  });
  // Benchmarks keep a connection alive from page to page.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    store.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${host}:${address.port}`;

  const loading = new Set<string>();
  let tables = 0;
  async function addResource(spec: ResourceSpec): Promise<ResourceSummary> {
    if (stopped.signal.aborted) throw new UnavailableError('The fake CKAN server is stopped');
    if (spec === null || typeof spec !== 'object')
      throw new InvalidInputError('addResource needs a resource spec', { code: 'BAD_RESOURCE' });
    if (state.resources.has(spec.id) || loading.has(spec.id))
      throw new DuplicateResourceError(spec.id);
    loading.add(spec.id);
    try {
      const table = `${TABLE_PREFIX}${++tables}`;
      const { resource, summary } = await track(loadResource(store, spec, table, stopped.signal));
      state.resources.set(resource.id, resource);
      return summary;
    } finally {
      loading.delete(spec.id);
    }
  }

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    stopped.abort(new UnavailableError('The fake CKAN server was stopped'));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    await Promise.allSettled([...inFlight]);
    store.close();
  }

  return {
    url,
    apiUrl: `${url}/api/3/action/datastore_search`,
    requests: state.requests,
    get searchCalls() {
      return state.searchCalls;
    },
    addResource,
    setFault: (fault) => state.faults.add(fault),
    clearFaults: () => state.faults.clear(),
    stop: () => (stopping ??= stop()),
  };
}
