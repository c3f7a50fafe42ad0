import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@geoworks/errors';
import {
  cell,
  UnknownTableFormatError,
  UnwritableValueError,
  writeTableEntry,
  type Field,
} from '../../src/writers/index.js';
import { buildZip, generate, parseDelimited, readZip, zipEntryText } from './helpers.js';

const fields: Field[] = [
  { id: '_id', type: 'int' },
  { id: 'name', type: 'text' },
  { id: 'note', type: 'text' },
  { id: 'count', type: 'numeric' },
  { id: 'flag', type: 'bool' },
  { id: 'tags', type: 'json' },
  { id: 'meta', type: 'json' },
];

const records = [
  { _id: 1, name: 'Ann', note: 'plain', count: 3, flag: true, tags: ['a', 'b'], meta: { k: 1 } },
  {
    _id: 2,
    name: 'Smith, John',
    note: 'He said "hi"',
    count: 2.5,
    flag: false,
    tags: [],
    meta: null,
  },
  {
    _id: 3,
    name: 'Multi\nline',
    note: 'tab\there',
    count: null,
    flag: null,
    tags: null,
    meta: { nested: { x: [1, 2] } },
  },
  { _id: 4, name: 'Zoë 🦊', note: '', count: -0.001, flag: true, tags: null },
];

