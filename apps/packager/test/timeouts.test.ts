// Header, body and idle timeouts from the environment (service-kit's httpConfig), against a
// client that stops halfway through its headers; the test waits for the server to answer.
import { describe, expect, it } from 'vitest';
import { rawConnection } from '@geoworks/test-fixtures';
import { startService } from './helpers.js';

describe('packager timeouts', () => {
  it('answers 408 to headers slower than PACKAGER_HEADERS_TIMEOUT', async () => {
    const service = await startService({
      PACKAGER_HEADERS_TIMEOUT: '200ms',
      PACKAGER_REQUEST_TIMEOUT: '400ms',
    });
    try {
      const connection = rawConnection(service.port, 'GET /status HTTP/1.1\r\n');
      expect(await connection.closed).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    } finally {
      await service.cleanup();
    }
  });
});
