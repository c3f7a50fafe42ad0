import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CkanError,
  DownloadTooLargeError,
  HostNotAllowedError,
  openUrlDownload,
  urlFileName,
} from '../src/index.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
const hits = new Map<string, number>();
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// The test server listens on loopback, refused unless allowed.
const fast = { retryBackoffMs: 5, timeoutMs: 2000, allowPrivateAddresses: true };

describe('openUrlDownload', () => {
  it('streams the file and sends the key as Authorization', async () => {
    let authorization: string | undefined;
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    routes.set('/data/file.bin', (req, res) => {
      authorization = req.headers.authorization;
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    const download = await openUrlDownload(new URL(`${base}/data/file.bin`), {
      ...fast,
      key: 'k-1',
    });
    expect(download.contentLength).toBe(body.length);
    expect((await buffer(download.stream)).equals(body)).toBe(true);
    expect(authorization).toBe('k-1');
  });

  it('retries transient failures with backoff, and not permanent ones', async () => {
    let calls = 0;
    routes.set('/flaky', (_req, res) => {
      calls += 1;
      if (calls < 3) res.writeHead(503).end('busy');
      else res.writeHead(200).end('finally');
    });
    const download = await openUrlDownload(new URL(`${base}/flaky`), fast);
    expect((await buffer(download.stream)).toString()).toBe('finally');
    expect(calls).toBe(3);
    hits.delete('/missing');
    await expect(openUrlDownload(new URL(`${base}/missing`), fast)).rejects.toMatchObject({
      status: 404,
      transient: false,
    });
    expect(hits.get('/missing')).toBe(1);
  });

  it('refuses a file over the limit, announced or not', async () => {
    routes.set('/big-announced', (_req, res) =>
      res.writeHead(200, { 'content-length': 2000 }).end(Buffer.alloc(2000)),
    );
    await expect(
      openUrlDownload(new URL(`${base}/big-announced`), { ...fast, maxBytes: 1000 }),
    ).rejects.toBeInstanceOf(DownloadTooLargeError);
    routes.set('/big-chunked', (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 10; i++) res.write(Buffer.alloc(500));
      res.end();
    });
    const download = await openUrlDownload(new URL(`${base}/big-chunked`), {
      ...fast,
      maxBytes: 1000,
    });
    await expect(buffer(download.stream)).rejects.toBeInstanceOf(DownloadTooLargeError);
  });

  it('gives up on a server that stops sending', async () => {
    routes.set('/stall', (_req, res) => {
      res.writeHead(200);
      res.write('some bytes');
      // ... and nothing more.
    });
    // The server never sends more: only the download's own timeout can end it.
    const download = await openUrlDownload(new URL(`${base}/stall`), { ...fast, timeoutMs: 300 });
    await expect(buffer(download.stream)).rejects.toThrow(/sent nothing for 300 ms/);
  });

  it('lets a slow but steady transfer run longer than the timeout', async () => {
    // 30 chunks 50 ms apart: 1.5 s in all against a 1 s idle timeout, with gaps twenty times
    // shorter than it, so a busy machine does not turn a gap into a stall.
    routes.set('/slow', (_req, res) => {
      res.writeHead(200);
      let sent = 0;
      const timer = setInterval(() => {
        res.write('x'.repeat(10));
        if (++sent === 30) {
          clearInterval(timer);
          res.end();
        }
      }, 50);
    });
    const download = await openUrlDownload(new URL(`${base}/slow`), { ...fast, timeoutMs: 1000 });
    expect((await buffer(download.stream)).length).toBe(300);
  });

  it('follows redirects on the same host only', async () => {
    routes.set('/moved', (_req, res) => res.writeHead(302, { location: '/data/final' }).end());
    routes.set('/data/final', (_req, res) => res.writeHead(200).end('here'));
    const download = await openUrlDownload(new URL(`${base}/moved`), fast);
    expect((await buffer(download.stream)).toString()).toBe('here');
    routes.set('/away', (_req, res) =>
      res.writeHead(302, { location: 'http://example.com/steal' }).end(),
    );
    await expect(openUrlDownload(new URL(`${base}/away`), fast)).rejects.toBeInstanceOf(
      HostNotAllowedError,
    );
  });

  it('reports an unreachable server after its retries', async () => {
    const error = await openUrlDownload(new URL('http://127.0.0.1:1/x'), {
      ...fast,
      retries: 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CkanError);
    expect((error as CkanError).message).toMatch(/Could not reach 127\.0\.0\.1:1/);
  });
});

describe('urlFileName', () => {
  it.each([
    ['http://h/files/data.csv?token=1', 'data.csv'],
    ['http://h/files/my%20data%2Bv2.csv', 'my_data_v2.csv'],
    ['http://h/files/', 'res-1'],
    ['http://h/files/..%2F..%2Fetc%2Fpasswd', '_.._etc_passwd'],
    ['http://h/.hidden', 'hidden'],
    ['http://h/donn%C3%A9es.xlsx', 'données.xlsx'],
  ])('%s -> %s', (url, name) => {
    expect(urlFileName(new URL(url), 'res-1')).toBe(name);
  });
});
