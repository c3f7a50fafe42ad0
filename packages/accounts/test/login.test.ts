import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ForbiddenError, UnauthorizedError, type GeoworksError } from '@geoworks/errors';
import { openAccounts, rejection } from './helpers/setup.js';

const ann = { username: 'ann', email: 'ann@example.org', password: 'correct horse' };

// Made by Django's ScryptPasswordHasher (hashlib.scrypt, n=2**14, r=8, p=1, dklen=64) for the
// password "correct horse battery staple" and the salt "Wn4u2a7TQzVj0pLkXcD9eF".
const DJANGO_HASH =
  'scrypt$16384$Wn4u2a7TQzVj0pLkXcD9eF$8$1$Q1hPDA3g1WAhl1irJYflxH0AbU1Q9SIUInrn4coFlQ1/Yr6qRxJMSuJFXM63LwTR49+xuHlkg+yPy0kKb9kjCg==';

describe('authenticate', () => {
  it('returns the user for the right password, in any username case, and records the login', async () => {
    const { accounts, clock } = await openAccounts();
    await accounts.createUser(ann);
    clock.advance(5_000);
    const user = await accounts.authenticate('ANN', 'correct horse');
    expect(user).toMatchObject({ id: 1, username: 'ann', lastLoginAt: new Date(clock.time) });
  });

  it('gives the same INVALID_LOGIN for a wrong password and an unknown user', async () => {
    const { accounts } = await openAccounts();
    await accounts.createUser(ann);
    const wrong = await rejection(accounts.authenticate('ann', 'correct horse!'));
    const unknown = await rejection(accounts.authenticate('nobody', 'correct horse'));
    for (const error of [wrong, unknown]) {
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error).toMatchObject({
        kind: 'unauthorized',
        code: 'INVALID_LOGIN',
        message: 'Invalid username or password',
      });
    }
    const withoutStack = (error: Error) => ({ ...(error as GeoworksError).toJSON(), stack: '' });
    expect(withoutStack(wrong)).toEqual(withoutStack(unknown));
    for (const [username, password] of [
      ['ann', ''],
      ['', 'correct horse'],
      [42, 'correct horse'],
      ['ann', 'x'.repeat(10_000)],
    ]) {
      await expect(
        accounts.authenticate(username as string, password as string),
      ).rejects.toMatchObject({ code: 'INVALID_LOGIN' });
    }
  });

  it('says DISABLED_ACCOUNT only to someone who knows the password', async () => {
    const { accounts } = await openAccounts();
    const user = await accounts.createUser(ann);
    await accounts.deactivate(user);
    const disabled = await rejection(accounts.authenticate('ann', 'correct horse'));
    expect(disabled).toBeInstanceOf(ForbiddenError);
    expect(disabled).toMatchObject({
      code: 'DISABLED_ACCOUNT',
      message: 'This account is disabled',
    });
    await expect(accounts.authenticate('ann', 'wrong password')).rejects.toMatchObject({
      code: 'INVALID_LOGIN',
    });
    await accounts.activate('ann');
    await expect(accounts.authenticate('ann', 'correct horse')).resolves.toMatchObject({ id: 1 });
  });

  // That an unknown user costs the same scrypt work as a wrong password is a timing claim: the
  // bench script (npm run bench) measures both and prints their ratio; a unit test asserting it
  // would fail on a busy machine for no fault of the code.

  it('accepts a hash made by Django and upgrades it to the configured parameters', async () => {
    const { accounts, file } = await openAccounts({ passwordHashing: { cost: 2 ** 15 } });
    await accounts.createUser(ann);
    const db = new Database(file);
    const stored = () =>
      (db.prepare('SELECT password FROM users WHERE id = 1').get() as { password: string })
        .password;
    try {
      db.prepare('UPDATE users SET password = ? WHERE id = 1').run(DJANGO_HASH);
      await expect(accounts.authenticate('ann', 'correct horse')).rejects.toMatchObject({
        code: 'INVALID_LOGIN',
      });
      expect(stored()).toBe(DJANGO_HASH);
      await expect(
        accounts.authenticate('ann', 'correct horse battery staple'),
      ).resolves.toMatchObject({ id: 1 });
      expect(stored()).toMatch(/^scrypt\$32768\$[A-Za-z0-9]{22}\$8\$1\$/);
      await expect(
        accounts.authenticate('ann', 'correct horse battery staple'),
      ).resolves.toMatchObject({ id: 1 });
    } finally {
      db.close();
    }
  });

  it('matches nothing against a damaged or hostile stored hash', async () => {
    const { accounts, file } = await openAccounts();
    await accounts.createUser(ann);
    const db = new Database(file);
    try {
      for (const hash of [
        '',
        '!',
        'pbkdf2_sha256$600000$salt$abc=',
        'scrypt$1048577$Wn4u2a7TQzVj0pLkXcD9eF$8$1$Q1hPDA3g1WAhl1irJYflxH0AbU1Q9SIUInrn4coFlQ1/Yr6qRxJMSuJFXM63LwTR49+xuHlkg+yPy0kKb9kjCg==',
        'scrypt$16384$Wn4u2a7TQzVj0pLkXcD9eF$8$1$',
      ]) {
        db.prepare('UPDATE users SET password = ? WHERE id = 1').run(hash);
        await expect(accounts.authenticate('ann', 'correct horse')).rejects.toMatchObject({
          code: 'INVALID_LOGIN',
        });
      }
    } finally {
      db.close();
    }
  });
});

