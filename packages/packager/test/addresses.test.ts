import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HostNotAllowedError,
  openDatastore,
  openUrlDownload,
  parseTask,
  PrivateAddressError,
} from '../src/index.js';

// What counts as an internal address (`nonPublicRange`) is tested in @geoworks/http-client.
describe('parseTask', () => {
  const post = (resourceUrl: string) => ({
    resource_id: 'r',
    email: 'a@example.org',
    resource_url: resourceUrl,
  });

  it('refuses internal IP literals unless the allow-list names them or private addresses are allowed', () => {
    const attempt = () => parseTask('url', post('http://127.0.0.1:8080/x'), undefined);
    expect(attempt).toThrow(PrivateAddressError);
    expect(attempt).toThrow(
      'resource_url: host "127.0.0.1" is a loopback address; such hosts are refused unless named in the allowed hosts',
    );
    expect(() => parseTask('url', post('http://127.0.0.1:8080/x'), ['*'])).toThrow(
      PrivateAddressError,
    );
    expect(parseTask('url', post('http://127.0.0.1:8080/x'), ['127.0.0.1:8080']).kind).toBe('url');
    expect(parseTask('url', post('http://127.0.0.1:8080/x'), undefined, true).kind).toBe('url');
    // A named entry for another port does not name this one.
    expect(() => parseTask('url', post('http://127.0.0.1:8080/x'), ['127.0.0.1:9', '*'])).toThrow(
      PrivateAddressError,
    );
    expect(parseTask('url', post('http://93.184.215.14/x'), undefined).kind).toBe('url');
  });
});

describe('connections', () => {
  let internal: Server;
  let internalPort: number;
  let redirector: Server;
  let redirectorPort: number;
  const internalHits: string[] = [];

  beforeAll(async () => {
    internal = createServer((req, res) => {
      internalHits.push(req.url ?? '');
      res.writeHead(200).end('{"success": true, "result": {"fields": [], "records": []}}');
    });
    redirector = createServer((req, res) => {
      const host = req.url === '/to-name' ? 'localhost' : '127.0.0.1';
      res.writeHead(302, { location: `http://${host}:${internalPort}/secret` }).end();
    });
    for (const server of [internal, redirector]) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    }
    internalPort = (internal.address() as AddressInfo).port;
    redirectorPort = (redirector.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const server of [internal, redirector]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const options = { retries: 0, timeoutMs: 5000 };

  it('checks the address a host name resolves to when connecting, with no earlier check', async () => {
    const before = internalHits.length;
    const error = await openUrlDownload(
      new URL(`http://localhost:${internalPort}/secret`),
      options,
    ).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(PrivateAddressError);
    expect((error as PrivateAddressError).message).toMatch(
      new RegExp(
        `^localhost:${internalPort}: host "localhost" resolves to \\S+, a loopback address`,
      ),
    );
    const ckan = await openDatastore(
      { apiUrl: `http://localhost:${internalPort}/api`, resourceId: 'r' },
      options,
    ).catch((reason: unknown) => reason);
    expect(ckan).toBeInstanceOf(PrivateAddressError);
    expect(internalHits.slice(before)).toEqual([]);
  });

  it('checks every redirect: a named host cannot hand the request to an unnamed internal one', async () => {
    const before = internalHits.length;
    const allowedHosts = [`127.0.0.1:${redirectorPort}`, `localhost:${redirectorPort}`, '*'];
    const literal = await openUrlDownload(
      new URL(`http://127.0.0.1:${redirectorPort}/to-literal`),
      { ...options, allowedHosts },
    ).catch((reason: unknown) => reason);
    expect(literal).toBeInstanceOf(PrivateAddressError);
    expect((literal as Error).message).toBe(
      `Redirect from 127.0.0.1:${redirectorPort}: host "127.0.0.1" is a loopback address; such hosts are refused unless named in the allowed hosts`,
    );
    const named = await openUrlDownload(new URL(`http://localhost:${redirectorPort}/to-name`), {
      ...options,
      allowedHosts,
    }).catch((reason: unknown) => reason);
    expect(named).toBeInstanceOf(PrivateAddressError);
    expect((named as Error).message).toMatch(
      new RegExp(`^Redirect from localhost:${redirectorPort}: host "localhost" resolves to`),
    );
    // Without `*`, the same redirects leave the allow-list.
    const outside = await openUrlDownload(
      new URL(`http://127.0.0.1:${redirectorPort}/to-literal`),
      { ...options, allowedHosts: [`127.0.0.1:${redirectorPort}`] },
    ).catch((reason: unknown) => reason);
    expect(outside).toBeInstanceOf(HostNotAllowedError);
    expect(internalHits.slice(before)).toEqual([]);
  });

  it('reaches internal hosts when allowed', async () => {
    const before = internalHits.length;
    const download = await openUrlDownload(new URL(`http://localhost:${internalPort}/open`), {
      ...options,
      allowPrivateAddresses: true,
    });
    expect((await buffer(download.stream)).toString()).toContain('"success": true');
    expect(internalHits.slice(before)).toEqual(['/open']);
  });
});
