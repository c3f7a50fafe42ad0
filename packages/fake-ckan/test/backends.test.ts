import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRows, startFakeCkan, type FakeCkan, type GeneratedRows } from '../src/index.js';
import { ckanpackagerFetch, post, records } from './helpers/client.js';
import { SPECIMEN_FIELDS, SPECIMEN_ROWS } from './helpers/fixtures.js';

let ckan: FakeCkan;
let generated: GeneratedRows;
const ROWS = 403;

beforeAll(async () => {
  ckan = await startFakeCkan();
  generated = generateRows(ROWS, 9, 5);
  for (const backend of ['default', 'solr', 'versioned-datastore'] as const) {
    await ckan.addResource({ id: backend, backend, fields: generated.fields, rows: generated });
    await ckan.addResource({
      id: `${backend}-specimens`,
      backend,
      fields: SPECIMEN_FIELDS,
      rows: SPECIMEN_ROWS,
    });
  }
});
afterAll(() => ckan.stop());

const all = () => Array.from({ length: ROWS }, (_, i) => ({ _id: i + 1, ...generated.row(i) }));

/** Follows a backend's own paging to the end; returns every record and the calls made. */
async function follow(
  backend: 'solr' | 'versioned-datastore',
  params: Record<string, unknown>,
): Promise<{ rows: Record<string, unknown>[]; pages: number }> {
  const rows: Record<string, unknown>[] = [];
  const request: Record<string, unknown> = { resource_id: backend, ...params };
  if (backend === 'solr') request['cursor'] = '*';
  for (let pages = 1; ; pages++) {
    const answer = await post(ckan, request);
    const result = answer.body.result;
    expect(result._backend).toBe(backend);
    if (result.records.length === 0) {
      if (backend === 'solr') expect(result.next_cursor).toBe(request['cursor']);
      else expect(result.after).toBeNull();
      return { rows, pages };
    }
    rows.push(...result.records);
    if (backend === 'solr') {
      expect(typeof result.next_cursor).toBe('string');
      request['cursor'] = result.next_cursor;
    } else {
      expect(Array.isArray(result.after)).toBe(true);
      request['after'] = result.after;
    }
  }
}

describe.each(['solr', 'versioned-datastore'] as const)('%s backend', (backend) => {
  it('names itself in result._backend, even for the first limit-0 call', async () => {
    const answer = await post(ckan, { resource_id: backend, offset: 0, limit: 0 });
    expect(answer.body.result._backend).toBe(backend);
    expect(answer.body.result.fields.map((f: { id: string }) => f.id)).toEqual([
      '_id',
      ...generated.fields.map((f) => f.id),
    ]);
  });

  it('pages through every row exactly once, ending with an empty page', async () => {
    const { rows, pages } = await follow(backend, { limit: 50 });
    expect(rows).toEqual(all());
    expect(pages).toBe(Math.ceil(ROWS / 50) + 1);
  });

  it('pages a sorted and filtered search (sort keys with nulls and ties) exactly once', async () => {
    const query = {
      filters: { category: ['Aves', 'Mammalia', 'Fungi', 'Insecta'] },
      sort: 'flag desc, count',
    };
    const whole = records(await post(ckan, { resource_id: 'default', ...query, limit: 1000 }));
    expect(whole.length).toBeGreaterThan(100);
    const { rows } = await follow(backend, { ...query, limit: 7 });
    expect(rows).toEqual(whole);
  });

  it('pages sorted by a column with nulls and repeated values', async () => {
    const whole = records(
      await post(ckan, { resource_id: 'default-specimens', sort: 'weight desc nulls last' }),
    );
    const request: Record<string, unknown> = {
      resource_id: `${backend}-specimens`,
      sort: 'weight desc nulls last',
      limit: 1,
    };
    if (backend === 'solr') request['cursor'] = '*';
    const rows = [];
    for (;;) {
      const result = (await post(ckan, request)).body.result;
      if (result.records.length === 0) break;
      rows.push(...result.records);
      request[backend === 'solr' ? 'cursor' : 'after'] =
        backend === 'solr' ? result.next_cursor : result.after;
    }
    expect(rows.map((r) => r['_id'])).toEqual(whole.map((r) => r['_id']));
  });

  it('still pages by offset when no cursor is given (ckanpackager does, for a task offset)', async () => {
    const answer = await post(ckan, { resource_id: backend, offset: 100, limit: 3 });
    expect(answer.body.result.records).toEqual(all().slice(100, 103));
    const fetched = await ckanpackagerFetch(
      ckan.apiUrl,
      { resource_id: backend, offset: 4, limit: 10 },
      { pageSize: 2 },
    );
    expect(fetched.backend).toBeNull();
    expect(fetched.records).toEqual(all().slice(4, 14));
  });

  it('serves a ckanpackager client that pages with the backend', async () => {
    const before = ckan.requests.length;
    const fetched = await ckanpackagerFetch(
      ckan.apiUrl,
      { resource_id: backend },
      { pageSize: 100 },
    );
    expect(fetched.backend).toBe(backend);
    expect(fetched.records).toEqual(all());
    const bodies = ckan.requests.slice(before).map((r) => r.body as Record<string, unknown>);
    expect(bodies[1]).toEqual(
      backend === 'solr'
        ? { resource_id: backend, limit: 100, cursor: '*' }
        : { resource_id: backend, limit: 100 },
    );
    expect(bodies).toHaveLength(1 + Math.ceil(ROWS / 100) + 1);
  });
});

