import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRows, startFakeCkan, type FakeCkan } from '../src/index.js';
import { post } from './helpers/client.js';

describe('generateRows', () => {
  it('is deterministic, and row(i) is the i-th row iterated', () => {
    const a = generateRows(1000, 20, 42);
    const b = generateRows(1000, 20, 42);
    const iterated = [...a];
    expect(iterated).toEqual([...b]);
    expect(iterated[737]).toEqual(a.row(737));
    expect([...generateRows(1000, 20, 43)]).not.toEqual(iterated);
    expect(a.fields).toHaveLength(20);
    expect(a.fields.slice(0, 9)).toEqual([
      { id: 'name', type: 'text' },
      { id: 'count', type: 'int' },
      { id: 'value', type: 'numeric' },
      { id: 'observed', type: 'timestamp' },
      { id: 'properties', type: 'json' },
      { id: 'category', type: 'text' },
      { id: 'flag', type: 'bool' },
      { id: 'text_07', type: 'text' },
      { id: 'int_08', type: 'int' },
    ]);
  });

  it('holds the values CSV writers and parsers get wrong', () => {
    const names = [...generateRows(2000, 7, 1)].map((row) => row['name'] as string);
    for (const awkward of [',', '"', '\n', '\r\n', '\t', '\\', 'ü', '東京', '🦉'])
      expect(names.some((name) => name.includes(awkward))).toBe(true);
    const values = [...generateRows(2000, 20, 1)].flatMap((row) => Object.values(row));
    expect(values.filter((value) => value === null).length / values.length).toBeGreaterThan(0.02);
    expect(values.some((value) => typeof value === 'object' && value !== null)).toBe(true);
  });
});

describe('200,000 rows of 20 columns', () => {
  const COUNT = 200_000;
  const rows = generateRows(COUNT, 20, 2024);
  let ckan: FakeCkan;

  beforeAll(async () => {
    ckan = await startFakeCkan();
    const summary = await ckan.addResource({ id: 'big', fields: rows.fields, rows });
    expect(summary.total).toBe(COUNT);
  }, 120_000);
  afterAll(() => ckan.stop());

  // How fast rows load and read back is measured by the bench script (npm run bench), not here:
  // a rate asserted in the unit suite fails on a busy machine for no fault of the code.
  it('gives every row back, unchanged, through 5000-row pages', async () => {
    let index = 0;
    for (let offset = 0; ; offset += 5000) {
      const answer = await post(ckan, { resource_id: 'big', offset, limit: 5000 });
      const page = answer.body.result.records as Record<string, unknown>[];
      if (page.length === 0) break;
      for (const record of page) {
        // Same keys in the same order, so the JSON texts must match exactly.
        const expected = JSON.stringify({ _id: index + 1, ...rows.row(index) });
        if (JSON.stringify(record) !== expected) expect(record).toEqual(JSON.parse(expected));
        index++;
      }
    }
    expect(index).toBe(COUNT);
  });

  it('streams a large page in many chunks instead of one string', async () => {
    const chunks = await new Promise<number>((resolve, reject) => {
      const req = request(ckan.apiUrl, { method: 'POST' }, (res) => {
        expect(res.headers['transfer-encoding']).toBe('chunked');
        expect(res.headers['content-length']).toBeUndefined();
        let count = 0;
        res.on('data', () => count++);
        res.on('end', () => resolve(count));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ resource_id: 'big', offset: 100_000, limit: 5000 }));
    });
    expect(chunks).toBeGreaterThan(10);
  });

  it('keeps server memory flat while serving 5000-row pages', async () => {
    const heap = () => process.memoryUsage().heapUsed;
    // Warm up (prepared statements, caches), then serve 40 pages (about 60 MB of JSON).
    await post(ckan, { resource_id: 'big', offset: 0, limit: 5000 });
    const before = heap();
    let largest = 0;
    for (let i = 0; i < 40; i++) {
      const response = await fetch(ckan.apiUrl, {
        method: 'POST',
        body: JSON.stringify({ resource_id: 'big', offset: (i % 40) * 5000, limit: 5000 }),
      });
      // Read without keeping: the client's own memory is not what is measured.
      const reader = response.body!.getReader();
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
      }
      largest = Math.max(largest, heap() - before);
    }
    expect(largest).toBeLessThan(64 * 1024 * 1024);
  });
});
