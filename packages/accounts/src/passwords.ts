import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { InvalidInputError } from '@geoworks/errors';
import { InvalidPasswordError } from './errors.js';

/** scrypt cost parameters: `cost` is N (a power of two), `blockSize` r, `parallelism` p. */
export interface PasswordHashing {
  cost?: number;
  blockSize?: number;
  parallelism?: number;
}

export interface HashParameters {
  cost: number;
  blockSize: number;
  parallelism: number;
}

// N = 2^15 with r = 8 takes 32 MiB and some 50-100 ms: OWASP's scrypt floor is 2^17 with 128
// MiB, which a login burst on a small server turns into memory exhaustion. Raise it where the
// machine allows: parameters are stored with each hash and older hashes are upgraded at login.
export const DEFAULT_HASHING: HashParameters = { cost: 2 ** 15, blockSize: 8, parallelism: 1 };

// Limits on stored parameters, so a damaged or hostile row cannot make one login take
// gigabytes of memory.
const MAX_COST = 2 ** 20;
const MAX_BLOCK_SIZE = 32;
const MAX_PARALLELISM = 16;
const KEY_BYTES = 64;
const SALT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SALT_LENGTH = 22; // ~131 bits, as Django's get_random_string(22)

/**
 * Django's ScryptPasswordHasher format, `scrypt$N$salt$r$p$base64(hash)` with a 64-byte key,
 * so hashes move between this package and a Django user table in both directions.
 */
const ENCODED = /^scrypt\$(\d+)\$([A-Za-z0-9]+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})$/;

export function checkHashing(options: PasswordHashing = {}): HashParameters {
  const parameters = { ...DEFAULT_HASHING, ...options };
  const { cost, blockSize, parallelism } = parameters;
  if (!Number.isInteger(cost) || cost < 2 || cost > MAX_COST || (cost & (cost - 1)) !== 0) {
    throw new InvalidInputError(
      `passwordHashing.cost must be a power of two from 2 to ${MAX_COST}`,
    );
  }
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
    throw new InvalidInputError(
      `passwordHashing.blockSize must be an integer from 1 to ${MAX_BLOCK_SIZE}`,
    );
  }
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > MAX_PARALLELISM) {
    throw new InvalidInputError(
      `passwordHashing.parallelism must be an integer from 1 to ${MAX_PARALLELISM}`,
    );
  }
  return parameters;
}

/** Refuses passwords that break the rules, with a message a user can act on. */
export function checkNewPassword(password: unknown, minLength: number): string {
  if (typeof password !== 'string') {
    throw new InvalidInputError('The password must be a string', { code: 'INVALID_PASSWORD' });
  }
  // Characters as a person counts them (code points), not UTF-16 units.
  const length = [...password].length;
  if (length < minLength) {
    throw new InvalidPasswordError(
      'PASSWORD_TOO_SHORT',
      `The password is too short: it must have at least ${minLength} characters (it has ${length})`,
      minLength,
    );
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new InvalidPasswordError(
      'PASSWORD_TOO_LONG',
      `The password is too long: it may have at most ${MAX_PASSWORD_LENGTH} characters`,
      MAX_PASSWORD_LENGTH,
    );
  }
  return password;
}

export const MAX_PASSWORD_LENGTH = 1024;

export async function hashPassword(password: string, parameters: HashParameters): Promise<string> {
  const salt = randomSalt();
  const key = await derive(password, salt, parameters);
  return encode(parameters, salt, key);
}

/**
 * True when `password` matches `encoded`, comparing in constant time. A malformed hash, or one
 * with parameters out of bounds, matches nothing.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = decode(encoded);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.parameters, parsed.key.length);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when a stored hash was made with weaker parameters than `wanted` (rehash at login). */
export function needsRehash(encoded: string, wanted: HashParameters): boolean {
  const parsed = decode(encoded);
  if (parsed === undefined) return true;
  const { cost, blockSize, parallelism } = parsed.parameters;
  return cost < wanted.cost || blockSize < wanted.blockSize || parallelism < wanted.parallelism;
}

/**
 * A well-formed hash of no password: verifying against it costs what verifying a real hash
 * with the same parameters costs, which is the point (unknown users take as long as known).
 */
export function decoyHash(parameters: HashParameters): string {
  return encode(parameters, randomSalt(), randomBytes(KEY_BYTES));
}

function encode(parameters: HashParameters, salt: string, key: Buffer): string {
  const { cost, blockSize, parallelism } = parameters;
  return `scrypt$${cost}$${salt}$${blockSize}$${parallelism}$${key.toString('base64')}`;
}

function decode(
  encoded: string,
): { parameters: HashParameters; salt: string; key: Buffer } | undefined {
  const match = ENCODED.exec(encoded);
  if (match === null) return undefined;
  const [, cost, salt, blockSize, parallelism, key] = match;
  const parameters = {
    cost: Number(cost),
    blockSize: Number(blockSize),
    parallelism: Number(parallelism),
  };
  try {
    checkHashing(parameters);
  } catch {
    return undefined;
  }
  const keyBytes = Buffer.from(key!, 'base64');
  if (keyBytes.length < 16) return undefined;
  return { parameters, salt: salt!, key: keyBytes };
}

function derive(
  password: string,
  salt: string,
  parameters: HashParameters,
  length = KEY_BYTES,
): Promise<Buffer> {
  const { cost, blockSize, parallelism } = parameters;
  const options: ScryptOptions = {
    N: cost,
    r: blockSize,
    p: parallelism,
    // scrypt needs 128 * N * r bytes; Node's default ceiling (32 MiB) is just short of N=2^15.
    maxmem: 256 * cost * blockSize * parallelism,
  };
  return new Promise((resolve, reject) => {
    scrypt(
      Buffer.from(password, 'utf8'),
      Buffer.from(salt, 'utf8'),
      length,
      options,
      (error, key) => (error === null ? resolve(key) : reject(error)),
    );
  });
}

function randomSalt(): string {
  let salt = '';
  for (let index = 0; index < SALT_LENGTH; index++) {
    salt += SALT_ALPHABET[randomInt(SALT_ALPHABET.length)];
  }
  return salt;
}
