import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRows, startFakeCkan, type FakeCkan, type GeneratedRows } from '../src/index.js';
import { ckanpackagerFetch, get, post, records } from './helpers/client.js';
import { ALL_SPECIMENS, SPECIMEN_FIELDS, SPECIMEN_ROWS } from './helpers/fixtures.js';

// One body, both storage variants: a temporary file (a pool of readers) and :memory: (one
// connection everything takes turns on).
describe.each([
  { variant: 'temporary file', database: undefined },
  { variant: ':memory:', database: ':memory:' },
])('offset paging ($variant)', ({ database }) => {
  let ckan: FakeCkan;
  let generated: GeneratedRows;

  beforeAll(async () => {
    ckan = await startFakeCkan({ database });
    await ckan.addResource({ id: 'specimens', fields: SPECIMEN_FIELDS, rows: SPECIMEN_ROWS });
    generated = generateRows(500, 10, 11);
    await ckan.addResource({ id: 'generated', fields: generated.fields, rows: generated });
  });
  afterAll(() => ckan.stop());

  const expected = (index: number) => ({ _id: index + 1, ...generated.row(index) });

  it('pages like ckanpackager: page size 2, offset 4, limit 10 → offsets 4, 6, 8, 10, 12', async () => {
    ckan.requests.length = 0;
    const fetched = await ckanpackagerFetch(
      ckan.apiUrl,
      { resource_id: 'generated', offset: 4, limit: 10 },
      { pageSize: 2 },
    );
    expect(fetched.backend).toBeNull();
    expect(fetched.records).toEqual(Array.from({ length: 10 }, (_, i) => expected(4 + i)));
    const bodies = ckan.requests.map((request) => request.body as Record<string, unknown>);
    expect(bodies.map((body) => [body['offset'], body['limit']])).toEqual([
      [0, 0],
      [4, 2],
      [6, 2],
      [8, 2],
      [10, 2],
      [12, 2],
    ]);
    expect(bodies.at(-1)).toEqual({ resource_id: 'generated', offset: 12, limit: 2 });
    expect(ckan.requests.every((request) => request.status === 200)).toBe(true);
  });

  it('answers each page with exactly the rows at offset..offset+limit', async () => {
    const answer = await post(ckan, { resource_id: 'generated', offset: 12, limit: 2 });
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(true);
    expect(answer.body.result.records).toEqual([expected(12), expected(13)]);
    expect(answer.body.result.offset).toBe(12);
    expect(answer.body.result.limit).toBe(2);
    expect(answer.body.result.total).toBe(500);
    expect(answer.body.result.total_was_estimated).toBe(false);
  });

  it('reads a whole resource page by page, every row once and in _id order', async () => {
    const all = [];
    for (let offset = 0; ; offset += 37) {
      const page = records(await post(ckan, { resource_id: 'generated', offset, limit: 37 }));
      if (page.length === 0) break;
      all.push(...page);
    }
    expect(all).toEqual(Array.from({ length: 500 }, (_, i) => expected(i)));
  });

  it('pages filtered and sorted results the same as one big page (continuing and jumping)', async () => {
    const query = {
      resource_id: 'generated',
      filters: { category: ['Aves', 'Fungi', 'Plantae'] },
      sort: 'flag desc, count asc',
    };
    const whole = records(await post(ckan, { ...query, limit: 1000 }));
    expect(whole.length).toBeGreaterThan(60);
    const paged = [];
    for (let offset = 0; offset < whole.length + 10; offset += 10)
      paged.push(...records(await post(ckan, { ...query, offset, limit: 10 })));
    expect(paged).toEqual(whole);
    // A jump to an offset no page ended at.
    expect(records(await post(ckan, { ...query, offset: 33, limit: 5 }))).toEqual(
      whole.slice(33, 38),
    );
  });

  it('answers an offset beyond the end with no records', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', offset: 50, limit: 5 });
    expect(answer.body.result.records).toEqual([]);
    expect(answer.body.result.total).toBe(12);
  });

  it('limit defaults to 100; limit 0 gives fields and total only', async () => {
    expect(records(await post(ckan, { resource_id: 'generated' }))).toHaveLength(100);
    const fieldsOnly = await post(ckan, { resource_id: 'specimens', offset: 0, limit: 0 });
    expect(fieldsOnly.body.result.records).toEqual([]);
    expect(fieldsOnly.body.result.total).toBe(12);
    expect(fieldsOnly.body.result.fields).toEqual([
      { id: '_id', type: 'int' },
      { id: 'name', type: 'text' },
      { id: 'count', type: 'int4' },
      { id: 'weight', type: 'numeric' },
      { id: 'collected', type: 'timestamp' },
      { id: 'details', type: 'json' },
      { id: 'family', type: 'text' },
      { id: 'verified', type: 'bool' },
      { id: 'notes', type: 'text' },
    ]);
  });

  it('include_total false leaves total out', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', include_total: false, limit: 1 });
    expect(answer.body.result.include_total).toBe(false);
    expect(answer.body.result).not.toHaveProperty('total');
    expect(answer.body.result).not.toHaveProperty('total_was_estimated');
    const viaGet = await get(ckan, { resource_id: 'specimens', include_total: 'False', limit: 1 });
    expect(viaGet.body.result).not.toHaveProperty('total');
  });

  it('answers with CKAN`s result keys and _links', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', limit: 3, offset: 6 });
    expect(Object.keys(answer.body)).toEqual(['help', 'success', 'result']);
    expect(answer.body.help).toBe(`${ckan.url}/api/3/action/help_show?name=datastore_search`);
    expect(answer.headers.get('content-type')).toBe('application/json;charset=utf-8');
    expect(Object.keys(answer.body.result)).toEqual([
      'filters',
      'include_total',
      'limit',
      'offset',
      'records_format',
      'resource_id',
      'total_estimation_threshold',
      'records',
      'fields',
      '_links',
      'total',
      'total_was_estimated',
    ]);
    expect(answer.body.result.records).toEqual(ALL_SPECIMENS.slice(6, 9));
    // A POST body is not in the URL, so the links carry only the offset.
    expect(answer.body.result._links).toEqual({
      start: '/api/3/action/datastore_search',
      next: '/api/3/action/datastore_search?offset=9',
      prev: '/api/3/action/datastore_search?offset=3',
    });
    const viaGet = await get(
      ckan,
      { resource_id: 'specimens', limit: 3, offset: 3, q: 'a b' },
      { path: '/api/action/datastore_search' },
    );
    expect(viaGet.body.result._links).toEqual({
      start: '/api/action/datastore_search?resource_id=specimens&limit=3&q=a+b',
      next: '/api/action/datastore_search?resource_id=specimens&limit=3&offset=6&q=a+b',
    });
  });

  it('serves pages to concurrent clients', async () => {
    const offsets = Array.from({ length: 12 }, (_, i) => i * 40);
    const pages = await Promise.all(
      offsets.map((offset) => post(ckan, { resource_id: 'generated', offset, limit: 40 })),
    );
    pages.forEach((page, i) =>
      expect(records(page)).toEqual(
        Array.from({ length: Math.min(40, 500 - offsets[i]!) }, (_, j) =>
          expected(offsets[i]! + j),
        ),
      ),
    );
  });
});

describe('rows_max', () => {
  it('cuts limits above rows_max and says so in result.limit', async () => {
    const ckan = await startFakeCkan({ rowsMax: 5, rowsDefault: 3 });
    try {
      await ckan.addResource({ id: 'specimens', fields: SPECIMEN_FIELDS, rows: SPECIMEN_ROWS });
      const capped = await post(ckan, { resource_id: 'specimens', limit: 1000, offset: 2 });
      expect(capped.body.result.limit).toBe(5);
      expect(capped.body.result.records).toEqual(ALL_SPECIMENS.slice(2, 7));
      expect(capped.body.result._links.next).toBe('/api/3/action/datastore_search?offset=7');
      const byDefault = await post(ckan, { resource_id: 'specimens' });
      expect(byDefault.body.result.limit).toBe(3);
      expect(byDefault.body.result.records).toHaveLength(3);
    } finally {
      await ckan.stop();
    }
  });
});