describe('sessions', () => {
  const DAY = 86_400_000;

  it('maps a random token to its user and stores only its hash', async () => {
    const { accounts, file } = await openAccounts();
    const user = await accounts.createUser(ann);
    const token = await accounts.createSession(user);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    expect(await accounts.createSession('ann')).not.toBe(token);
    expect(await accounts.userForSession(token)).toMatchObject({ id: 1, username: 'ann' });
    const db = new Database(file, { readonly: true });
    try {
      const hashes = (
        db.prepare('SELECT token_hash FROM sessions').all() as { token_hash: Buffer }[]
      ).map((row) => row.token_hash.toString('hex'));
      expect(hashes).toContain(createHash('sha256').update(token).digest('hex'));
      expect(JSON.stringify(db.prepare('SELECT * FROM sessions').all())).not.toContain(token);
    } finally {
      db.close();
    }
  });

  it('answers null for unknown, malformed and ended tokens', async () => {
    const { accounts } = await openAccounts();
    const token = await accounts.createSession(await accounts.createUser(ann));
    expect(await accounts.userForSession('A'.repeat(43))).toBeNull();
    expect(await accounts.userForSession('not a token')).toBeNull();
    expect(await accounts.userForSession(undefined as unknown as string)).toBeNull();
    expect(await accounts.endSession(token)).toBe(true);
    expect(await accounts.endSession(token)).toBe(false);
    expect(await accounts.userForSession(token)).toBeNull();
  });

  it('expires after sessionTtlMs without use, and each use renews it (sliding)', async () => {
    const { accounts, clock } = await openAccounts({ sessionTtlMs: 14 * DAY });
    const token = await accounts.createSession(await accounts.createUser(ann));
    clock.advance(13 * DAY);
    expect(await accounts.userForSession(token)).not.toBeNull(); // renewed to 14 days from now
    clock.advance(13 * DAY);
    expect(await accounts.userForSession(token)).not.toBeNull();
    clock.advance(14 * DAY);
    expect(await accounts.userForSession(token)).toBeNull();
    clock.advance(-14 * DAY); // the expired session was deleted, not just refused
    expect(await accounts.userForSession(token)).toBeNull();
  });

  it('expires exactly at the TTL', async () => {
    const { accounts, clock } = await openAccounts({ sessionTtlMs: 3_600_000 });
    const token = await accounts.createSession(await accounts.createUser(ann));
    clock.advance(3_600_000 - 1);
    const other = await accounts.createSession('ann');
    expect(await accounts.userForSession(other)).not.toBeNull();
    clock.advance(1);
    expect(await accounts.userForSession(token)).toBeNull();
  });

  it('ends every session of a user on deactivation and on a password change', async () => {
    const { accounts } = await openAccounts();
    const user = await accounts.createUser(ann);
    const first = await accounts.createSession(user);
    await accounts.setPassword('ann', 'a new password');
    expect(await accounts.userForSession(first)).toBeNull();
    await expect(accounts.authenticate('ann', 'a new password')).resolves.toMatchObject({ id: 1 });
    await expect(accounts.authenticate('ann', 'correct horse')).rejects.toMatchObject({
      code: 'INVALID_LOGIN',
    });
    const second = await accounts.createSession(user);
    await accounts.deactivate(user);
    expect(await accounts.userForSession(second)).toBeNull();
    await expect(accounts.createSession(user)).rejects.toMatchObject({
      code: 'DISABLED_ACCOUNT',
    });
    await accounts.activate(user);
    const third = await accounts.createSession(user);
    expect(await accounts.endAllSessions(user)).toBe(1);
    expect(await accounts.userForSession(third)).toBeNull();
  });

  it('prunes expired sessions', async () => {
    const { accounts, clock } = await openAccounts({ sessionTtlMs: 1_000 });
    await accounts.createSession(await accounts.createUser(ann));
    await accounts.createSession('ann');
    clock.advance(1_000);
    expect(await accounts.prune()).toEqual({ sessions: 2, resetLinks: 0 });
  });
});
