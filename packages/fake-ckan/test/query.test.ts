import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCkan, type FakeCkan } from '../src/index.js';
import { get, post, records } from './helpers/client.js';
import { ALL_SPECIMENS, SPECIMEN_FIELDS, SPECIMEN_ROWS, specimen } from './helpers/fixtures.js';

let ckan: FakeCkan;
beforeAll(async () => {
  ckan = await startFakeCkan();
  await ckan.addResource({ id: 'specimens', fields: SPECIMEN_FIELDS, rows: SPECIMEN_ROWS });
});
afterAll(() => ckan.stop());

const search = async (params: Record<string, unknown>) =>
  records(await post(ckan, { resource_id: 'specimens', ...params }));
const ids = (rows: Record<string, unknown>[]) => rows.map((row) => row['_id']);

describe('filters', () => {
  it('matches a single value', async () => {
    expect(await search({ filters: { family: 'Corvidae' } })).toEqual([
      specimen(7),
      specimen(8),
      specimen(9),
    ]);
  });

  it('matches any of a list, and ANDs fields', async () => {
    expect(ids(await search({ filters: { family: ['Paridae', 'Corvidae'] } }))).toEqual([
      4, 5, 8, 9, 10,
    ]);
    expect(
      ids(await search({ filters: { family: ['Paridae', 'Corvidae'], verified: true } })),
    ).toEqual([5, 9]);
  });

  it('casts strings as PostgreSQL does (the CKAN extension sends every value as a string)', async () => {
    expect(ids(await search({ filters: { count: ['1', '2'] } }))).toEqual([2, 3, 7, 8]);
    expect(ids(await search({ filters: { count: 3 } }))).toEqual([1, 9, 12]);
    expect(ids(await search({ filters: { verified: 'f' } }))).toEqual([2, 6, 8, 12]);
    expect(ids(await search({ filters: { weight: '24.5' } }))).toEqual([1, 12]);
    expect(ids(await search({ filters: { collected: '2019-05-01 10:00:00' } }))).toEqual([
      1, 10, 12,
    ]);
    expect(ids(await search({ filters: { _id: ['3', 4] } }))).toEqual([3, 4]);
  });

  it('never matches null (SQL = NULL)', async () => {
    expect(await search({ filters: { count: null } })).toEqual([]);
  });

  it('takes filters as JSON text, in a POST body or a query string', async () => {
    expect(ids(await search({ filters: '{"family": ["Paridae"]}' }))).toEqual([4, 5]);
    const viaGet = await get(ckan, { resource_id: 'specimens', filters: { family: 'Paridae' } });
    expect(ids(records(viaGet))).toEqual([4, 5]);
    expect(viaGet.body.result.filters).toEqual({ family: 'Paridae' });
  });

  it('counts only matching rows in total', async () => {
    const answer = await post(ckan, {
      resource_id: 'specimens',
      filters: { family: 'Corvidae' },
      limit: 1,
    });
    expect(answer.body.result.total).toBe(3);
    expect(answer.body.result.filters).toEqual({ family: 'Corvidae' });
  });
});

describe('q', () => {
  it('a string searches every field, case-insensitively, all words required', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', q: 'ZÜRICH' });
    expect(ids(answer.body.result.records)).toEqual([4, 9]);
    expect(answer.body.result.q).toBe('ZÜRICH');
    expect(answer.body.result.total).toBe(2);
    expect(ids(await search({ q: 'corvus corone' }))).toEqual([9]);
    expect(ids(await search({ q: 'corvus garrulus' }))).toEqual([]);
  });

  it('adds a float rank column and orders by it (best first)', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', q: 'pica' });
    // "Pica pica" holds the word twice: rank n / (n + 1) with n = 2.
    expect(answer.body.result.records).toEqual([{ ...specimen(7), rank: 2 / 3 }]);
    expect(answer.body.result.fields.at(-1)).toEqual({ id: 'rank', type: 'float' });
    const ranked = await search({ q: 'pica | corvidae', plain: false, fields: '_id,rank' });
    expect(ranked).toEqual([
      { _id: 8, rank: 3 / 4 },
      { _id: 9, rank: 1 / 2 },
      { _id: 10, rank: 1 / 2 },
    ]);
  });

  it('a dict searches the given fields, each with its own rank column', async () => {
    const answer = await post(ckan, {
      resource_id: 'specimens',
      q: { family: 'corvidae', name: 'corvus' },
    });
    expect(ids(answer.body.result.records)).toEqual([9]);
    expect(answer.body.result.fields.slice(-2)).toEqual([
      { id: 'rank family', type: 'float' },
      { id: 'rank name', type: 'float' },
    ]);
    expect(ids(await search({ q: '{"notes": "here"}' }))).toEqual([3, 4, 5]);
  });

  it('plain false takes tsquery operators', async () => {
    expect(ids(await search({ q: 'paridae | sturnidae', plain: false, sort: '_id' }))).toEqual([
      4, 5, 6,
    ]);
    expect(ids(await search({ q: 'corvidae & !pica', plain: false, sort: '_id' }))).toEqual([
      9, 10,
    ]);
    const malformed = await post(ckan, { resource_id: 'specimens', q: 'a b', plain: false });
    expect(malformed.status).toBe(409);
    expect(malformed.body.error.query).toEqual(['Invalid query']);
  });

  it('language is accepted and echoed', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', q: 'pica', language: 'english' });
    expect(answer.body.result.language).toBe('english');
  });
});

