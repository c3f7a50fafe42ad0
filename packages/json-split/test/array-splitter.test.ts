import { describe, expect, it } from 'vitest';
import { JsonArraySplitter, JsonSplitError } from '../src/index.js';

function split(text: string, chunkSize: number, path: readonly string[] = ['result', 'records']) {
  const bytes = Buffer.from(text);
  const splitter = new JsonArraySplitter({ path });
  const elements: unknown[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize)
    elements.push(...splitter.push(bytes.subarray(at, at + chunkSize)));
  return { elements, count: splitter.count, ...splitter.end() };
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

describe('JsonArraySplitter', () => {
  it('gives the same elements and skeleton whatever the chunk boundaries', () => {
    const expected = JSON.parse(document) as { result: Record<string, unknown> };
    for (let size = 1; size <= 64; size++) {
      const result = split(document, size);
      expect(result.elements, `chunk size ${size}`).toEqual(expected.result.records);
      expect(result.count).toBe(3);
      expect(result.document, `chunk size ${size}`).toEqual({
        ...expected,
        result: { ...expected.result, records: [] },
      });
    }
  });

  it('splits a top-level array member, after or before the other members, in any layout', () => {
    const features = [
      { type: 'Feature', properties: { id: 'a"]}' }, geometry: null },
      { type: 'Feature', properties: { id: 2 }, geometry: { type: 'Point', coordinates: [1, 2] } },
    ];
    const layouts = [
      JSON.stringify({ type: 'FeatureCollection', features }),
      JSON.stringify({ features, crs: { type: 'name' }, type: 'FeatureCollection' }, null, 2),
      `\r\n{ "type" :\t"FeatureCollection" , "features" : [\n${features.map((f) => JSON.stringify(f, null, '\t')).join(' ,\n')} ] }\n`,
    ];
    for (const text of layouts) {
      for (const size of [1, 7, 1 << 20]) {
        const result = split(text, size, ['features']);
        expect(result.elements).toEqual(features);
        expect(result.document?.['features']).toEqual([]);
        expect(result.document?.['type']).toBe('FeatureCollection');
      }
    }
  });

  it('reads arrays as elements, and empty arrays', () => {
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
    expect(split(lists, 5).elements).toEqual([
      [1, 'a,]'],
      [2, null],
    ]);
    const empty = split(JSON.stringify({ success: true, result: { records: [], total: 0 } }), 3);
    expect(empty.elements).toEqual([]);
    expect(empty.document).toEqual({ success: true, result: { records: [], total: 0 } });
  });

  it('only takes the array at the path, not the same name elsewhere', () => {
    const text = JSON.stringify({
      help: { records: [{ no: 1 }] },
      result: [{ records: [{ no: 2 }] }],
      success: true,
      records: [{ no: 3 }],
    });
    expect(split(text, 7).elements).toEqual([]);
    const right = JSON.stringify({
      help: { records: [{ no: 1 }] },
      result: { records: [{ yes: 1 }] },
    });
    expect(split(right, 7).elements).toEqual([{ yes: 1 }]);
    expect(split(`[${right}]`, 7).elements).toEqual([]);
  });

  it('returns no document for text that is not JSON, is cut short or is not an object', () => {
    expect(split('<html>Bad gateway</html>', 4).document).toBeUndefined();
    const cut = document.slice(0, document.indexOf('"_id":3'));
    const result = split(cut, 16);
    expect(result.elements).toHaveLength(2);
    expect(result.document).toBeUndefined();
    expect(split('[1, 2]', 2).document).toBeUndefined();
  });

  it('refuses scalar elements, broken elements and oversized skeletons, with their problem', () => {
    const scalar = new JsonArraySplitter({ path: ['result', 'records'] });
    expect(() => scalar.push(Buffer.from('{"result":{"records":[1,2]}}'))).toThrow(
      expect.objectContaining({ problem: 'scalar-element' }),
    );
    const broken = new JsonArraySplitter({ path: ['features'] });
    expect(() => broken.push(Buffer.from('{"features":[{"a": nope}]}'))).toThrow(
      expect.objectContaining({ problem: 'not-json', kind: 'invalid-input' }),
    );
    // Elements and commas must alternate, wherever the chunks are cut.
    for (const text of [
      '{"features":[{"a":1} {"b":2}]}',
      '{"features":[,{"a":1}]}',
      '{"features":[{"a":1},,{"b":2}]}',
      '{"features":[{"a":1},]}',
    ]) {
      for (const size of [1, 3, 1000]) {
        expect(() => split(text, size, ['features']), `${text} in chunks of ${size}`).toThrow(
          expect.objectContaining({ problem: 'not-json', cause: expect.any(SyntaxError) }),
        );
      }
    }
    const small = new JsonArraySplitter({ path: ['result', 'records'], maxSkeletonBytes: 100 });
    expect(() =>
      small.push(
        Buffer.from(JSON.stringify({ success: false, error: { message: 'x'.repeat(200) } })),
      ),
    ).toThrow(JsonSplitError);
    expect(() => new JsonArraySplitter({ path: [] })).toThrow('The path must name a member');
  });
});
