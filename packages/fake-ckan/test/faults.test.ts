import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateRows, startFakeCkan, type FakeCkan } from '../src/index.js';
import { ckanpackagerFetch, heldDelays, post } from './helpers/client.js';

let ckan: FakeCkan;
const rows = generateRows(300, 8, 3);
const delays = heldDelays();

beforeAll(async () => {
  ckan = await startFakeCkan({ wait: (ms, signal) => delays.wait(ms, signal) });
  await ckan.addResource({ id: 'rows', fields: rows.fields, rows });
});
afterAll(() => ckan.stop());
afterEach(() => {
  ckan.clearFaults();
  delays.releaseAll();
});

/** A raw HTTP exchange: what arrived before the connection ended, and how it ended. */
function rawPost(
  url: string,
  body: unknown,
): Promise<{ status: number; bytes: number; ended: 'complete' | 'cut' }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let bytes = 0;
        let done = false;
        const finish = (ended: 'complete' | 'cut') => {
          if (done) return;
          done = true;
          resolve({ status: res.statusCode ?? 0, bytes, ended });
        };
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => finish(res.complete ? 'complete' : 'cut'));
        res.on('aborted', () => finish('cut'));
        res.on('error', () => finish('cut'));
        res.on('close', () => finish(res.complete ? 'complete' : 'cut'));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('status faults', () => {
  it('fails the Nth datastore_search call with CKAN`s 500 answer (armed at start)', async () => {
    // A server of its own: calls are counted from its start, whatever other tests sent.
    const fresh = await startFakeCkan({ faults: [{ kind: 'status', status: 500, call: 3 }] });
    try {
      await fresh.addResource({ id: 'rows', fields: rows.fields, rows });
      expect((await post(fresh, { resource_id: 'rows', limit: 1 })).status).toBe(200);
      expect((await post(fresh, { resource_id: 'rows', limit: 1 })).status).toBe(200);
      const third = await post(fresh, { resource_id: 'rows', limit: 1 });
      expect(third.status).toBe(500);
      expect(third.body).toEqual({
        help: `${fresh.url}/api/3/action/help_show?name=datastore_search`,
        success: false,
        error: { __type: 'Internal Server Error', message: 'Internal Server Error' },
      });
      expect(fresh.requests.at(-1)).toMatchObject({ searchCall: 3, status: 500 });
      expect((await post(fresh, { resource_id: 'rows', limit: 1 })).status).toBe(200);
    } finally {
      await fresh.stop();
    }
  });

  it('fails the next calls with 503 from the proxy, `times` in a row', async () => {
    ckan.setFault({ kind: 'status', status: 503, times: 2 });
    const first = await post(ckan, { resource_id: 'rows' });
    expect(first.status).toBe(503);
    expect(first.headers.get('content-type')).toBe('text/html');
    expect(first.text).toContain('<title>503 Service Unavailable</title>');
    expect((await post(ckan, { resource_id: 'rows' })).status).toBe(503);
    expect((await post(ckan, { resource_id: 'rows' })).status).toBe(200);
  });

  it('fails a call counted from the start, with a body and headers of choice', async () => {
    const call = ckan.searchCalls + 2;
    ckan.setFault({
      kind: 'status',
      status: 429,
      call,
      body: { slow: 'down' },
      headers: { 'Retry-After': '1' },
    });
    expect((await post(ckan, { resource_id: 'rows' })).status).toBe(200);
    const limited = await post(ckan, { resource_id: 'rows' });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ slow: 'down' });
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('makes a ckanpackager-style client fail', async () => {
    ckan.setFault({ kind: 'status', status: 502, call: ckan.searchCalls + 3 });
    await expect(
      ckanpackagerFetch(ckan.apiUrl, { resource_id: 'rows' }, { pageSize: 50 }),
    ).rejects.toThrow('HTTP 502');
  });

  it('clearFaults disarms everything', async () => {
    ckan.setFault({ kind: 'status', status: 500, times: Infinity });
    expect((await post(ckan, { resource_id: 'rows' })).status).toBe(500);
    ckan.clearFaults();
    expect((await post(ckan, { resource_id: 'rows' })).status).toBe(200);
  });
});

describe('delay faults', () => {
  it('answers correctly, but late', async () => {
    ckan.setFault({ kind: 'delay', ms: 300 });
    const late = post(ckan, { resource_id: 'rows', limit: 3, offset: 7 });
    await delays.arrived(1);
    expect(delays.held.map((delay) => delay.ms)).toEqual([300]);
    const delayed = ckan.requests.at(-1)!;
    // The next call is not delayed: it is answered while the first is still held.
    expect((await post(ckan, { resource_id: 'rows', limit: 1 })).status).toBe(200);
    expect(delays.held).toHaveLength(1);
    expect(delayed.status).toBe(0); // not answered yet
    delays.releaseAll();
    expect((await late).body.result.records).toEqual(
      [7, 8, 9].map((i) => ({ _id: i + 1, ...rows.row(i) })),
    );
  });

  it('lets a client time out', async () => {
    // Never released by the test: the client's own timeout ends the exchange.
    ckan.setFault({ kind: 'delay', ms: 1000 });
    await expect(
      fetch(ckan.apiUrl, {
        method: 'POST',
        body: JSON.stringify({ resource_id: 'rows' }),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('destroy faults', () => {
  it('sends the status, headers and the first bytes of the body, then drops the socket', async () => {
    ckan.setFault({ kind: 'destroy', afterBytes: 100 });
    const raw = await rawPost(ckan.apiUrl, { resource_id: 'rows', limit: 200 });
    expect(raw).toEqual({ status: 200, bytes: expect.any(Number), ended: 'cut' });
    // The chunked framing adds a few bytes to the 100 body bytes.
    expect(raw.bytes).toBeGreaterThanOrEqual(100);
    expect(raw.bytes).toBeLessThan(130);
    expect((await rawPost(ckan.apiUrl, { resource_id: 'rows', limit: 200 })).ended).toBe(
      'complete',
    );
  });

  it('makes fetch fail while reading the body', async () => {
    ckan.setFault({ kind: 'destroy' });
    const response = await fetch(ckan.apiUrl, {
      method: 'POST',
      body: JSON.stringify({ resource_id: 'rows', limit: 100 }),
    });
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it('cuts even an answer shorter than afterBytes, and error answers too', async () => {
    ckan.setFault({ kind: 'destroy', afterBytes: 1_000_000 });
    expect((await rawPost(ckan.apiUrl, { resource_id: 'rows', limit: 1 })).ended).toBe('cut');
    ckan.setFault({ kind: 'destroy', afterBytes: 10 });
    const notFound = await rawPost(ckan.apiUrl, { resource_id: 'nope' });
    expect(notFound).toMatchObject({ status: 404, ended: 'cut' });
  });

  it('fails a ckanpackager-style client mid-way', async () => {
    ckan.setFault({ kind: 'destroy', afterBytes: 500, call: ckan.searchCalls + 3 });
    await expect(
      ckanpackagerFetch(ckan.apiUrl, { resource_id: 'rows' }, { pageSize: 50 }),
    ).rejects.toThrow();
    // The server carries on.
    expect((await post(ckan, { resource_id: 'rows', limit: 1 })).status).toBe(200);
  });
});

it('refuses faults that make no sense', () => {
  expect(() => ckan.setFault({ kind: 'status', status: 1000 })).toThrow('Not an HTTP status');
  expect(() => ckan.setFault({ kind: 'delay', ms: 1, call: 0 })).toThrow('counts from 1');
});
