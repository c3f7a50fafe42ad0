import { AbortedError, UnavailableError } from '@geoworks/errors';
import { describe, expect, it } from 'vitest';
import {
  CookieJar,
  cookieValue,
  HttpClient,
  HttpTimeoutError,
  NetworkError,
  readText,
  removeCookie,
} from '../src/index.js';
import { closedPort, recordedSleeps, serve, signalled } from './helpers.js';

/** A client whose backoffs are recorded, not waited. */
function recordingClient(options: ConstructorParameters<typeof HttpClient>[0] = {}) {
  const sleeps = recordedSleeps();
  const client = new HttpClient({
    retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 1000 },
    sleep: sleeps.sleep,
    ...options,
  });
  return { client, sleeps };
}

describe('retries', () => {
  it('asks again after a retryable status, with backoffs from half to all of a doubling ceiling', async () => {
    let calls = 0;
    const server = await serve((_request, response) => {
      calls += 1;
      if (calls <= 3) response.writeHead(503).end('busy');
      else response.writeHead(200).end('done');
    });
    const { client, sleeps } = recordingClient();
    const response = await client.request(server.url);
    expect(await response.text()).toBe('done');
    expect(server.seen).toHaveLength(4);
    expect(sleeps.asked).toHaveLength(3);
    [100, 200, 400].forEach((ceiling, retry) => {
      expect(sleeps.asked[retry]).toBeGreaterThanOrEqual(ceiling / 2);
      expect(sleeps.asked[retry]).toBeLessThanOrEqual(ceiling);
    });
  });

  it('hands back the last answer once the retries are spent, and a status it does not retry at once', async () => {
    const busy = await serve((_request, response) => response.writeHead(502).end('down'));
    const { client, sleeps } = recordingClient({ retry: { retries: 2 } });
    const response = await client.request(busy.url);
    expect(response.status).toBe(502);
    expect(await response.text()).toBe('down');
    expect(busy.seen).toHaveLength(3);
    expect(sleeps.asked).toHaveLength(2);

    const missing = await serve((_request, response) => response.writeHead(404).end());
    expect((await client.request(missing.url)).status).toBe(404);
    expect(missing.seen).toHaveLength(1);
  });

  it('honours Retry-After in seconds and as an HTTP date, as a minimum capped by maxDelayMs', async () => {
    const answers = [
      { 'retry-after': '7' },
      { 'retry-after': 'Wed, 21 Oct 2026 07:28:05 GMT' },
      { 'retry-after': '3600' },
    ];
    const server = await serve((_request, response) => {
      const headers = answers.shift();
      if (headers === undefined) response.writeHead(200).end('ok');
      else response.writeHead(429, headers).end();
    });
    const { client, sleeps } = recordingClient({
      retry: { retries: 3, baseDelayMs: 10, maxDelayMs: 60_000 },
      now: () => Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'),
    });
    expect((await client.request(server.url)).status).toBe(200);
    expect(sleeps.asked).toEqual([7000, 5000, 60_000]);
  });

  it('sends once with retry: false', async () => {
    const server = await serve((_request, response) => response.writeHead(503).end());
    const { client, sleeps } = recordingClient();
    expect((await client.request(server.url, { method: 'POST', retry: false })).status).toBe(503);
    expect(server.seen).toHaveLength(1);
    expect(sleeps.asked).toEqual([]);
  });

  it('retries a dropped connection, then reports one that stays refused as a NetworkError', async () => {
    let calls = 0;
    const flaky = await serve((_request, response, raw) => {
      calls += 1;
      if (calls === 1) raw.socket.destroy();
      else response.writeHead(200).end('back');
    });
    const { client, sleeps } = recordingClient();
    expect(await (await client.request(flaky.url)).text()).toBe('back');
    expect(flaky.seen).toHaveLength(2);

    const port = await closedPort();
    const error = await client
      .request(`http://127.0.0.1:${port}/x?token=secret`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as NetworkError).failure).toBe('refused');
    expect((error as NetworkError).systemCode).toBe('ECONNREFUSED');
    expect((error as Error).message).toMatch(
      new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/x failed: fetch failed: .*ECONNREFUSED`),
    );
    expect((error as Error).message).not.toContain('secret');
    expect(sleeps.asked).toHaveLength(1 + 3);
  });

  it('classifies a name that does not resolve as a DNS failure', async () => {
    const { client } = recordingClient({ retry: { retries: 0 } });
    const error = await client.request('http://nothing.invalid/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).failure).toBe('dns');
  });

  it('retries a body that broke off inside the reader, unless told not to', async () => {
    let calls = 0;
    const server = await serve((_request, response, raw) => {
      calls += 1;
      response.writeHead(200, { 'content-length': '100' });
      if (calls === 1) response.write('cut short', () => raw.socket.destroy());
      else response.end('x'.repeat(100));
    });
    const { client } = recordingClient();
    const text = await client.request(server.url, {}, ({ response }) =>
      readText(response, { maxBytes: 1000 }),
    );
    expect(text).toHaveLength(100);
    expect(server.seen).toHaveLength(2);

    calls = 0;
    const error = await client
      .request(server.url, { retryRead: false }, ({ response }) => response.text())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).afterHeaders).toBe(true);
    expect(server.seen).toHaveLength(3);
  });

  it('sends again a body made anew for each attempt', async () => {
    let calls = 0;
    const server = await serve((_request, response) => {
      calls += 1;
      response.writeHead(calls === 1 ? 503 : 200).end();
    });
    const { client } = recordingClient();
    let made = 0;
    await client.request(server.url, {
      body: () => {
        made += 1;
        const form = new FormData();
        form.append('file', new Blob(['content']), 'a.txt');
        return form;
      },
    });
    expect(made).toBe(2);
    expect(server.seen.map((request) => request.method)).toEqual(['POST', 'POST']);
    expect(server.seen[1]!.body).toContain('content');
  });
});

describe('timeouts and cancellation', () => {
  it('fails an attempt whose timer runs out, without retrying it', async () => {
    const arrived = signalled();
    const server = await serve(() => arrived.resolve()); // never answers
    const timers = recordedSleeps(() => true);
    const { client, sleeps } = recordingClient({ timer: timers.sleep, timeoutMs: 250 });
    const pending = client.request(server.url).catch((e: unknown) => e);
    await arrived.promise;
    expect(timers.asked).toEqual([250]);
    timers.release();
    const error = await pending;
    expect(error).toBeInstanceOf(HttpTimeoutError);
    expect((error as HttpTimeoutError).timeoutMs).toBe(250);
    expect(server.seen).toHaveLength(1);
    expect(sleeps.asked).toEqual([]);
  });

  it('disarms the timer once the headers came, or once the reader is done', async () => {
    const server = await serve((_request, response) => response.writeHead(200).end('body'));
    const timers = recordedSleeps(() => true);
    const client = new HttpClient({ timer: timers.sleep });
    const response = await client.request(server.url, { timeoutMs: 1000 });
    expect(timers.aborted).toEqual([1000]);
    // The body is still there to read, whenever the caller reads it.
    expect(await response.text()).toBe('body');

    const text = await client.request(server.url, { timeoutMs: 2000 }, ({ response }) =>
      response.text(),
    );
    expect(text).toBe('body');
    expect(timers.aborted).toEqual([1000, 2000]);
  });

  it('starts the timer again on touch(): an idle timeout for a streamed body', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200);
      response.write('a');
      response.write('b');
      response.end('c');
    });
    const timers = recordedSleeps(() => true);
    const client = new HttpClient({ timer: timers.sleep, timeoutMs: 500 });
    let chunks = 0;
    await client.request(server.url, {}, async ({ response, touch }) => {
      for await (const chunk of response.body!) {
        touch();
        chunks += chunk.byteLength > 0 ? 1 : 0;
      }
    });
    expect(timers.asked).toEqual(Array.from({ length: 1 + chunks }, () => 500));
    // Each touch disarmed the timer before it, and the end disarmed the last.
    expect(timers.aborted).toHaveLength(timers.asked.length);
  });

  it('stops at once when the caller aborts, keeping the reason as the cause', async () => {
    const arrived = signalled();
    const server = await serve(() => arrived.resolve());
    const controller = new AbortController();
    const pending = new HttpClient().request(server.url, { signal: controller.signal });
    await arrived.promise;
    controller.abort(new Error('user gave up'));
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as Error).cause).toEqual(new Error('user gave up'));
  });

  it('stops in the wait before a retry too', async () => {
    const server = await serve((_request, response) => response.writeHead(503).end());
    const backoffs = recordedSleeps(() => true);
    const client = new HttpClient({ sleep: backoffs.sleep, retry: { baseDelayMs: 5000 } });
    const controller = new AbortController();
    const pending = client.request(server.url, { signal: controller.signal });
    await backoffs.asking(1);
    expect(backoffs.asked[0]).toBeGreaterThanOrEqual(2500);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(server.seen).toHaveLength(1);
  });
});

describe('cookies', () => {
  it('keeps the cookies of every answer, redirects included, and sends them where they belong', async () => {
    const other = await serve((_request, response) => response.writeHead(200).end());
    const server = await serve((request, response) => {
      if (request.path === '/login') {
        response
          .writeHead(302, { location: '/home', 'set-cookie': 'session=s1; Path=/; HttpOnly' })
          .end();
      } else if (request.path === '/home') {
        response.writeHead(200, { 'set-cookie': 'csrftoken=c1; Path=/' }).end();
      } else {
        response.writeHead(302, { location: `http://localhost:${other.port}/` }).end();
      }
    });
    const client = new HttpClient({ cookies: true });
    await client.request(`${server.url}/login`);
    expect(server.seen[1]!.headers.cookie).toBe('session=s1');
    expect(await cookieValue(client.cookies!, new URL(server.url), 'csrftoken')).toBe('c1');

    await client.request(`${server.url}/away`);
    expect(server.seen[2]!.headers.cookie).toBe('session=s1; csrftoken=c1');
    // Another host gets none of them.
    expect(other.seen[0]!.headers.cookie).toBeUndefined();

    await removeCookie(client.cookies!, new URL(server.url), 'session');
    expect(await client.cookies!.getCookieString(server.url)).toBe('csrftoken=c1');
  });

  it('shares a jar between clients', async () => {
    const server = await serve((_request, response) =>
      response.writeHead(200, { 'set-cookie': 'a=1' }).end(),
    );
    const jar = new CookieJar();
    await new HttpClient({ cookies: jar }).request(server.url);
    await new HttpClient({ cookies: jar }).request(server.url);
    expect(server.seen[1]!.headers.cookie).toBe('a=1');
  });
});
