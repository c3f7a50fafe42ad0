import { lookup } from 'node:dns/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCkan, type FakeCkan } from '@geoworks/fake-ckan';
import { postForm, startService } from './helpers.js';

const SECRET = 'addresses-secret';
const REFUSED = 'such hosts are refused unless named in the allowed hosts';

/** An HTTP server on loopback that counts what reaches it. */
interface CountingServer {
  port: number;
  hits: string[];
  close(): Promise<void>;
}

async function countingServer(
  answer: (path: string, res: ServerResponse) => void,
): Promise<CountingServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    answer(req.url ?? '', res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// An internal service the packager must not be steered to.
let internal: CountingServer;
let ckan: FakeCkan;

beforeAll(async () => {
  internal = await countingServer((_path, res) =>
    res.writeHead(200, { 'content-type': 'text/csv' }).end('internal,secret\n1,2\n'),
  );
  ckan = await startFakeCkan();
  await ckan.addResource({ id: 'birds', fields: [{ id: 'name', type: 'text' }], rows: [] });
});
afterAll(async () => {
  await Promise.all([internal?.close(), ckan?.stop()]);
});

const urlPost = (resourceUrl: string) => ({
  secret: SECRET,
  resource_id: 'r',
  email: 'ann@example.org',
  resource_url: resourceUrl,
});

describe('without PACKAGER_ALLOWED_HOSTS nor PACKAGER_ALLOW_PRIVATE_HOSTS', () => {
  let service: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    service = await startService({ PACKAGER_SECRET: SECRET });
  });
  afterAll(() => service?.cleanup());

  const forbidden = (message: string) => ({
    status: 403,
    body: { status: 'failed', error: 'ForbiddenError', message },
  });

  it('refuses loopback, private, link-local and metadata addresses with 403, fetching nothing', async () => {
    const before = internal.hits.length;
    const port = internal.port;
    const cases: [string, string][] = [
      [`http://127.0.0.1:${port}/secret`, 'host "127.0.0.1" is a loopback address'],
      [`http://127.8.9.10:${port}/secret`, 'host "127.8.9.10" is a loopback address'],
      [`http://2130706433:${port}/secret`, 'host "127.0.0.1" is a loopback address'],
      [`http://[::1]:${port}/secret`, 'host "[::1]" is a loopback address'],
      [`http://[::ffff:127.0.0.1]:${port}/secret`, 'host "[::ffff:7f00:1]" is a loopback address'],
      ['http://10.20.30.40/data.csv', 'host "10.20.30.40" is a private address'],
      ['http://172.16.0.1/data.csv', 'host "172.16.0.1" is a private address'],
      ['http://192.168.1.1/data.csv', 'host "192.168.1.1" is a private address'],
      ['http://100.64.0.1/data.csv', 'host "100.64.0.1" is a shared (carrier-grade NAT) address'],
      ['http://0.0.0.0/data.csv', 'host "0.0.0.0" is a "this network" address'],
      ['http://169.254.1.1/data.csv', 'host "169.254.1.1" is a link-local address'],
      [
        'http://169.254.169.254/latest/meta-data/',
        'host "169.254.169.254" is the cloud metadata address',
      ],
      ['http://[fd00::1]/data.csv', 'host "[fd00::1]" is a private (unique local) address'],
      ['http://[fe80::1]/data.csv', 'host "[fe80::1]" is a link-local address'],
    ];
    for (const [url, problem] of cases) {
      expect(await postForm(service.url, '/package_url', urlPost(url)), url).toEqual(
        forbidden(`resource_url: ${problem}; ${REFUSED}`),
      );
    }
    expect(internal.hits.slice(before)).toEqual([]);
  });

  it('refuses a host name that resolves to a loopback address (localhost) with 403', async () => {
    const before = internal.hits.length;
    const [first] = await lookup('localhost', { all: true });
    expect(
      await postForm(
        service.url,
        '/package_url',
        urlPost(`http://localhost:${internal.port}/secret`),
      ),
    ).toEqual(
      forbidden(
        `resource_url: host "localhost" resolves to ${first!.address}, a loopback address; ${REFUSED}`,
      ),
    );
    expect(internal.hits.slice(before)).toEqual([]);
  });

  it('refuses a CKAN api_url on loopback with 403, calling nothing', async () => {
    const answer = await postForm(service.url, '/package_datastore', {
      secret: SECRET,
      resource_id: 'birds',
      email: 'ann@example.org',
      api_url: ckan.apiUrl,
    });
    expect(answer).toEqual(
      forbidden(`api_url: host "127.0.0.1" is a loopback address; ${REFUSED}`),
    );
    expect(ckan.searchCalls).toBe(0);
  });
});

