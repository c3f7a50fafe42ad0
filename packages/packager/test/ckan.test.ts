import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRows, startFakeCkan, type FakeCkan } from '@geoworks/fake-ckan';
import { CkanError, openDatastore, type DatastoreQuery } from '../src/index.js';

let ckan: FakeCkan;
const rows = generateRows(50, 8, 7);

beforeAll(async () => {
  ckan = await startFakeCkan();
  await ckan.addResource({ id: 'plain', fields: rows.fields, rows });
  await ckan.addResource({ id: 'solr', fields: rows.fields, rows, backend: 'solr' });
  await ckan.addResource({
    id: 'versioned',
    fields: rows.fields,
    rows,
    backend: 'versioned-datastore',
  });
  await ckan.addResource({
    id: 'secret',
    fields: rows.fields,
    rows,
    private: true,
    apiKey: 'key-42',
  });
});
afterAll(async () => {
  await ckan.stop();
});

// The fake CKAN listens on loopback, refused unless allowed.
const fast = { retryBackoffMs: 5, timeoutMs: 5000, allowPrivateAddresses: true };

async function readAll(query: Omit<DatastoreQuery, 'apiUrl'>, options = {}) {
  const reader = await openDatastore({ apiUrl: ckan.apiUrl, ...query }, { ...fast, ...options });
  const records: Record<string, unknown>[] = [];
  for await (const record of reader.records()) records.push(record);
  return { reader, records };
}

function searchBodies(): Record<string, unknown>[] {
  return ckan.requests
    .filter((request) => request.searchCall !== undefined)
    .map((request) => request.body as Record<string, unknown>);
}

