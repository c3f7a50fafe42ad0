import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCkan, type FakeCkan } from '../src/index.js';
import { post, records } from './helpers/client.js';
import { ALL_SPECIMENS, SPECIMEN_FIELDS, SPECIMEN_ROWS } from './helpers/fixtures.js';

let ckan: FakeCkan;
beforeAll(async () => {
  ckan = await startFakeCkan();
  await ckan.addResource({ id: 'specimens', fields: SPECIMEN_FIELDS, rows: SPECIMEN_ROWS });
});
afterAll(() => ckan.stop());

describe('records_format', () => {
  it('objects (the default) embeds JSON values as JSON', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', limit: 1 });
    expect(answer.body.result.records_format).toBe('objects');
    expect(answer.text).toContain(
      '"records":[{"_id":1,"name":"Passer domesticus","count":3,"weight":24.5,' +
        '"collected":"2019-05-01T10:00:00","details":{"colour":"brown","legs":2},' +
        '"family":"Passeridae","verified":true,"notes":""}]',
    );
  });

  it('lists gives one array per record, in field order', async () => {
    const answer = await post(ckan, {
      resource_id: 'specimens',
      records_format: 'lists',
      limit: 2,
      offset: 3,
    });
    expect(answer.body.result.records).toEqual([
      [
        4,
        'Parus major',
        null,
        18,
        '2017-07-07T00:00:00',
        { note: 'Zürich, "park"\nline two' },
        'Paridae',
        null,
        'quote " here',
      ],
      [
        5,
        'Cyanistes caeruleus',
        5,
        null,
        null,
        { a: [1, 2, { b: null }] },
        'Paridae',
        true,
        'tab\there',
      ],
    ]);
    const picked = await post(ckan, {
      resource_id: 'specimens',
      records_format: 'lists',
      fields: 'family,_id',
      limit: 1,
    });
    expect(picked.body.result.records).toEqual([['Passeridae', 1]]);
  });

  it('csv is one string, written as PostgreSQL COPY … csv writes it (no header)', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', records_format: 'csv', limit: 4 });
    expect(answer.body.result.records).toBe(
      [
        '1,Passer domesticus,3,24.5,2019-05-01T10:00:00,"{""colour"": ""brown"", ""legs"": 2}",Passeridae,t,""',
        '2,"Turdus merula, ""blackbird""",1,100.25,2018-03-12T08:30:00,"[""black"", ""song""]",Turdidae,f,',
        '3,Erithacus rubecula,2,18,2020-12-24T00:00:00,null,Muscicapidae,t,"comma, here"',
        '4,Parus major,,18,2017-07-07T00:00:00,"{""note"": ""Z\\u00fcrich, \\""park\\""\\nline two""}",Paridae,,"quote "" here"',
        '',
      ].join('\n'),
    );
  });

  it('csv quotes line breaks and keeps unicode', async () => {
    const answer = await post(ckan, {
      resource_id: 'specimens',
      records_format: 'csv',
      fields: ['_id', 'notes'],
      filters: { _id: [6, 7, 8, 9, 11] },
    });
    expect(answer.body.result.records).toBe(
      '6,"new\nline"\n7,"crlf\r\nline"\n8,back\\slash\n9,unicode: Zürich 東京 🦉\n11,\n',
    );
  });

  it('tsv uses tabs, and quotes cells that hold one', async () => {
    const answer = await post(ckan, {
      resource_id: 'specimens',
      records_format: 'tsv',
      offset: 4,
      limit: 1,
    });
    expect(answer.body.result.records).toBe(
      '5\tCyanistes caeruleus\t5\t\t\t"{""a"": [1, 2, {""b"": null}]}"\tParidae\tt\t"tab\there"\n',
    );
  });

  it('an empty csv page is an empty string', async () => {
    const answer = await post(ckan, {
      resource_id: 'specimens',
      records_format: 'csv',
      offset: 99,
    });
    expect(answer.body.result.records).toBe('');
  });

  it('refuses other formats', async () => {
    const answer = await post(ckan, { resource_id: 'specimens', records_format: 'xml' });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toEqual({
      records_format: ["Value must be one of ['objects', 'lists', 'csv', 'tsv']"],
      __type: 'Validation Error',
    });
  });
});

describe('values', () => {
  it('round-trips JSON columns (objects, arrays, strings, numbers, booleans, null)', async () => {
    const rows = records(await post(ckan, { resource_id: 'specimens', fields: 'details' }));
    expect(rows.map((row) => row['details'])).toEqual(SPECIMEN_ROWS.map((row) => row['details']));
    expect(records(await post(ckan, { resource_id: 'specimens' }))).toEqual(ALL_SPECIMENS);
  });

  it('reports PostgreSQL type names and converts values as PostgreSQL would', async () => {
    await ckan.addResource({
      id: 'types',
      fields: [
        { id: 'a', type: 'integer' },
        { id: 'b', type: 'bigint' },
        { id: 'c', type: 'float' },
        { id: 'd', type: 'double precision' },
        { id: 'e', type: 'boolean' },
        { id: 'f', type: 'text[]' },
        { id: 'g', type: '_int4' },
        { id: 'h', type: 'date' },
        { id: 'i', type: 'timestamp', info: { label: 'When', notes: 'local time' } },
      ],
      rows: [
        {
          a: '7',
          b: 2 ** 40,
          c: '0.1',
          d: 1e-7,
          e: 'yes',
          f: ['x', 'y,z'],
          g: [1, 2],
          h: '2020-02-29',
          i: new Date(Date.UTC(2001, 2, 3, 4, 5, 6)),
        },
        { a: null, e: 'f', f: [], g: null, i: '2001-03-03T04:05:06.123456+02:00' },
      ],
    });
    const answer = await post(ckan, { resource_id: 'types' });
    expect(answer.body.result.fields).toEqual([
      { id: '_id', type: 'int' },
      { id: 'a', type: 'int4' },
      { id: 'b', type: 'int8' },
      { id: 'c', type: 'float8' },
      { id: 'd', type: 'float8' },
      { id: 'e', type: 'bool' },
      { id: 'f', type: '_text' },
      { id: 'g', type: '_int4' },
      { id: 'h', type: 'date' },
      { id: 'i', type: 'timestamp', info: { label: 'When', notes: 'local time' } },
    ]);
    expect(answer.body.result.records).toEqual([
      {
        _id: 1,
        a: 7,
        b: 2 ** 40,
        c: 0.1,
        d: 1e-7,
        e: true,
        f: ['x', 'y,z'],
        g: [1, 2],
        h: '2020-02-29',
        i: '2001-03-03T04:05:06',
      },
      {
        _id: 2,
        a: null,
        b: null,
        c: null,
        d: null,
        e: false,
        f: [],
        g: null,
        h: null,
        i: '2001-03-03T04:05:06',
      },
    ]);
    const csv = await post(ckan, { resource_id: 'types', records_format: 'csv' });
    expect(csv.body.result.records).toBe(
      '1,7,1099511627776,0.1,1e-7,t,"[""x"",""y,z""]","[1,2]",2020-02-29,2001-03-03T04:05:06\n' +
        '2,,,,,f,[],null,,2001-03-03T04:05:06\n',
    );
  });
});
