// Header and upload limits from the environment (service-kit's httpConfig and uploadConfig),
// against clients that stop halfway; the tests wait for the server to answer, not for time.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rawConnection } from '@geoworks/test-fixtures';
import { startServer } from './helpers.js';

describe('calc-server timeouts and upload limits', () => {
  it('answers 408 to headers slower than CALC_SERVER_HEADERS_TIMEOUT', async () => {
    const { server, dataDir } = await startServer({
      CALC_SERVER_HEADERS_TIMEOUT: '200ms',
      CALC_SERVER_REQUEST_TIMEOUT: '400ms',
    });
    try {
      const connection = rawConnection(server.port, 'GET /v1/calc/list HTTP/1.1\r\n');
      expect(await connection.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('cuts a job upload slower than CALC_SERVER_UPLOAD_MIN_RATE', async () => {
    const { server, dataDir } = await startServer({
      CALC_SERVER_UPLOAD_MIN_RATE: '1000',
      CALC_SERVER_UPLOAD_RATE_WINDOW: '100ms',
    });
    try {
      const boundary = 'cut-short';
      const part =
        `--${boundary}\r\nContent-Disposition: form-data; name="archive"; filename="job.zip"\r\n` +
        'Content-Type: application/zip\r\n\r\nPK';
      const connection = rawConnection(
        server.port,
        'POST /v1/calc/run HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n' +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
          `Content-Length: 100000\r\n\r\n${part}`,
      );
      const received = await connection.closed;
      expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(received).toMatch(
        /\r\n\r\n\{"error":"The upload was cut: it sent less than 1000 bytes per second over 100 ms"\}$/,
      );
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
