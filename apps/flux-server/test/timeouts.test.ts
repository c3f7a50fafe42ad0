// Header, body and idle timeouts from the environment (service-kit's httpConfig), against a
// client that stops halfway through its headers; the test waits for the server to answer.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawConnection } from '@geoworks/test-fixtures';
import { makeDatabase, startServer } from './helpers.js';

describe('flux-server timeouts', () => {
  it('answers 408 to headers slower than FLUX_SERVER_HEADERS_TIMEOUT', async () => {
    const database = await makeDatabase([]);
    const server = await startServer(database, {
      FLUX_SERVER_HEADERS_TIMEOUT: '200ms',
      FLUX_SERVER_REQUEST_TIMEOUT: '400ms',
    });
    try {
      const connection = rawConnection(server.port, 'GET /flux/api/scenarios HTTP/1.1\r\n');
      expect(await connection.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    } finally {
      await server.stop();
      rmSync(dirname(database), { recursive: true, force: true });
    }
  });
});
