import addressparser from 'nodemailer/lib/addressparser';
import { InvalidAddressError } from './errors.js';

/** An address as callers give it: `a@example.org`, `Ann Lee <a@example.org>`, or the parts. */
export type AddressInput = string | { name?: string; address: string };

/** One mailbox: the display name (`''` when none) and the bare address. */
export interface MailAddress {
  name: string;
  address: string;
}

// RFC 5322 dot-atom text, widened to letters and digits of any script (RFC 6531 addresses).
const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const IP_LITERAL = /^\[(?:IPv6:[0-9A-Fa-f:.]+|\d{1,3}(?:\.\d{1,3}){3})\]$/;
// Control characters in a header value would let a caller's data add headers of its own.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Parses and checks one address. Throws `InvalidAddressError` naming `field` and the address
 * when it is not exactly one well-formed mailbox: a list (`a@x.org, b@x.org`), a group, a
 * missing `@`, a bad domain or control characters (header injection) are all refused.
 */
export function parseAddress(input: AddressInput, field = 'address'): MailAddress {
  if (typeof input === 'object' && input !== null) {
    const name = input.name ?? '';
    if (typeof name !== 'string' || CONTROL.test(name)) {
      throw new InvalidAddressError(field, String(name), 'is not a usable display name');
    }
    checkBareAddress(input.address, field);
    return { name: name.trim(), address: input.address };
  }
  if (typeof input !== 'string') {
    throw new InvalidAddressError(field, String(input), 'is not a string');
  }
  if (CONTROL.test(input)) {
    throw new InvalidAddressError(field, input, 'contains control characters');
  }
  if (input.trim() === '') throw new InvalidAddressError(field, input, 'is empty');
  const parsed = addressparser(input);
  if (parsed.length !== 1) {
    throw new InvalidAddressError(
      field,
      input,
      `holds ${parsed.length} addresses; give one address per entry`,
    );
  }
  const [entry] = parsed;
  if (entry === undefined || entry.group !== undefined) {
    throw new InvalidAddressError(field, input, 'is a group, not an address');
  }
  const trimmed = input.trim();
  if (!trimmed.includes('<')) {
    // addressparser reads `bo@exa mple` as the name "mple" and the address "bo@exa": a bare
    // address must be the whole input, so typos are refused rather than reinterpreted.
    checkBareAddress(trimmed, field, input);
  } else if (!trimmed.endsWith('>')) {
    throw new InvalidAddressError(field, input, 'has text after the closing ">"');
  }
  checkBareAddress(entry.address, field, input);
  return { name: entry.name, address: entry.address };
}

/** True when `input` is one well-formed address (see `parseAddress`). */
export function isValidAddress(input: AddressInput): boolean {
  try {
    parseAddress(input);
    return true;
  } catch {
    return false;
  }
}

function checkBareAddress(address: unknown, field: string, shown = address): void {
  const text = String(shown);
  if (typeof address !== 'string' || address === '') {
    throw new InvalidAddressError(field, text, 'is not an email address');
  }
  if (CONTROL.test(address) || /\s/.test(address)) {
    throw new InvalidAddressError(field, text, 'is not an email address (it contains spaces)');
  }
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) {
    throw new InvalidAddressError(field, text, 'is not an email address (expected name@domain)');
  }
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64 || address.length > 254) {
    throw new InvalidAddressError(field, text, 'is too long for an email address');
  }
  if (!LOCAL_PART.test(local)) {
    throw new InvalidAddressError(field, text, `has an invalid part before the @ ("${local}")`);
  }
  const domainOk =
    IP_LITERAL.test(domain) ||
    (domain.length <= 253 && domain.split('.').every((label) => DOMAIN_LABEL.test(label)));
  if (!domainOk) {
    throw new InvalidAddressError(field, text, `has an invalid domain ("${domain}")`);
  }
}
