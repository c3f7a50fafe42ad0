import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, isIPv4 } from 'node:net';
import { Agent } from 'undici';
import { AddressRefusedError } from './errors.js';

/**
 * What an address that is not on the public internet is, for the error message; undefined
 * for a public address. Covers the IPv4 and IPv6 special-purpose ranges a request could be
 * steered to: loopback, private networks, link-local (with the cloud metadata service),
 * carrier-grade NAT, "this network", documentation, benchmarking, multicast and reserved
 * space, and IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4), judged by it.
 */
export function nonPublicRange(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(bare)) return ipv4Range(ipv4Number(bare));
  if (isIP(bare) !== 6) return 'not an IP address';
  return ipv6Range(ipv6Number(bare));
}

const IPV4_RANGES: [string, number, string][] = [
  ['169.254.169.254', 32, 'the cloud metadata address'],
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a reserved address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
].map(([base, bits, label]) => [base as string, bits as number, label as string]);

function ipv4Number(address: string): number {
  return address.split('.').reduce((total, part) => total * 256 + Number(part), 0);
}

function ipv4Range(value: number): string | undefined {
  for (const [base, bits, label] of IPV4_RANGES) {
    const size = 2 ** (32 - bits);
    if (Math.floor(value / size) === Math.floor(ipv4Number(base) / size)) return label;
  }
  return undefined;
}

function ipv6Number(address: string): bigint {
  let text = address.toLowerCase();
  // A trailing dotted quad (::ffff:127.0.0.1) is the last two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad !== null) {
    const value = ipv4Number(quad[1]!);
    text = `${text.slice(0, quad.index)}${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((total, group) => (total << 16n) | BigInt(`0x${group}`), 0n);
}

const IPV6_RANGES: [bigint, number, string][] = [
  ['::', 128, 'the unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['::', 96, 'a reserved (IPv4-compatible) address'],
  ['64:ff9b:1::', 48, 'a private (local NAT64) address'],
  ['100::', 64, 'a reserved (discard) address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['2001::', 23, 'a reserved address'],
  ['fc00::', 7, 'a private (unique local) address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a private (site-local) address'],
  ['ff00::', 8, 'a multicast address'],
].map(([base, bits, label]) => [ipv6Number(base as string), bits as number, label as string]);

const inPrefix = (value: bigint, base: bigint, bits: number) =>
  value >> BigInt(128 - bits) === base >> BigInt(128 - bits);

function ipv6Range(value: bigint): string | undefined {
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address they hold.
  if (
    inPrefix(value, ipv6Number('::ffff:0:0'), 96) ||
    inPrefix(value, ipv6Number('64:ff9b::'), 96)
  ) {
    return ipv4Range(Number(value & 0xffffffffn));
  }
  // 6to4 (2002:aabb:ccdd::/48) is routed to the IPv4 address aa.bb.cc.dd.
  if (inPrefix(value, ipv6Number('2002::'), 16)) {
    return ipv4Range(Number((value >> 80n) & 0xffffffffn));
  }
  for (const [base, bits, label] of IPV6_RANGES) {
    if (inPrefix(value, base, bits)) return label;
  }
  return undefined;
}

/**
 * Which addresses a request may connect to. The client checks an IP-literal host itself and
 * every address a host name resolves to when a connection is opened (`addressCheckingAgent`),
 * for the first URL and every redirect: a name re-pointed after an earlier check (DNS
 * rebinding) gains nothing.
 */
export interface AddressPolicy {
  /**
   * Why connections to `address` are refused (`a loopback address`), or undefined to allow
   * them. `nonPublicRange` refuses every address outside the public internet. Give the same
   * function each time: connections are pooled per function.
   */
  refuse(address: string): string | undefined;
  /** Whether connections for `url` are checked (default: all). */
  appliesTo?(url: URL): boolean;
}

export interface AddressRefusal {
  host: string;
  address: string;
  range: string;
}

/** The refusal of a URL whose host is an IP literal `refuse` refuses; undefined otherwise. */
export function refusedLiteral(
  url: URL,
  refuse: AddressPolicy['refuse'],
): AddressRefusal | undefined {
  const address = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(address) === 0) return undefined;
  const range = refuse(address);
  return range === undefined ? undefined : { host: url.hostname, address, range };
}

/**
 * Resolves `url`'s host now and gives the first address `refuse` refuses (an IP literal is
 * judged as it is), so a request can be refused when it is made rather than when it is sent.
 * A name that does not resolve now is not refused: sending it will tell.
 */
export async function refusedAddress(
  url: URL,
  refuse: AddressPolicy['refuse'],
): Promise<AddressRefusal | undefined> {
  const literal = refusedLiteral(url, refuse);
  if (literal !== undefined || isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) return literal;
  let addresses: LookupAddress[];
  try {
    addresses = await new Promise((resolve, reject) =>
      dnsLookup(url.hostname, { all: true }, (error, found) =>
        error ? reject(error) : resolve(found),
      ),
    );
  } catch {
    return undefined;
  }
  for (const { address } of addresses) {
    const range = refuse(address);
    if (range !== undefined) return { host: url.hostname, address, range };
  }
  return undefined;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

const agents = new WeakMap<AddressPolicy['refuse'], Agent>();

/**
 * An undici dispatcher whose connections check the addresses they are opened to: the address
 * checked is the one the socket then connects to, and every address of the name must pass. A
 * refused one fails the connection with an `AddressRefusedError` (as the fetch error's cause).
 * One agent per `refuse` function, so its connections are reused.
 */
export function addressCheckingAgent(refuse: AddressPolicy['refuse']): Agent {
  let agent = agents.get(refuse);
  if (agent === undefined) {
    const lookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) {
          callback(error, []);
          return;
        }
        for (const { address } of addresses) {
          const range = refuse(address);
          if (range !== undefined) {
            const refused = new AddressRefusedError({ host: hostname, address, range });
            callback(refused as Error & NodeJS.ErrnoException, []);
            return;
          }
        }
        if (options.all === true) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    };
    agent = new Agent({ connect: { lookup } });
    agents.set(refuse, agent);
  }
  return agent;
}
