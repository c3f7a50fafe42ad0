import { InvalidInputError } from '@geoworks/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadValueError,
  DuplicateResourceError,
  MAX_REPR_DEPTH,
  startFakeCkan,
  type FakeCkan,
  type Row,
} from '../src/index.js';
import { get, post, records } from './helpers/client.js';
import { ALL_SPECIMENS, SPECIMEN_FIELDS, SPECIMEN_ROWS } from './helpers/fixtures.js';

let ckan: FakeCkan;
let help: string;
beforeAll(async () => {
  ckan = await startFakeCkan();
  help = `${ckan.url}/api/3/action/help_show?name=datastore_search`;
  await ckan.addResource({ id: 'specimens', fields: SPECIMEN_FIELDS, rows: SPECIMEN_ROWS });
  await ckan.addResource({
    id: 'secret',
    fields: SPECIMEN_FIELDS,
    rows: SPECIMEN_ROWS,
    private: true,
    apiKey: 'k3y-0f-the-owner',
  });
});
afterAll(() => ckan.stop());

/** A 409 body from CKAN: per-field messages, then __type. */
const validation = (fields: Record<string, unknown>) => ({
  help,
  success: false,
  error: { ...fields, __type: 'Validation Error' },
});

describe('errors, shaped as CKAN`s', () => {
  it('404 for an unknown resource', async () => {
    const answer = await post(ckan, { resource_id: 'nope' });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({
      help,
      success: false,
      error: { __type: 'Not Found Error', message: 'Not found: Resource "nope" was not found.' },
    });
  });

  it.each([
    [{ filters: { nope: 1 } }, { filters: ['invalid value "nope"'] }],
    [{ sort: 'count, nope desc' }, { sort: ['invalid value "nope desc"'] }],
    [{ fields: 'name,nope' }, { fields: ['invalid value "nope"'] }],
    [{ q: { nope: 'x' } }, { q: ['invalid value "nope"'] }],
    [{ offset: -1 }, { offset: ['invalid value "-1"'] }],
    [{ filters: '{"family": ' }, { filters: ['Cannot parse JSON'] }],
    [{ limit: -5 }, { limit: ['Must be a natural number'] }],
    [{ limit: 'ten' }, { limit: ['Invalid integer'] }],
    [{ offset: 1.5 }, { offset: ['Invalid integer'] }],
    [{ fields: 5 }, { fields: ['Not a list'] }],
    [{ wat: 1 }, { __junk: ["The input field [('wat',)] was not expected."] }],
  ])('409 for %j', async (params, error) => {
    const answer = await post(ckan, { resource_id: 'specimens', ...params });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual(validation(error));
  });

  it('409 lists every schema error at once, resource_id included', async () => {
    const answer = await post(ckan, { limit: 'x', records_format: 'xls' });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual(
      validation({
        resource_id: ['Missing value'],
        limit: ['Invalid integer'],
        records_format: ["Value must be one of ['objects', 'lists', 'csv', 'tsv']"],
      }),
    );
  });

  it('409 Invalid query where PostgreSQL would refuse the SQL', async () => {
    const emptyList = await post(ckan, { resource_id: 'specimens', filters: { family: [] } });
    expect(emptyList.status).toBe(409);
    expect(emptyList.body).toEqual(
      validation({ query: ['Invalid query'], info: { orig: ['syntax error at or near ")"'] } }),
    );
    const textEqualsNumber = await post(ckan, { resource_id: 'specimens', filters: { name: 5 } });
    expect(textEqualsNumber.body.error.info.orig).toEqual([
      'operator does not exist: text = integer',
    ]);
    const badInteger = await post(ckan, { resource_id: 'specimens', filters: { count: 'many' } });
    expect(badInteger.body.error.info.orig).toEqual([
      'invalid input syntax for type integer: "many"',
    ]);
  });

  it('400 with a bare JSON string for a body that is not a JSON object', async () => {
    const broken = await fetch(ckan.apiUrl, { method: 'POST', body: '{"resource_id": ' });
    expect(broken.status).toBe(400);
    const message = (await broken.json()) as string;
    expect(message).toMatch(/^Bad request - JSON Error: Error decoding JSON data\. Error: /);
    const list = await fetch(ckan.apiUrl, { method: 'POST', body: '[1, "a"]' });
    expect(list.status).toBe(400);
    expect(await list.json()).toBe(
      "Bad request - JSON Error: Request data JSON decoded to [1, 'a'] but it needs to be a dictionary.",
    );
  });

  it('shows a value nested thousands of levels deep cut short, as reprlib does, not as a crash', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const shown = `${'['.repeat(MAX_REPR_DEPTH)}...${']'.repeat(MAX_REPR_DEPTH)}`;
    const fields = await fetch(ckan.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"resource_id": "specimens", "fields": ${deep}}`,
    });
    expect(fields.status).toBe(409);
    expect(await fields.json()).toEqual(validation({ fields: [`invalid value "${shown}"`] }));
    const list = await fetch(ckan.apiUrl, { method: 'POST', body: deep });
    expect(list.status).toBe(400);
    expect(await list.json()).toBe(
      `Bad request - JSON Error: Request data JSON decoded to ${shown} but it needs to be a dictionary.`,
    );
  });

  it('400 for an unknown action, 404 for other paths, 405 for other methods', async () => {
    const unknown = await fetch(`${ckan.url}/api/3/action/package_show?id=x`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toBe('Bad request - Action name not known: package_show');
    expect((await fetch(`${ckan.url}/dataset/x`)).status).toBe(404);
    expect((await fetch(ckan.apiUrl, { method: 'PUT', body: '{}' })).status).toBe(405);
  });
});

describe('private resources', () => {
  const denied = {
    __type: 'Authorization Error',
    message: 'Access denied: User  not authorized to read resource secret',
  };

  it('403 without a key, with a wrong key, or with a Bearer prefix', async () => {
    for (const key of [undefined, 'wrong', 'Bearer k3y-0f-the-owner']) {
      const answer = await post(ckan, { resource_id: 'secret' }, { key });
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({ help, success: false, error: denied });
    }
  });

  it('200 with the raw key in Authorization (or X-CKAN-API-Key), POST or GET', async () => {
    expect(
      records(await post(ckan, { resource_id: 'secret' }, { key: 'k3y-0f-the-owner' })),
    ).toEqual(ALL_SPECIMENS);
    expect(
      records(await get(ckan, { resource_id: 'secret', limit: 1 }, { key: 'k3y-0f-the-owner' })),
    ).toEqual(ALL_SPECIMENS.slice(0, 1));
    const legacy = await fetch(ckan.apiUrl, {
      method: 'POST',
      headers: { 'X-CKAN-API-Key': 'k3y-0f-the-owner' },
      body: JSON.stringify({ resource_id: 'secret', limit: 1 }),
    });
    expect(legacy.status).toBe(200);
  });

  it('logs the Authorization header each call carried', async () => {
    ckan.requests.length = 0;
    await post(ckan, { resource_id: 'secret', limit: 1 }, { key: 'k3y-0f-the-owner' });
    await post(ckan, { resource_id: 'secret', limit: 1 });
    expect(ckan.requests.map((r) => [r.method, r.path, r.headers.authorization, r.status])).toEqual(
      [
        ['POST', '/api/3/action/datastore_search', 'k3y-0f-the-owner', 200],
        ['POST', '/api/3/action/datastore_search', undefined, 403],
      ],
    );
    expect(ckan.requests[0]!.body).toEqual({ resource_id: 'secret', limit: 1 });
  });
});

describe('request encodings CKAN accepts', () => {
  it('a form body whose single field is the JSON (urlopen(url, quote(json.dumps(params))))', async () => {
    const body = encodeURIComponent(
      JSON.stringify({ resource_id: 'specimens', limit: 2, offset: 1 }),
    );
    const response = await fetch(ckan.apiUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    const answer = (await response.json()) as { result: { records: unknown[] } };
    expect(answer.result.records).toEqual(ALL_SPECIMENS.slice(1, 3));
  });

  it('form fields, with filters as JSON text', async () => {
    const response = await fetch(ckan.apiUrl, {
      method: 'POST',
      body: new URLSearchParams({ resource_id: 'specimens', filters: '{"family":["Paridae"]}' }),
    });
    const answer = (await response.json()) as { result: { records: { _id: number }[] } };
    expect(answer.result.records.map((r) => r._id)).toEqual([4, 5]);
  });

  it('a POST with its parameters in the query string (ckanpackager 0.3 did this)', async () => {
    const response = await fetch(`${ckan.apiUrl}?resource_id=specimens&limit=1&offset=11`, {
      method: 'POST',
    });
    const answer = (await response.json()) as { result: { records: unknown[] } };
    expect(answer.result.records).toEqual(ALL_SPECIMENS.slice(11));
  });

  it('GET with repeated keys as lists, and id for resource_id', async () => {
    const response = await fetch(
      `${ckan.url}/api/action/datastore_search?id=specimens&fields=notes&fields=_id&limit=1`,
    );
    const answer = (await response.json()) as {
      result: { records: unknown[]; resource_id: string };
    };
    expect(answer.result.records).toEqual([{ notes: '', _id: 1 }]);
    expect(answer.result.resource_id).toBe('specimens');
  });
});

describe('addResource', () => {
  it('refuses what datastore_create refuses', async () => {
    const fields = [{ id: 'n', type: 'int' }];
    await expect(ckan.addResource({ id: 'specimens', fields, rows: [] })).rejects.toThrow(
      DuplicateResourceError,
    );
    await expect(
      ckan.addResource({ id: 'x1', fields: [{ id: 'n', type: 'widget' }], rows: [] }),
    ).rejects.toThrow('"widget" is not a valid field type');
    await expect(
      ckan.addResource({ id: 'x2', fields: [{ id: '_n', type: 'int' }], rows: [] }),
    ).rejects.toThrow('"_n" is not a valid field name');
    await expect(
      ckan.addResource({ id: 'x3', fields, rows: [{ n: 1 }, { n: 2, m: 3 }] }),
    ).rejects.toThrow('row "2" has extra keys "m"');
    await expect(ckan.addResource({ id: 'x4', fields, rows: [], private: true })).rejects.toThrow(
      InvalidInputError,
    );
  });

  it('drops a resource whose rows fail, so its id can be used again', async () => {
    const fields = [{ id: 'n', type: 'int' }];
    await expect(
      ckan.addResource({ id: 'retry', fields, rows: [{ n: 1 }, { n: 'lots' }] }),
    ).rejects.toThrow(BadValueError);
    expect((await post(ckan, { resource_id: 'retry' })).status).toBe(404);
    const summary = await ckan.addResource({ id: 'retry', fields, rows: [{ n: '1' }, { n: 2 }] });
    expect(summary.total).toBe(2);
  });

  it('loads rows from an async iterable', async () => {
    async function* rows(): AsyncGenerator<Row> {
      for (let n = 1; n <= 120_000; n++) yield { n, even: n % 2 === 0 };
    }
    const summary = await ckan.addResource({
      id: 'async',
      fields: [
        { id: 'n', type: 'int' },
        { id: 'even', type: 'bool' },
      ],
      rows: rows(),
    });
    expect(summary.total).toBe(120_000);
    const last = await post(ckan, { resource_id: 'async', offset: 119_999 });
    expect(last.body.result.records).toEqual([{ _id: 120_000, n: 120_000, even: true }]);
  });
});
