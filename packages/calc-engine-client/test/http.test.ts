import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AbortedError, UnavailableError } from '@geoworks/errors';
import { describe, expect, it } from 'vitest';
import {
  CalcEngineClient,
  EngineConnectionError,
  EngineTimeoutError,
  EngineUpstreamError,
  JobRunError,
} from '../src/index.js';
import { clientOf, fakeEngine, INPUTS, JOB_INI, recordedSleeps, until } from './helpers/setup.js';
import { makeZip } from './helpers/zip.js';

const archive = makeZip({ 'job.ini': JOB_INI, ...INPUTS });

describe('retries', () => {
  it.each([502, 503, 504])('retries a GET answered %i, then succeeds', async (status) => {
    const engine = await fakeEngine();
    engine.faults.push({ path: '/v1/calc/list', status, times: 2 });
    const client = clientOf(engine, { retries: 3 });
    expect(await client.list()).toEqual([]);
    expect(engine.count('/v1/calc/list')).toBe(3);
  });

  it('retries a GET whose connection drops', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'complete' });
    engine.faults.push({ path: '/v1/calc/1/status', destroy: true, times: 2 });
    const client = clientOf(engine, { retries: 2 });
    expect((await client.status(1)).status).toBe('complete');
    expect(engine.count('/v1/calc/1/status')).toBe(3);
  });

  it('gives up after `retries` retries with the last error', async () => {
    const engine = await fakeEngine();
    engine.faults.push({ path: '/v1/engine_version', status: 503, times: 10 });
    const client = clientOf(engine, { retries: 2 });
    const error = await client.engineVersion().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUpstreamError);
    expect((error as EngineUpstreamError).status).toBe(503);
    expect(engine.count('/v1/engine_version')).toBe(3);

    engine.faults.push({ path: '/v1/available_gsims', destroy: true, times: 10 });
    const dropped = await client.availableGsims().catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(EngineConnectionError);
    expect(dropped).toBeInstanceOf(UnavailableError);
    expect((dropped as EngineConnectionError).status).toBeUndefined();
    expect(engine.count('/v1/available_gsims')).toBe(3);
  });

  it('never retries a 500 or a 404', async () => {
    const engine = await fakeEngine();
    engine.faults.push({ path: '/v1/ini_defaults', status: 500, times: 5 });
    const client = clientOf(engine, { retries: 3 });
    await expect(client.iniDefaults()).rejects.toBeInstanceOf(EngineUpstreamError);
    await expect(client.status(5)).rejects.toThrow(/Not Found/);
    expect(engine.count('/v1/ini_defaults')).toBe(1);
    expect(engine.count('/v1/calc/5/status')).toBe(1);
  });

  it('never retries run: not on 503, not on a dropped connection', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine, { retries: 3 });
    engine.faults.push({ path: '/v1/calc/run', status: 503, times: 5 });
    await expect(client.run({ archive })).rejects.toBeInstanceOf(EngineUpstreamError);
    expect(engine.count('/v1/calc/run')).toBe(1);

    engine.faults.splice(0);
    engine.faults.push({ path: '/v1/calc/run', destroy: true, times: 5 });
    await expect(client.run({ archive })).rejects.toBeInstanceOf(EngineConnectionError);
    expect(engine.count('/v1/calc/run')).toBe(2);
    expect(engine.jobs.size).toBe(0);
  });

  it('never retries abort or remove on a dropped connection', async () => {
    const engine = await fakeEngine();
    engine.addJob({ status: 'executing', pid: 1 });
    engine.faults.push(
      { path: '/v1/calc/1/abort', destroy: true, times: 5 },
      { path: '/v1/calc/1/remove', destroy: true, times: 5 },
    );
    const client = clientOf(engine, { retries: 3 });
    await expect(client.abort(1)).rejects.toBeInstanceOf(EngineConnectionError);
    await expect(client.remove(1)).rejects.toBeInstanceOf(EngineConnectionError);
    expect(engine.count('/v1/calc/1/abort')).toBe(1);
    expect(engine.count('/v1/calc/1/remove')).toBe(1);
  });

  it('backs off exponentially with jitter', async () => {
    const engine = await fakeEngine();
    engine.faults.push({ path: '/v1/calc/list', status: 503, times: 3 });
    // The request timeouts (60 s) are held, never reached; the backoffs end at once.
    const sleeps = recordedSleeps((ms) => ms === 60_000);
    const client = new CalcEngineClient({
      url: engine.url,
      retries: 3,
      retryBaseDelayMs: 40,
      retryMaxDelayMs: 100,
      sleep: sleeps.sleep,
    });
    await client.list();
    expect(engine.requests.map((request) => request.path)).toHaveLength(4);
    // Each delay is from half to all of its cap: 40, 80, then 160 held to the 100 maximum.
    const backoffs = sleeps.asked.filter((ms) => ms !== 60_000);
    expect(backoffs).toHaveLength(3);
    [40, 80, 100].forEach((cap, retry) => {
      expect(backoffs[retry]).toBeGreaterThanOrEqual(cap / 2);
      expect(backoffs[retry]).toBeLessThanOrEqual(cap);
    });
  });

  it('reports a server that is not there as EngineConnectionError', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const client = new CalcEngineClient({
      url: `http://127.0.0.1:${port}`,
      retries: 1,
      retryBaseDelayMs: 5,
    });
    const error = await client.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineConnectionError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect((error as EngineConnectionError).url).toBe(`http://127.0.0.1:${port}/v1/calc/list`);
  });
});

