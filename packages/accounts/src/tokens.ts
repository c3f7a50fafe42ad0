import { createHash, randomBytes } from 'node:crypto';

// 32 random bytes (256 bits) as base64url: 43 characters, safe in URLs and cookies.
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What the database keeps instead of a token: its SHA-256. Someone reading the file (a
 * backup, a leaked copy) cannot use the sessions and reset links in it, and looking a token
 * up by its hash leaks nothing useful through timing.
 */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function isWellFormedToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN.test(token);
}