describe('fields', () => {
  it('returns the fields asked for, in that order', async () => {
    const answer = await post(ckan, {
      resource_id: 'specimens',
      fields: ['weight', 'name', '_id'],
      limit: 2,
    });
    expect(answer.body.result.records).toEqual([
      { weight: 24.5, name: 'Passer domesticus', _id: 1 },
      { weight: 100.25, name: 'Turdus merula, "blackbird"', _id: 2 },
    ]);
    expect(Object.keys(answer.body.result.records[0])).toEqual(['weight', 'name', '_id']);
    expect(answer.body.result.fields).toEqual([
      { id: 'weight', type: 'numeric' },
      { id: 'name', type: 'text' },
      { id: '_id', type: 'int' },
    ]);
  });

  it('takes a comma-separated string, with quoted names', async () => {
    const rows = await search({ fields: 'family, "count"', limit: 1 });
    expect(rows).toEqual([{ family: 'Passeridae', count: 3 }]);
    const viaGet = await get(ckan, { resource_id: 'specimens', fields: 'notes,_id', limit: 1 });
    expect(records(viaGet)).toEqual([{ notes: '', _id: 1 }]);
  });

  it('may ask for the rank of a text search', async () => {
    expect(await search({ q: 'pica', fields: 'rank,name', limit: 1 })).toEqual([
      { rank: 2 / 3, name: 'Pica pica' },
    ]);
  });
});

describe('sort', () => {
  it('orders by several fields, ascending and descending', async () => {
    expect(ids(await search({ sort: 'family, count desc' }))).toEqual([
      7, 10, 9, 8, 12, 3, 4, 5, 1, 6, 11, 2,
    ]);
    expect(ids(await search({ sort: ['verified desc', 'weight asc', '_id desc'] }))).toEqual([
      // Nulls sort first descending (PostgreSQL's default), so verified = null leads.
      4, 10, 11, 3, 1, 7, 9, 5, 12, 6, 2, 8,
    ]);
  });

  it('puts nulls last ascending and first descending, unless told otherwise', async () => {
    expect(ids(await search({ sort: 'count', fields: '_id' }))).toEqual([
      2, 8, 3, 7, 1, 9, 12, 5, 11, 6, 4, 10,
    ]);
    expect(ids(await search({ sort: 'count desc', fields: '_id' }))).toEqual([
      4, 10, 6, 11, 5, 1, 9, 12, 3, 7, 2, 8,
    ]);
    expect(ids(await search({ sort: 'count desc nulls last', fields: '_id' }))).toEqual([
      6, 11, 5, 1, 9, 12, 3, 7, 2, 8, 4, 10,
    ]);
    expect(ids(await search({ sort: 'count nulls first', fields: '_id' }))).toEqual([
      4, 10, 2, 8, 3, 7, 1, 9, 12, 5, 11, 6,
    ]);
  });

  it('sorts timestamps chronologically and takes quoted names', async () => {
    expect(ids(await search({ sort: '"collected" DESC', fields: '_id' }))).toEqual([
      5, 11, 8, 3, 6, 1, 10, 12, 2, 4, 7, 9,
    ]);
  });

  it('echoes sort as given', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', sort: 'count desc', limit: 1 });
    expect(answer.body.result.sort).toBe('count desc');
  });
});

describe('distinct', () => {
  it('returns distinct rows of the fields asked for', async () => {
    const answer = await post(ckan, {
      resource_id: 'specimens',
      fields: 'family',
      distinct: true,
      sort: 'family',
    });
    expect(answer.body.result.records.map((r: { family: string }) => r.family)).toEqual([
      'Columbidae',
      'Corvidae',
      'Fringillidae',
      'Muscicapidae',
      'Paridae',
      'Passeridae',
      'Sturnidae',
      'Troglodytidae',
      'Turdidae',
    ]);
    expect(answer.body.result.total).toBe(9);
  });
});

it('the whole table equals the fixture', async () => {
  expect(await search({})).toEqual(ALL_SPECIMENS);
});