describe('a redirect from an allowed host to a loopback address', () => {
  let service: Awaited<ReturnType<typeof startService>>;
  let redirector: CountingServer;
  beforeAll(async () => {
    redirector = await countingServer((path, res) => {
      const target =
        path === '/to-literal'
          ? `http://127.0.0.1:${internal.port}/secret`
          : `http://localhost:${internal.port}/secret`;
      res.writeHead(302, { location: target }).end();
    });
    // Our file server is named (so its loopback address is the operator's choice); any
    // other host is allowed when its addresses are public.
    service = await startService({
      PACKAGER_SECRET: SECRET,
      PACKAGER_ALLOWED_HOSTS: `127.0.0.1:${redirector.port},localhost:${redirector.port},*`,
      PACKAGER_RETRIES: '0',
    });
  });
  afterAll(async () => {
    await service?.cleanup();
    await redirector?.close();
  });

  it('is refused when the job follows it, by address or by name, and the target sees nothing', async () => {
    const before = internal.hits.length;
    for (const [host, path, problem] of [
      ['127.0.0.1', '/to-literal', 'host "127.0.0.1" is a loopback address'],
      ['localhost', '/to-name', 'host "localhost" resolves to'],
    ] as const) {
      const answer = await postForm(
        service.url,
        '/package_url',
        urlPost(`http://${host}:${redirector.port}${path}`),
      );
      expect(answer.status).toBe(200);
      const job = await service.packager.queue.wait(answer.body.job_id, { timeoutMs: 20_000 });
      expect(job.status).toBe('failed');
      expect(job.error).toMatchObject({ kind: 'forbidden', code: 'PRIVATE_ADDRESS' });
      expect(job.error!.message).toContain(`Redirect from ${host}:${redirector.port}: ${problem}`);
      expect(job.error!.message).toContain(REFUSED);
      // The request's status tells the client why, as the 403 it would have had up front.
      const status = await postForm(service.url, `/status/${job.id}`, { secret: SECRET });
      expect(status.body).toMatchObject({
        status: 'failed',
        error: { error: 'ForbiddenError', status: 403, message: job.error!.message },
        email_status: null,
      });
    }
    expect(redirector.hits).toEqual(['/to-literal', '/to-name']);
    expect(internal.hits.slice(before)).toEqual([]);
    const errors = await postForm(service.url, '/statistics/errors', { secret: SECRET });
    expect(errors.body.errors.map((entry: { message: string }) => entry.message)).toEqual([
      expect.stringContaining(`Redirect from localhost:${redirector.port}`),
      expect.stringContaining(`Redirect from 127.0.0.1:${redirector.port}`),
    ]);
  });
});

describe('with PACKAGER_ALLOW_PRIVATE_HOSTS=true (development)', () => {
  let service: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    service = await startService({
      PACKAGER_SECRET: SECRET,
      PACKAGER_ALLOW_PRIVATE_HOSTS: 'true',
    });
  });
  afterAll(() => service?.cleanup());

  it('packs a file from a host on this machine', async () => {
    const before = internal.hits.length;
    const answer = await postForm(
      service.url,
      '/package_url',
      urlPost(`http://localhost:${internal.port}/local.csv`),
    );
    expect(answer.status).toBe(200);
    const job = await service.packager.queue.wait(answer.body.job_id, { timeoutMs: 20_000 });
    expect(job.status).toBe('finished');
    expect(internal.hits.slice(before)).toEqual(['/local.csv']);
  });
});
