// How the CKAN client words what its record splitter refuses (the splitting itself is
// @geoworks/json-split's, tested there), over real HTTP against a small datastore_search that
// answers what each case needs.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CkanError, openDatastore } from '../src/index.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

/** datastore_search answering `page` (a body text) to every call but the first (limit 0). */
async function datastore(page: string): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const limit = (JSON.parse(body) as { limit?: number }).limit;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        limit === 0
          ? JSON.stringify({
              success: true,
              result: { fields: [{ id: '_id', type: 'int4' }], records: [], total: 2 },
            })
          : page,
      );
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/3/action/datastore_search`;
}

async function read(page: string, options = {}): Promise<unknown> {
  const apiUrl = await datastore(page);
  const reader = await openDatastore(
    { apiUrl, resourceId: 'r' },
    // The test server listens on loopback, refused unless allowed.
    { retryBackoffMs: 5, retries: 0, allowPrivateAddresses: true, ...options },
  );
  try {
    for await (const batch of reader.records()) void batch;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('CKAN answers the record splitter refuses', () => {
  it('are CkanErrors that no retry would cure, worded for CKAN', async () => {
    const scalar = await read('{"success": true, "result": {"records": [1, 2], "total": 2}}');
    expect(scalar).toBeInstanceOf(CkanError);
    expect(scalar).toMatchObject({
      message: 'CKAN answered a record that is not an object',
      transient: false,
    });
    const broken = await read('{"success": true, "result": {"records": [{"_id": nope}]}}');
    expect(broken).toBeInstanceOf(CkanError);
    expect((broken as CkanError).message).toMatch(/^CKAN answered records that are not JSON: /);
    const chatty = await read(
      JSON.stringify({ success: true, result: { records: [], note: 'x'.repeat(5000) } }),
      { maxMetadataBytes: 1000 },
    );
    expect(chatty).toBeInstanceOf(CkanError);
    expect((chatty as CkanError).message).toBe(
      "CKAN's answer holds more than 1000 bytes besides its records",
    );
  });
});
