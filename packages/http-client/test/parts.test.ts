import { AbortedError, NotFoundError, UpstreamError } from '@geoworks/errors';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  BodyTooLargeError,
  classifyNetworkError,
  HttpClient,
  parseRetryAfter,
  readBytes,
  readJson,
  readText,
  retry,
  setCookieLines,
  sleep,
} from '../src/index.js';
import { recordedSleeps, serve } from './helpers.js';

describe('body readers', () => {
  const client = new HttpClient();

  it('read text, JSON and bytes up to the limit', async () => {
    const server = await serve((_request, response) => response.end('{"a": [1, 2]}'));
    expect(await readJson(await client.request(server.url), { maxBytes: 100 })).toEqual({
      a: [1, 2],
    });
    expect(await readText(await client.request(server.url), { maxBytes: 13 })).toBe(
      '{"a": [1, 2]}',
    );
    expect((await readBytes(await client.request(server.url), { maxBytes: 100 })).length).toBe(13);
  });

  it('refuse a body over the limit, announced or counted', async () => {
    const server = await serve((request, response) => {
      if (request.path === '/announced') response.writeHead(200, { 'content-length': 2000 });
      for (let i = 0; i < 4; i++) response.write(Buffer.alloc(500));
      response.end();
    });
    for (const path of ['/announced', '/chunked']) {
      const error = await readText(await client.request(`${server.url}${path}`), {
        maxBytes: 1000,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BodyTooLargeError);
      expect((error as BodyTooLargeError).limitBytes).toBe(1000);
    }
    const start = await readText(await client.request(`${server.url}/announced`), {
      maxBytes: 10,
      truncate: true,
    });
    expect(start).toHaveLength(10);
  });

  it('say what came instead of JSON', async () => {
    const server = await serve((_request, response) => response.end('<html>nope</html>'));
    const error = await readJson(await client.request(server.url), { maxBytes: 100 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toBe('The answer is not JSON: <html>nope</html>');
  });
});

describe('backoffDelay', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('is uniform from half the ceiling to the ceiling, which doubles up to the maximum', () => {
    const low = () => 0;
    const high = () => 1;
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, policy, { random: low }))).toEqual([
      50, 100, 200, 400, 500,
    ]);
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, policy, { random: high }))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelay(1000, policy, { random: high })).toBe(1000);
  });

  it('takes Retry-After as a minimum, at most the maximum', () => {
    expect(backoffDelay(0, policy, { retryAfterMs: 700, random: () => 1 })).toBe(700);
    expect(backoffDelay(3, policy, { retryAfterMs: 10, random: () => 1 })).toBe(800);
    expect(backoffDelay(0, policy, { retryAfterMs: 5000 })).toBe(1000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
  it.each([
    ['120', 120_000],
    ['1.5', 1500],
    ['Wed, 21 Oct 2026 07:28:30 GMT', 30_000],
    ['Wed, 21 Oct 2026 07:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('%s -> %s ms', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});

describe('retry', () => {
  it('retries what it is told to, numbering the retries, and throws the last failure', async () => {
    const sleeps = recordedSleeps();
    const told: [string, number, number][] = [];
    const failures = ['a', 'b', 'c'];
    const error = await retry(
      async (attempt) => {
        throw new Error(failures[attempt]);
      },
      {
        retries: 2,
        baseDelayMs: 10,
        maxDelayMs: 100,
        retryable: (e): e is Error => e instanceof Error,
        onRetry: (e, attempt, delayMs) => told.push([e.message, attempt, delayMs]),
        sleep: sleeps.sleep,
      },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe('c');
    expect(told.map(([message, attempt]) => [message, attempt])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(told.map(([, , delayMs]) => delayMs)).toEqual(sleeps.asked);
  });

  it('gives up at once on a failure it is not told to retry, and when aborted', async () => {
    let calls = 0;
    const notFound = await retry(
      async () => {
        calls += 1;
        throw new NotFoundError('gone');
      },
      {
        retries: 5,
        baseDelayMs: 1,
        maxDelayMs: 1,
        retryable: (e) => !(e instanceof NotFoundError),
      },
    ).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(calls).toBe(1);

    const controller = new AbortController();
    const sleeps = recordedSleeps(() => true);
    const waiting = retry(
      async () => {
        throw new Error('busy');
      },
      {
        retries: 5,
        baseDelayMs: 1000,
        maxDelayMs: 1000,
        retryable: () => true,
        signal: controller.signal,
        sleep: sleeps.sleep,
      },
    );
    await sleeps.asking(1);
    controller.abort(new Error('stop'));
    const aborted = await waiting.catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(AbortedError);
    expect((aborted as Error).cause).toEqual(new Error('stop'));
  });
});

describe('classifyNetworkError', () => {
  const failed = (code: string) =>
    new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

  it.each([
    ['ECONNREFUSED', 'refused', true],
    ['ECONNRESET', 'reset', true],
    ['UND_ERR_SOCKET', 'reset', true],
    ['ENOTFOUND', 'dns', true],
    ['EAI_AGAIN', 'dns', true],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', true],
    ['ETIMEDOUT', 'timeout', true],
    ['EHOSTUNREACH', 'unreachable', true],
    ['CERT_HAS_EXPIRED', 'tls', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls', false],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'other', true],
  ])('%s is %s (retryable: %s)', (code, kind, retryable) => {
    expect(classifyNetworkError(failed(code))).toEqual({ kind, code, retryable });
  });

  it('knows undici without a code, and nothing else', () => {
    expect(classifyNetworkError(new TypeError('terminated'))).toMatchObject({ kind: 'other' });
    expect(classifyNetworkError(new TypeError('Invalid URL'))).toBeUndefined();
    expect(classifyNetworkError(new Error('boom'))).toBeUndefined();
    expect(
      classifyNetworkError(new UpstreamError('ours', { cause: failed('ECONNRESET') })),
    ).toBeUndefined();
    expect(classifyNetworkError('ECONNRESET')).toBeUndefined();
  });
});

describe('sleep', () => {
  it('ends after its time, or at once with the reason when aborted', async () => {
    await sleep(0);
    const controller = new AbortController();
    const long = sleep(3_600_000, controller.signal);
    controller.abort(new Error('enough'));
    await expect(long).rejects.toEqual(new Error('enough'));
    await expect(sleep(10, controller.signal)).rejects.toEqual(new Error('enough'));
  });
});

describe('setCookieLines', () => {
  it('splits a joined Set-Cookie header of a fetch without getSetCookie', () => {
    const joined = {
      get: () => 'a=1; expires=Thu, 01 Jan 2099 00:00:00 GMT; Path=/, b=2; Path=/',
    } as unknown as Headers;
    expect(setCookieLines(joined)).toEqual([
      'a=1; expires=Thu, 01 Jan 2099 00:00:00 GMT; Path=/',
      'b=2; Path=/',
    ]);
  });
});
