import { describe, expect, it } from 'vitest';
import { CkanError } from '../src/index.js';
import { RecordSplitter } from '../src/json-records.js';

function split(text: string, chunkSize: number) {
  const bytes = Buffer.from(text);
  const splitter = new RecordSplitter(1 << 20);
  const records: unknown[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize)
    records.push(...splitter.push(bytes.subarray(at, at + chunkSize)));
  return { records, ...splitter.end() };
}

const records = [
  { _id: 1, name: 'a "quoted" }{ ][ ,: \\\\ name', nested: { records: [1, 2], x: '\\"' } },
  { _id: 2, name: 'Łódź 東京 🦉', list: [{ a: 1 }, [2, [3]]], empty: {}, none: null },
  { _id: 3, name: 'ends with backslash \\\\', n: -1.5e3, t: true, f: false },
];
const document = JSON.stringify({
  help: 'http://ckan/api/3/action/help_show?name=datastore_search',
  success: true,
  result: {
    fields: [{ id: '_id', type: 'int4' }],
    records_format: 'objects',
    records,
    _links: { next: '/x' },
    total: 3,
    next_cursor: 'c"2',
  },
});

describe('RecordSplitter', () => {
  it('gives the same records and skeleton whatever the chunk boundaries', () => {
    const expected = JSON.parse(document) as { result: Record<string, unknown> };
    for (let size = 1; size <= 64; size++) {
      const result = split(document, size);
      expect(result.records, `chunk size ${size}`).toEqual(expected.result.records);
      expect(result.document, `chunk size ${size}`).toEqual({
        ...expected,
        result: { ...expected.result, records: [] },
      });
    }
  });

  it('reads lists-format records and empty pages', () => {
    const lists = JSON.stringify({
      success: true,
      result: {
        records: [
          [1, 'a,]'],
          [2, null],
        ],
        total: 2,
      },
    });
    expect(split(lists, 5).records).toEqual([
      [1, 'a,]'],
      [2, null],
    ]);
    const empty = split(JSON.stringify({ success: true, result: { records: [], total: 0 } }), 3);
    expect(empty.records).toEqual([]);
    expect(empty.document).toEqual({ success: true, result: { records: [], total: 0 } });
  });

  it('only takes result.records, not a records key elsewhere', () => {
    const text = JSON.stringify({
      help: { records: [{ no: 1 }] },
      success: true,
      result: { records: [{ yes: 1 }] },
    });
    expect(split(text, 7).records).toEqual([{ yes: 1 }]);
  });

  it('returns no document for an answer that is not JSON or is cut short', () => {
    expect(split('<html>Bad gateway</html>', 4).document).toBeUndefined();
    const cut = document.slice(0, document.indexOf('"_id":3'));
    const result = split(cut, 16);
    expect(result.records).toHaveLength(2);
    expect(result.document).toBeUndefined();
  });

  it('refuses scalar records and oversized skeletons', () => {
    const splitter = new RecordSplitter(1 << 20);
    expect(() => splitter.push(Buffer.from('{"success":true,"result":{"records":[1,2]}}'))).toThrow(
      CkanError,
    );
    const small = new RecordSplitter(100);
    expect(() =>
      small.push(
        Buffer.from(JSON.stringify({ success: false, error: { message: 'x'.repeat(200) } })),
      ),
    ).toThrow(/more than 100 bytes/);
  });
});
