import { describe, expect, it } from 'vitest';
import { HostRefusedError, HttpClient, RedirectError } from '../src/index.js';
import { serve } from './helpers.js';

const CREDENTIALS = {
  authorization: 'Bearer secret',
  'proxy-authorization': 'Basic proxy',
  cookie: 'session=1',
  'x-csrftoken': 'csrf',
};

/** A server that sends `/go` on to `target` with `status`, and answers 200 elsewhere. */
async function redirector(target: () => string, status = 302) {
  return serve((request, response) => {
    if (request.path === '/go') response.writeHead(status, { location: target() }).end();
    else response.writeHead(200).end(request.method);
  });
}

describe('redirects', () => {
  it('keeps credentials within the origin, drops them on the way out for good', async () => {
    const elsewhere = await serve((request, response) => {
      if (request.path === '/back') response.writeHead(302, { location: back }).end();
      else response.writeHead(200).end();
    });
    const home = await redirector(() => `${home.url}/same`);
    const back = `${home.url}/same`;
    const client = new HttpClient({ credentialHeaders: ['X-CSRFToken'] });

    await client.request(`${home.url}/go`, { headers: CREDENTIALS });
    expect(home.seen[1]!.path).toBe('/same');
    expect(home.seen[1]!.headers).toMatchObject(CREDENTIALS);

    // Another port is another origin; coming back does not bring them back.
    const leaving = await redirector(() => `${elsewhere.url}/back`);
    await client.request(`${leaving.url}/go`, { headers: CREDENTIALS });
    for (const seen of [elsewhere.seen[0]!, home.seen.at(-1)!]) {
      for (const name of Object.keys(CREDENTIALS)) expect(seen.headers[name]).toBeUndefined();
    }
  });

  it('lets a policy keep credentials across origins, and add headers for one hop', async () => {
    const target = await serve((request, response) => {
      if (request.path === '/login') response.writeHead(302, { location: '/data' }).end();
      else response.writeHead(200).end();
    });
    const start = await redirector(() => `${target.url}/login`);
    const client = new HttpClient();
    await client.request(`${start.url}/go`, {
      headers: { authorization: 'Bearer kept' },
      redirect: {
        keepCredentials: (_from, to) => to.port === String(target.port),
        headers: (to) => (to.pathname === '/login' ? { 'x-login': 'once' } : undefined),
      },
    });
    const [login, data] = target.seen;
    expect(login!.headers.authorization).toBe('Bearer kept');
    expect(login!.headers['x-login']).toBe('once');
    expect(data!.headers.authorization).toBe('Bearer kept');
    expect(data!.headers['x-login']).toBeUndefined();
  });

  it('turns a POST into a GET on 303 (and 301/302), keeps it on 307', async () => {
    for (const [status, method, body] of [
      [303, 'GET', ''],
      [302, 'GET', ''],
      [307, 'POST', '{"a":1}'],
    ] as const) {
      const server = await redirector(() => '/done', status);
      const response = await new HttpClient().request(`${server.url}/go`, { json: { a: 1 } });
      expect(await response.text()).toBe(method);
      const final = server.seen[1]!;
      expect([final.method, final.body]).toEqual([method, body]);
      expect(final.headers['content-type']).toBe(method === 'GET' ? undefined : 'application/json');
    }
  });

  it('says where an answer came from', async () => {
    const server = await redirector(() => '/final');
    const seen = await new HttpClient().request(`${server.url}/go`, {}, async (exchange) => ({
      url: exchange.url.pathname,
      redirected: exchange.redirected,
    }));
    expect(seen).toEqual({ url: '/final', redirected: true });
  });

  it('takes the URL a custom fetch that followed redirects itself reports', async () => {
    const client = new HttpClient({
      fetch: async () => {
        const response = new Response('login page');
        Object.defineProperty(response, 'redirected', { value: true });
        Object.defineProperty(response, 'url', { value: 'http://engine.example/login/' });
        return response;
      },
    });
    const seen = await client.request('http://engine.example/api', {}, async (exchange) => ({
      url: exchange.url.href,
      redirected: exchange.redirected,
    }));
    expect(seen).toEqual({ url: 'http://engine.example/login/', redirected: true });
  });

  it('refuses too many redirects, other schemes, and hops the policy refuses', async () => {
    const loop = await redirector(() => '/go');
    const tooMany = await new HttpClient({ maxRedirects: 3 })
      .request(`${loop.url}/go`)
      .catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(RedirectError);
    expect((tooMany as RedirectError).reason).toBe('too-many');
    expect(loop.seen).toHaveLength(4);

    const file = await redirector(() => 'file:///etc/passwd');
    await expect(new HttpClient().request(`${file.url}/go`)).rejects.toMatchObject({
      reason: 'refused',
    });

    const other = await redirector(() => `http://localhost:${other.port}/x`);
    const refused = await new HttpClient()
      .request(`${other.url}/go`, { redirect: { allow: (to, from) => to.host === from.host } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RedirectError);
    expect((refused as RedirectError).to.hostname).toBe('localhost');
    expect(other.seen).toHaveLength(1);
  });

  it('checks every hop against the allowed hosts', async () => {
    const server = await redirector(() => `http://localhost:${server.port}/x`);
    const allowedHosts = [`127.0.0.1:${server.port}`];
    const error = await new HttpClient()
      .request(`${server.url}/go`, { allowedHosts })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostRefusedError);
    expect((error as HostRefusedError).hop).toBe(1);
    expect((error as HostRefusedError).url.host).toBe(`localhost:${server.port}`);
    expect(server.seen).toHaveLength(1);
    await expect(
      new HttpClient().request(`${server.url}/x`, { allowedHosts: ['example.org'] }),
    ).rejects.toMatchObject({ hop: 0 });
  });
});