describe('writeTableEntry, CSV and TSV', () => {
  it('writes the exact bytes of a small CSV', async () => {
    const { zip, result } = await buildZip((archive) =>
      writeTableEntry(
        archive,
        'csv',
        fields,
        generate(records.length, (i) => records[i]!),
      ),
    );
    const expected =
      '_id,name,note,count,flag,tags,meta\n' +
      '1,Ann,plain,3,true,"[""a"",""b""]","{""k"":1}"\n' +
      '2,"Smith, John","He said ""hi""",2.5,false,[],\n' +
      '3,"Multi\nline",tab\there,,,,"{""nested"":{""x"":[1,2]}}"\n' +
      '4,Zoë 🦊,,-0.001,true,,\n';
    const entries = await readZip(zip);
    expect([...entries.keys()]).toEqual(['resource.csv']);
    expect(entries.get('resource.csv')).toEqual(Buffer.from(expected, 'utf8'));
    expect(result).toEqual({ rows: 4, bytes: Buffer.byteLength(expected) });
  });

  it('writes the exact bytes of a small TSV (tabs, quotes and line breaks quoted)', async () => {
    const { zip } = await buildZip((archive) =>
      writeTableEntry(
        archive,
        'tsv',
        fields,
        generate(records.length, (i) => records[i]!),
      ),
    );
    const expected =
      '_id\tname\tnote\tcount\tflag\ttags\tmeta\n' +
      '1\tAnn\tplain\t3\ttrue\t"[""a"",""b""]"\t"{""k"":1}"\n' +
      '2\tSmith, John\t"He said ""hi"""\t2.5\tfalse\t[]\t\n' +
      '3\t"Multi\nline"\t"tab\there"\t\t\t\t"{""nested"":{""x"":[1,2]}}"\n' +
      '4\tZoë 🦊\t\t-0.001\ttrue\t\t\n';
    expect(await zipEntryText(zip, 'resource.tsv')).toBe(expected);
  });

  it('has no BOM and only LF line ends outside values', async () => {
    const { zip } = await buildZip((archive) =>
      writeTableEntry(
        archive,
        'csv',
        [{ id: 'a' }],
        generate(3, (i) => ({ a: i })),
      ),
    );
    const bytes = (await readZip(zip)).get('resource.csv')!;
    expect(bytes.subarray(0, 3)).not.toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(bytes.toString()).toBe('a\n0\n1\n2\n');
  });

  it('quotes a lone empty value so that its line is not blank', async () => {
    const { zip } = await buildZip((archive) =>
      writeTableEntry(
        archive,
        'csv',
        [{ id: 'a' }],
        generate(3, (i) => ({ a: [1, null, ''][i] })),
      ),
    );
    expect(await zipEntryText(zip, 'resource.csv')).toBe('a\n1\n""\n""\n');
  });

  const tricky: unknown[] = [
    'plain',
    'comma, inside',
    'quote " inside',
    '"starts with a quote',
    'line\nbreak',
    'CR\rand CRLF\r\n',
    'tab\tinside',
    '  leading and trailing  ',
    'unicode: Ünïcödé ñ 中文 العربية',
    'emoji 🦊🐢👩🏽‍🔬',
    '',
    null,
    undefined,
    0,
    -12.75,
    1e21,
    true,
    false,
    { nested: { list: [1, 'two', null], quote: '"' } },
    ['a', 'b,c', { d: 'e\nf' }],
    '=1+2',
    'back\\slash',
  ];

  for (const format of ['csv', 'tsv'] as const) {
    it(`round-trips 120 columns of awkward values row by row (${format})`, async () => {
      const wide: Field[] = Array.from({ length: 120 }, (_, i) => ({ id: `col ${i}, "${i}"` }));
      const make = (row: number) =>
        Object.fromEntries(
          wide.map((field, col) => [field.id, tricky[(row * 7 + col * 3) % tricky.length]]),
        );
      const { zip, result } = await buildZip((archive) =>
        writeTableEntry(archive, format, wide, generate(300, make)),
      );
      expect(result.rows).toBe(300);
      const rows = parseDelimited(
        await zipEntryText(zip, `resource.${format}`),
        format === 'csv' ? ',' : '\t',
      );
      expect(rows).toHaveLength(301);
      expect(rows[0]).toEqual(wide.map((field) => field.id));
      for (let row = 0; row < 300; row++) {
        const record = make(row);
        expect(rows[row + 1]).toEqual(wide.map((field) => cell(record[field.id])));
      }
    });
  }

  it('writes only the header when there are no records, under the name asked for', async () => {
    const { zip, result } = await buildZip((archive) =>
      writeTableEntry(
        archive,
        'csv',
        fields,
        generate(0, () => ({})),
        { name: 'data.csv' },
      ),
    );
    expect(result).toEqual({ rows: 0, bytes: 35 });
    expect(await zipEntryText(zip, 'data.csv')).toBe('_id,name,note,count,flag,tags,meta\n');
  });

  it('can put two entries in one zip, one after the other', async () => {
    const { zip } = await buildZip(async (archive) => {
      await writeTableEntry(
        archive,
        'csv',
        [{ id: 'a' }],
        generate(2, (i) => ({ a: i })),
      );
      await writeTableEntry(
        archive,
        'tsv',
        [{ id: 'b' }],
        generate(2, (i) => ({ b: -i })),
      );
    });
    const entries = await readZip(zip);
    expect(entries.get('resource.csv')?.toString()).toBe('a\n0\n1\n');
    expect(entries.get('resource.tsv')?.toString()).toBe('b\n0\n-1\n');
  });

  it('rejects an unknown format and records that are not objects', async () => {
    await expect(
      buildZip((archive) =>
        writeTableEntry(
          archive,
          'json' as 'csv',
          fields,
          generate(0, () => ({})),
        ),
      ),
    ).rejects.toBeInstanceOf(UnknownTableFormatError);
    const bad = buildZip((archive) =>
      writeTableEntry(
        archive,
        'csv',
        fields,
        generate(2, (i) => (i === 0 ? {} : 'x') as unknown as Record<string, unknown>),
      ),
    );
    await expect(bad).rejects.toBeInstanceOf(InvalidInputError);
    await expect(bad).rejects.toMatchObject({
      code: 'BAD_RECORD',
      message: 'Record 2 is not an object',
    });
  });

  it('names the field of a value that cannot be written', async () => {
    const failing = buildZip((archive) =>
      writeTableEntry(
        archive,
        'csv',
        fields,
        generate(1, () => ({ _id: 1, meta: { big: 1n } })),
      ),
    );
    await expect(failing).rejects.toBeInstanceOf(UnwritableValueError);
    await expect(failing).rejects.toMatchObject({ details: { field: 'meta' } });
  });

  it('fails with the error of the record source, and the zip fails too', async () => {
    async function* broken() {
      yield { _id: 1 };
      throw new Error('CKAN said 500');
    }
    let archiveError: Error | undefined;
    await expect(
      buildZip(async (archive) => {
        archive.on('error', (error) => (archiveError = error));
        return writeTableEntry(archive, 'csv', fields, broken());
      }),
    ).rejects.toThrow('CKAN said 500');
    expect(archiveError?.message).toBe('CKAN said 500');
  });
});
