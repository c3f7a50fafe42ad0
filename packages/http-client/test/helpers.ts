// Local HTTP servers for the tests, and a `sleep` that records the waits asked for.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request, in order. */
  seen: Seen[];
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * A server on a free loopback port, closed after the test. `handle` answers each request; its
 * body has been read by then.
 */
export async function serve(
  handle: (request: Seen, response: ServerResponse, raw: IncomingMessage) => void,
): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = createServer((raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const request = {
        method: raw.method ?? '',
        path: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(request);
      handle(request, response, raw);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, seen };
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A `sleep` that records every wait asked for instead of letting time pass: the waits `hold`
 * picks last until `release()` (or until their signal aborts), the others end at once.
 */
export function recordedSleeps(hold: (ms: number) => boolean = () => false) {
  const asked: number[] = [];
  const held: (() => void)[] = [];
  const aborted: number[] = [];
  const waiting: { count: number; resolve: () => void }[] = [];
  return {
    asked,
    /** Resolves once `count` waits have been asked for. */
    asking(count: number): Promise<void> {
      if (asked.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ count, resolve }));
    },
    /** The waits whose signal aborted (a timer disarmed, a backoff cancelled). */
    aborted,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      asked.push(ms);
      for (const waiter of waiting.filter((w) => asked.length >= w.count)) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason as Error);
        signal?.addEventListener(
          'abort',
          () => {
            aborted.push(ms);
            reject(signal.reason as Error);
          },
          { once: true },
        );
        if (hold(ms)) held.push(resolve);
        else resolve();
      });
    },
    release(): void {
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

/** A promise and the function that resolves it: for a test to wait on an event, not a time. */
export function signalled<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}
