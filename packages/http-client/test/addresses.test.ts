import { describe, expect, it } from 'vitest';
import {
  AddressRefusedError,
  HttpClient,
  hostAllowed,
  hostNamed,
  nonPublicRange,
  refusedAddress,
  type AddressPolicy,
} from '../src/index.js';
import { serve } from './helpers.js';

describe('nonPublicRange', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['10.0.0.1', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.0.1', 'a private address'],
    ['169.254.169.254', 'the cloud metadata address'],
    ['169.254.0.1', 'a link-local address'],
    ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
    ['100.127.255.255', 'a shared (carrier-grade NAT) address'],
    ['0.0.0.0', 'a "this network" address'],
    ['0.1.2.3', 'a "this network" address'],
    ['192.0.2.7', 'a documentation address'],
    ['198.18.0.1', 'a benchmarking address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a reserved address'],
    ['::', 'the unspecified address'],
    ['::1', 'a loopback address'],
    ['[::1]', 'a loopback address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:7f00:1', 'a loopback address'],
    ['::ffff:10.1.2.3', 'a private address'],
    ['::ffff:169.254.169.254', 'the cloud metadata address'],
    ['64:ff9b::7f00:1', 'a loopback address'],
    ['2002:a00:1::', 'a private address'],
    ['::127.0.0.1', 'a reserved (IPv4-compatible) address'],
    ['fc00::1', 'a private (unique local) address'],
    ['fd12:3456:789a::1', 'a private (unique local) address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['febf::1', 'a link-local address'],
    ['fec0::1', 'a private (site-local) address'],
    ['ff02::1', 'a multicast address'],
    ['2001:db8::1', 'a documentation address'],
    ['2001::1', 'a reserved address'],
  ])('%s is %s', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '172.15.255.255',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is public', (address) => {
    expect(nonPublicRange(address)).toBeUndefined();
  });
});

describe('hostAllowed and hostNamed', () => {
  const allowed = ['ckan.museum.org', 'localhost:5000', '*.data.org'];

  it('matches names, ports and subdomain wildcards', () => {
    expect(hostAllowed(new URL('https://ckan.museum.org/x'), allowed)).toBe(true);
    expect(hostAllowed(new URL('https://museum.org/x'), allowed)).toBe(false);
    expect(hostAllowed(new URL('https://evilmuseum.org/x'), allowed)).toBe(false);
    expect(hostAllowed(new URL('http://localhost:5000/x'), allowed)).toBe(true);
    expect(hostAllowed(new URL('http://localhost:5001/x'), allowed)).toBe(false);
    expect(hostAllowed(new URL('https://a.data.org/x'), allowed)).toBe(true);
    expect(hostAllowed(new URL('https://data.org/x'), allowed)).toBe(false);
    expect(hostAllowed(new URL('http://anything/x'), ['*'])).toBe(true);
    expect(hostAllowed(new URL('http://anything/x'), [])).toBe(true);
    expect(hostAllowed(new URL('http://anything/x'), undefined)).toBe(true);
  });

  it('tells a host named in the list from one only `*` allows', () => {
    expect(hostNamed(new URL('http://localhost:5000/'), [...allowed, '*'])).toBe(true);
    expect(hostNamed(new URL('http://localhost:5001/'), [...allowed, '*'])).toBe(false);
    expect(hostNamed(new URL('http://localhost:5001/'), undefined)).toBe(false);
  });
});

describe('address policies', () => {
  const publicOnly: AddressPolicy = { refuse: nonPublicRange };

  it('refuses an IP literal before connecting, and a name by the address it resolves to', async () => {
    const server = await serve((_request, response) => response.writeHead(200).end());
    const client = new HttpClient({ retry: { retries: 0 } });
    const literal = await client
      .request(`${server.url}/x`, { addresses: publicOnly })
      .catch((e: unknown) => e);
    expect(literal).toBeInstanceOf(AddressRefusedError);
    expect((literal as Error).message).toBe('Host "127.0.0.1" is a loopback address');

    const named = await client
      .request(`http://localhost:${server.port}/x`, { addresses: publicOnly })
      .catch((e: unknown) => e);
    expect(named).toBeInstanceOf(AddressRefusedError);
    expect((named as AddressRefusedError).host).toBe('localhost');
    expect((named as Error).message).toMatch(
      /^Host "localhost" resolves to \S+, a loopback address$/,
    );
    expect(server.seen).toEqual([]);

    // A policy that does not apply to a URL lets it through.
    const open = { ...publicOnly, appliesTo: (url: URL) => url.hostname !== 'localhost' };
    const response = await client.request(`http://localhost:${server.port}/y`, { addresses: open });
    expect(response.status).toBe(200);
    expect(server.seen.map((request) => request.path)).toEqual(['/y']);
  });

  it('checks every redirect, naming the hop', async () => {
    const inside = await serve((_request, response) => response.writeHead(200).end());
    const outside = await serve((_request, response) =>
      response.writeHead(302, { location: `http://localhost:${inside.port}/secret` }).end(),
    );
    const error = await new HttpClient()
      .request(`${outside.url}/go`, {
        // The first host is trusted (as if named by configuration), where it sends us is not.
        addresses: { ...publicOnly, appliesTo: (url) => url.port !== String(outside.port) },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AddressRefusedError);
    expect((error as AddressRefusedError).hop).toBe(1);
    expect((error as AddressRefusedError).url?.pathname).toBe('/secret');
    expect(inside.seen).toEqual([]);
  });

  it('resolves a host ahead of time to refuse it early', async () => {
    expect(await refusedAddress(new URL('http://127.0.0.1/'), nonPublicRange)).toEqual({
      host: '127.0.0.1',
      address: '127.0.0.1',
      range: 'a loopback address',
    });
    expect(await refusedAddress(new URL('http://localhost/'), nonPublicRange)).toMatchObject({
      host: 'localhost',
      range: 'a loopback address',
    });
    expect(await refusedAddress(new URL('http://93.184.215.14/'), nonPublicRange)).toBeUndefined();
    // A name that does not resolve now is left to the request.
    expect(
      await refusedAddress(new URL('http://nothing.invalid/'), nonPublicRange),
    ).toBeUndefined();
  });
});