describe('openDatastore', () => {
  it('pages as ckanpackager did: page size 2, offset 4, limit 10 -> offsets 4, 6, 8, 10, 12', async () => {
    ckan.requests.length = 0;
    const { reader, records } = await readAll(
      { resourceId: 'plain', offset: 4, limit: 10 },
      { pageSize: 2 },
    );
    const bodies = searchBodies();
    expect(bodies[0]).toEqual({ resource_id: 'plain', offset: 0, limit: 0 });
    expect(bodies.slice(1).map((body) => body.offset)).toEqual([4, 6, 8, 10, 12]);
    expect(bodies.at(-1)).toEqual({ resource_id: 'plain', offset: 12, limit: 2 });
    expect(records.map((record) => record._id)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(records[0]).toEqual({ _id: 5, ...rows.row(4) });
    expect(reader.fields.map((field) => field.id)).toEqual([
      '_id',
      ...rows.fields.map((field) => field.id),
    ]);
    expect(reader.expectedRecords).toBe(10);
  });

  it('reads everything and stops at the first empty page', async () => {
    ckan.requests.length = 0;
    const { records } = await readAll({ resourceId: 'plain' }, { pageSize: 20 });
    expect(records).toHaveLength(50);
    expect(records[49]).toEqual({ _id: 50, ...rows.row(49) });
    expect(
      searchBodies()
        .slice(1)
        .map((body) => body.offset),
    ).toEqual([0, 20, 40, 60]);
  });

  it.each(['solr', 'versioned'])(
    'pages the %s backend by its cursor, never by offset',
    async (id) => {
      ckan.requests.length = 0;
      const { reader, records } = await readAll({ resourceId: id }, { pageSize: 15 });
      expect(reader.backend).toBe(id === 'solr' ? 'solr' : 'versioned-datastore');
      expect(records.map((record) => record._id)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      const pages = searchBodies().slice(1);
      expect(pages.every((body) => body.offset === undefined)).toBe(true);
      if (id === 'solr') {
        expect(pages[0]!.cursor).toBe('*');
        expect(typeof pages[1]!.cursor).toBe('string');
        expect(pages[1]!.cursor).not.toBe('*');
      } else {
        expect(pages[0]!.after).toBeUndefined();
        expect(pages[1]!.after).toBeDefined();
      }
    },
  );

  it('stops a cursor read at the requested count', async () => {
    const { records } = await readAll({ resourceId: 'solr', limit: 7 }, { pageSize: 5 });
    expect(records.map((record) => record._id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('forwards filters, q, fields and sort', async () => {
    ckan.requests.length = 0;
    const category = rows.row(3).category as string;
    const { reader, records } = await readAll({
      resourceId: 'plain',
      filters: { category: [category] },
      fields: '_id,category,count',
      sort: '_id desc',
    });
    const expected = Array.from({ length: 50 }, (_, i): Record<string, unknown> => ({
      _id: i + 1,
      ...rows.row(i),
    }))
      .filter((record) => record.category === category)
      .reverse();
    expect(reader.fields.map((field) => field.id)).toEqual(['_id', 'category', 'count']);
    expect(records).toEqual(
      expected.map((record) => ({ _id: record._id, category, count: record.count })),
    );
    expect(searchBodies()[1]).toMatchObject({
      filters: { category: [category] },
      fields: '_id,category,count',
      sort: '_id desc',
    });
  });

  it('sends the key as the raw Authorization header; private resources need it', async () => {
    const refused = await readAll({ resourceId: 'secret' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CkanError);
    expect((refused as CkanError).status).toBe(403);
    expect((refused as CkanError).transient).toBe(false);
    ckan.requests.length = 0;
    const { records } = await readAll({ resourceId: 'secret', key: 'key-42' });
    expect(records).toHaveLength(50);
    expect(ckan.requests.every((request) => request.headers.authorization === 'key-42')).toBe(true);
  });

  it('fails at once on a CKAN error, without retrying', async () => {
    const before = ckan.searchCalls;
    const error = await readAll({ resourceId: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CkanError);
    expect((error as CkanError).ckanType).toBe('Not Found Error');
    expect((error as CkanError).message).toMatch(/HTTP 404, Not Found Error/);
    expect(ckan.searchCalls - before).toBe(1);
  });

  it('retries transient failures (5xx, a dropped connection) and then succeeds', async () => {
    ckan.setFault({ kind: 'status', status: 502, call: ckan.searchCalls + 2 });
    ckan.setFault({ kind: 'destroy', call: ckan.searchCalls + 4 });
    const retries: number[] = [];
    const { records } = await readAll(
      { resourceId: 'plain' },
      { pageSize: 20, onRetry: (_e: unknown, attempt: number) => retries.push(attempt) },
    );
    expect(records).toEqual(Array.from({ length: 50 }, (_, i) => ({ _id: i + 1, ...rows.row(i) })));
    expect(retries).toHaveLength(2);
    ckan.clearFaults();
  });

  it('resumes a page cut off mid-records without repeating or losing any', async () => {
    ckan.setFault({ kind: 'destroy', call: ckan.searchCalls + 2, afterBytes: 3000 });
    const retries: number[] = [];
    const { records } = await readAll(
      { resourceId: 'plain' },
      { pageSize: 50, onRetry: (_e: unknown, attempt: number) => retries.push(attempt) },
    );
    ckan.clearFaults();
    expect(retries).toEqual([1]);
    expect(records).toEqual(Array.from({ length: 50 }, (_, i) => ({ _id: i + 1, ...rows.row(i) })));
  });

  it('gives up after its retries with the last error', async () => {
    ckan.setFault({ kind: 'status', status: 500, call: ckan.searchCalls + 2, times: 10 });
    const error = await readAll({ resourceId: 'plain' }, { pageSize: 20, retries: 2 }).catch(
      (e: unknown) => e,
    );
    ckan.clearFaults();
    expect(error).toBeInstanceOf(CkanError);
    expect((error as CkanError).status).toBe(500);
  });

  it('times out a call that does not answer', async () => {
    // The delay outlasts the test: only the reader's own timeout can end the call.
    ckan.setFault({ kind: 'delay', ms: 3_600_000, call: ckan.searchCalls + 1, times: 10 });
    const error = await readAll({ resourceId: 'plain' }, { timeoutMs: 200, retries: 0 }).catch(
      (e: unknown) => e,
    );
    ckan.clearFaults();
    expect(error).toBeInstanceOf(CkanError);
    expect((error as CkanError).message).toMatch(/did not answer within 200 ms/);
  });

  it('can be left early without unhandled rejections', async () => {
    const reader = await openDatastore(
      { apiUrl: ckan.apiUrl, resourceId: 'plain' },
      { ...fast, pageSize: 5 },
    );
    let seen = 0;
    for await (const record of reader.records()) {
      seen += record === undefined ? 0 : 1;
      if (seen === 3) break;
    }
    expect(seen).toBe(3);
  });
});