describe('solr backend', () => {
  it('ignores offset when a cursor is given', async () => {
    const answer = await post(ckan, { resource_id: 'solr', cursor: '*', offset: 200, limit: 2 });
    expect(answer.body.result.records).toEqual(all().slice(0, 2));
    expect(answer.body.result.cursor).toBe('*');
  });

  it('refuses a cursor it did not make', async () => {
    const answer = await post(ckan, { resource_id: 'solr', cursor: 'not-a-cursor' });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toEqual({
      cursor: ['invalid value "not-a-cursor"'],
      __type: 'Validation Error',
    });
  });
});

describe('versioned-datastore backend', () => {
  it('answers after with the last _id (the sort values first when sorted)', async () => {
    const plain = await post(ckan, { resource_id: 'versioned-datastore', limit: 3 });
    expect(plain.body.result.after).toEqual([3]);
    const sorted = await post(ckan, {
      resource_id: 'versioned-datastore-specimens',
      sort: 'family',
      limit: 2,
    });
    expect(sorted.body.result.after).toEqual(['Corvidae', 8]);
    const next = await post(ckan, {
      resource_id: 'versioned-datastore-specimens',
      sort: 'family',
      limit: 2,
      after: ['Corvidae', 8],
    });
    expect(next.body.result.records.map((r: { _id: number }) => r._id)).toEqual([9, 10]);
  });

  it('takes after as JSON text in a query string', async () => {
    const response = await fetch(
      `${ckan.apiUrl}?resource_id=versioned-datastore&limit=2&after=${encodeURIComponent('[400]')}`,
    );
    const body = (await response.json()) as { result: { records: { _id: number }[] } };
    expect(body.result.records.map((r) => r._id)).toEqual([401, 402]);
  });

  it('refuses an after of the wrong shape', async () => {
    const answer = await post(ckan, { resource_id: 'versioned-datastore', after: [1, 2] });
    expect(answer.status).toBe(409);
    expect(answer.body.error.after).toEqual(['invalid value "[1, 2]"']);
  });
});

describe('default backend', () => {
  it('has no _backend and refuses cursor and after as unexpected input', async () => {
    const answer = await post(ckan, { resource_id: 'default', limit: 1 });
    expect(answer.body.result).not.toHaveProperty('_backend');
    const refused = await post(ckan, { resource_id: 'default', cursor: '*', after: [1] });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({
      __junk: ["The input field [('cursor',), ('after',)] was not expected."],
      __type: 'Validation Error',
    });
  });

  it('a server-wide backend applies to resources that do not choose one', async () => {
    const other = await startFakeCkan({ backend: 'solr' });
    try {
      await other.addResource({ id: 'r', fields: SPECIMEN_FIELDS, rows: SPECIMEN_ROWS });
      const answer = await post(other, { resource_id: 'r', cursor: '*', limit: 5 });
      expect(answer.body.result._backend).toBe('solr');
      expect(answer.body.result.records).toHaveLength(5);
    } finally {
      await other.stop();
    }
  });
});
