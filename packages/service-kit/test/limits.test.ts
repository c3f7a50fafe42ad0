// Timeouts and upload limits on a real server on loopback. The timeouts are short and the tests
// wait for what the server does (an answer, a closed connection), never for time to pass.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { fileAppears, rawConnection } from '@geoworks/test-fixtures';
import {
  describeConfig,
  httpConfig,
  httpLimits,
  listen,
  loadConfig,
  receiveUploads,
  serveApp,
  uploadConfig,
  type ServeAppOptions,
  type ServerHandle,
} from '../src/index.js';
import { MULTIPART_TYPE, multipartBody, partHeader } from './helpers/multipart.js';
import { captureLogs, temporaryDir } from './helpers/server.js';

const running: ServerHandle[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((handle) => handle.stop({ timeoutMs: 1000 })));
});

/** A service with a JSON echo and an upload route storing into `dir`. */
async function service(limits: ServeAppOptions['limits']) {
  const { logger } = captureLogs();
  const dir = join(temporaryDir('limits'), 'incoming');
  const router = Router();
  router.post('/echo', (req, res) => {
    res.json(req.body);
  });
  router.post('/upload', async (req, res) => {
    const { files } = await receiveUploads(req, { dir, maxFileBytes: 1024 * 1024 });
    res.status(201).json({ sizes: files.map((file) => file.size) });
  });
  const handle = await serveApp({ logger, port: 0, host: '127.0.0.1', limits, handlers: [router] });
  running.push(handle);
  return { handle, dir };
}

/** The head of a multipart upload of `fileBytes` bytes, and the whole body. */
function upload(fileBytes: number) {
  const part = { field: 'file', filename: 'slow.bin', content: Buffer.alloc(fileBytes, 7) };
  const body = multipartBody([part]);
  const head =
    'POST /upload HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n' +
    `Content-Type: ${MULTIPART_TYPE}\r\nContent-Length: ${body.length}\r\n\r\n`;
  return { head, body, partHeaderBytes: Buffer.byteLength(partHeader(part)) };
}

describe('serveApp timeouts', () => {
  it('answers 408 and closes a connection whose headers do not come in time', async () => {
    const { handle } = await service({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const connection = rawConnection(handle.port, 'GET /echo HTTP/1.1\r\nHost: localhost\r\n');
    expect(await connection.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('answers 408 and closes a connection whose body does not come in time', async () => {
    const { handle } = await service({ headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const connection = rawConnection(
      handle.port,
      'POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 20\r\n\r\n{"a":',
    );
    expect(await connection.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('closes a keep-alive connection left idle after its answer', async () => {
    const { handle } = await service({ idleTimeoutMs: 100 });
    const body = '{"a":1}';
    const connection = rawConnection(
      handle.port,
      'POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    );
    const received = await connection.closed;
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received).toMatch(/\r\nConnection: keep-alive\r\n/);
    expect(received.endsWith('\r\n\r\n{"a":1}')).toBe(true);
  });

  it('refuses a headers timeout longer than the request timeout', async () => {
    await expect(
      listen(() => undefined, { port: 0, headersTimeoutMs: 2000, requestTimeoutMs: 1000 }),
    ).rejects.toThrow(
      'listen: headersTimeoutMs (2000) must not be longer than requestTimeoutMs (1000)',
    );
  });
});

describe('upload limits', () => {
  it('cuts an upload below the minimum rate: 408 saying why, its partial file deleted', async () => {
    const { handle, dir } = await service({ minBytesPerSecond: 1000, rateWindowMs: 100 });
    const { head, body, partHeaderBytes } = upload(50_000);
    // The part's header and 10 bytes of the file, then nothing: a slow-loris upload.
    const connection = rawConnection(
      handle.port,
      Buffer.concat([Buffer.from(head), body.subarray(0, partHeaderBytes + 10)]),
    );
    const received = await connection.closed;
    expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(received).toMatch(/\r\nConnection: close\r\n/);
    const answer = JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)) as {
      error: { code: string; message: string };
    };
    expect(answer.error).toEqual({
      code: 'UPLOAD_TOO_SLOW',
      message: 'The upload was cut: it sent less than 1000 bytes per second over 100 ms',
      details: { minBytesPerSecond: 1000, windowMs: 100 },
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('answers 503 with Retry-After past the uploads at once, and takes uploads again after', async () => {
    const { handle, dir } = await service({ maxConcurrentUploads: 1, minBytesPerSecond: 0 });
    const { head, body, partHeaderBytes } = upload(1000);
    const first = rawConnection(
      handle.port,
      Buffer.concat([Buffer.from(head), body.subarray(0, partHeaderBytes + 10)]),
    );
    await fileAppears(dir); // the first upload is being received

    const post = () =>
      fetch(`${handle.url}upload`, {
        method: 'POST',
        headers: { 'Content-Type': MULTIPART_TYPE },
        body: multipartBody([{ field: 'file', filename: 'b.bin', content: 'second' }]),
      });
    const refused = await post();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'TOO_MANY_UPLOADS',
    );

    first.socket.write(body.subarray(partHeaderBytes + 10));
    expect(await first.closed).toMatch(/^HTTP\/1\.1 201 Created\r\n[^]*\{"sizes":\[1000\]\}$/);
    const again = await post();
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual({ sizes: [6] });
  });
});

describe('httpConfig and uploadConfig', () => {
  it('read the limits from the environment under a service prefix', () => {
    const schema = { ...httpConfig('SVC', { requestTimeout: '1h' }), ...uploadConfig('SVC') };
    const defaults = loadConfig(schema, {});
    expect(httpLimits(defaults)).toEqual({
      headersTimeoutMs: 30_000,
      requestTimeoutMs: 3_600_000,
      idleTimeoutMs: 5_000,
      maxConcurrentUploads: 8,
      minBytesPerSecond: 1024,
      rateWindowMs: 30_000,
    });
    const set = loadConfig(schema, {
      SVC_HEADERS_TIMEOUT: '2s',
      SVC_REQUEST_TIMEOUT: '0ms',
      SVC_IDLE_TIMEOUT: '500ms',
      SVC_CONCURRENT_UPLOADS: '2',
      SVC_UPLOAD_MIN_RATE: '10KB',
      SVC_UPLOAD_RATE_WINDOW: '1m',
    });
    expect(httpLimits(set)).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 0,
      idleTimeoutMs: 500,
      maxConcurrentUploads: 2,
      minBytesPerSecond: 10_000,
      rateWindowMs: 60_000,
    });
    expect(() => loadConfig(schema, { SVC_CONCURRENT_UPLOADS: '0' })).toThrow(
      'SVC_CONCURRENT_UPLOADS="0": expected an integer from 1 to 10000',
    );
    expect(describeConfig(schema)).toContain(
      '| `SVC_REQUEST_TIMEOUT` | duration of at least 0ms | `1h` |',
    );
  });
});