describe('timeouts and cancellation', () => {
  it('fails a slow call with EngineTimeoutError, not retried', async () => {
    const engine = await fakeEngine();
    // The server holds the answer past the test; the 60 ms are up when the test says so, once
    // the request has arrived, however slow the machine.
    engine.faults.push({ path: '/v1/calc/list', delayMs: 10_000, times: 5 });
    const sleeps = recordedSleeps(() => true);
    const client = clientOf(engine, { timeoutMs: 60, retries: 3, sleep: sleeps.sleep });
    const listing = client.list().catch((e: unknown) => e);
    await until(() => engine.count('/v1/calc/list') === 1);
    expect(sleeps.asked).toEqual([60]);
    sleeps.release();
    const error = await listing;
    expect(error).toBeInstanceOf(EngineTimeoutError);
    expect((error as EngineTimeoutError).timeoutMs).toBe(60);
    expect((error as Error).message).toMatch(
      /No answer within 60 ms \(GET http.*\/v1\/calc\/list\)/,
    );
    expect(engine.count('/v1/calc/list')).toBe(1);
    expect(sleeps.asked).toEqual([60]); // no backoff: not retried
    // A call may have its own timeout (held here: the answer comes first).
    engine.faults.splice(0);
    engine.faults.push({ path: '/v1/calc/list', delayMs: 100 });
    expect(await client.list({ timeoutMs: 1000 })).toEqual([]);
    expect(sleeps.asked).toEqual([60, 1000]);
  });

  it('cancels a call with its AbortSignal', async () => {
    const engine = await fakeEngine();
    // The answer comes after the test: only the signal can end the call.
    engine.faults.push({ path: '/v1/calc/list', delayMs: 10_000 });
    const client = clientOf(engine);
    const controller = new AbortController();
    const listing = client.list({ signal: controller.signal });
    await until(() => engine.count('/v1/calc/list') === 1);
    controller.abort(new Error('user gave up'));
    const error = await listing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as Error).cause).toEqual(new Error('user gave up'));
  });

  it('cancels the backoff between retries too', async () => {
    const engine = await fakeEngine();
    engine.faults.push({ path: '/v1/calc/list', status: 503, times: 5 });
    const sleeps = recordedSleeps(() => true);
    const client = new CalcEngineClient({
      url: engine.url,
      retryBaseDelayMs: 5000,
      sleep: sleeps.sleep,
    });
    const controller = new AbortController();
    const listing = client.list({ signal: controller.signal });
    // In the backoff (2.5 to 5 s), which only the signal can end (the request's own 60 s
    // timeout was asked for first).
    await until(() => sleeps.asked.length === 2);
    expect(sleeps.asked[0]).toBe(60_000);
    expect(sleeps.asked[1]).toBeGreaterThanOrEqual(2500);
    expect(sleeps.asked[1]).toBeLessThanOrEqual(5000);
    controller.abort();
    await expect(listing).rejects.toBeInstanceOf(AbortedError);
    expect(engine.count('/v1/calc/list')).toBe(1);
  });

  it('keeps run failures typed through everything', async () => {
    const engine = await fakeEngine();
    const client = clientOf(engine);
    await expect(client.run({ archive: makeZip({ 'x.txt': '' }) })).rejects.toBeInstanceOf(
      JobRunError,
    );
  });
});

describe('client options', () => {
  it('keeps a path prefix of the server URL', async () => {
    const seen: string[] = [];
    const client = new CalcEngineClient({
      url: 'http://engine.example/oq',
      fetch: async (input) => {
        seen.push(String(input));
        return new Response('3.21.0', { headers: { 'content-type': 'text/plain' } });
      },
    });
    expect(await client.engineVersion()).toBe('3.21.0');
    expect(seen).toEqual(['http://engine.example/oq/v1/engine_version']);
    expect(client.url).toBe('http://engine.example/oq/');
  });

  it('refuses bad options', () => {
    expect(() => new CalcEngineClient({ url: 'not a url' })).toThrow(/Invalid server URL/);
    expect(() => new CalcEngineClient({ url: 'ftp://x' })).toThrow(/http/);
    expect(() => new CalcEngineClient({ url: 'http://x', retries: -1 })).toThrow(/retries/);
    expect(() => new CalcEngineClient({ url: 'http://x', timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new CalcEngineClient({ url: 'http://x', password: 'p' })).toThrow(/username/);
  });
});
