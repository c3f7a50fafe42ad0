// The service's timeouts and upload limits, set from its environment, against clients that
// stop halfway (written byte by byte on loopback; the tests wait for the server, not for time).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileAppears, pandarusFixture, rawConnection } from '@geoworks/test-fixtures';
import { sha256, startService } from './helpers.js';

/** An upload as bytes (fetch's own multipart encoding), cut where the file content starts. */
async function uploadBytes(port: number, name: string, content: Buffer) {
  const form = new FormData();
  const fields = { name, sha256: sha256(content), band: '', layer: '', field: 'name' };
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append('file', new Blob([content]), name);
  const request = new Request(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: form });
  const body = Buffer.from(await request.arrayBuffer());
  const head = Buffer.from(
    `POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
      `Content-Type: ${request.headers.get('content-type')}\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  const fileStart = body.indexOf(content);
  return { head, body, fileStart };
}

describe('pandarus-remote timeouts and upload limits', () => {
  it('cuts an upload slower than PANDARUS_REMOTE_UPLOAD_MIN_RATE, keeping nothing', async () => {
    const service = await startService({
      PANDARUS_REMOTE_UPLOAD_MIN_RATE: '1000',
      PANDARUS_REMOTE_UPLOAD_RATE_WINDOW: '100ms',
    });
    const grid = readFileSync(pandarusFixture('grid.geojson'));
    const { head, body, fileStart } = await uploadBytes(service.server.port, 'grid.geojson', grid);
    // The form fields and 10 bytes of the file, then nothing: a slow-loris upload.
    const connection = rawConnection(
      service.server.port,
      Buffer.concat([head, body.subarray(0, fileStart + 10)]),
    );
    const received = await connection.closed;
    expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(received).toMatch(/\r\nConnection: close\r\n/);
    expect(received).toMatch(
      /\r\n\r\nThe upload was cut: it sent less than 1000 bytes per second over 100 ms\n$/,
    );
    expect(readdirSync(join(service.dataDir, 'uploads', 'incoming'))).toEqual([]);
    expect((await service.catalog()).files).toEqual([]);
  });

  it('answers 503 with Retry-After past PANDARUS_REMOTE_CONCURRENT_UPLOADS', async () => {
    const service = await startService({
      PANDARUS_REMOTE_CONCURRENT_UPLOADS: '1',
      PANDARUS_REMOTE_UPLOAD_MIN_RATE: '0',
    });
    const grid = readFileSync(pandarusFixture('grid.geojson'));
    const square = readFileSync(pandarusFixture('square.geojson'));
    const { head, body, fileStart } = await uploadBytes(service.server.port, 'grid.geojson', grid);
    const first = rawConnection(
      service.server.port,
      Buffer.concat([head, body.subarray(0, fileStart + 10)]),
    );
    await fileAppears(join(service.dataDir, 'uploads', 'incoming')); // being received

    const refused = await service.upload('square.geojson', square);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.text()).toBe(
      'Too many uploads at once (at most 1); try again in a few seconds\n',
    );

    first.socket.write(body.subarray(fileStart + 10));
    expect(await first.closed).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect((await service.upload('square.geojson', square)).status).toBe(200);
    expect((await service.catalog()).files.map(([name]) => name)).toEqual([
      'grid.geojson',
      'square.geojson',
    ]);
  });

  it('answers 408 to headers slower than PANDARUS_REMOTE_HEADERS_TIMEOUT', async () => {
    const service = await startService({
      PANDARUS_REMOTE_HEADERS_TIMEOUT: '200ms',
      PANDARUS_REMOTE_REQUEST_TIMEOUT: '400ms',
    });
    const connection = rawConnection(service.server.port, 'GET /catalog HTTP/1.1\r\nHost: x\r\n');
    expect(await connection.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });
});
