import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '@geoworks/errors';
import { Accounts, type NewUser } from '../src/index.js';
import { FAST_HASHING, openAccounts, rejection } from './helpers/setup.js';

const ann: NewUser = { username: 'ann', email: 'ann@example.org', password: 'correct horse' };

describe('users', () => {
  it('creates a user and stores a salted scrypt hash with its parameters (Django format)', async () => {
    const { accounts, file, clock } = await openAccounts();
    const user = await accounts.createUser({ ...ann, email: 'Ann.Lee@Example.ORG' });
    expect(user).toEqual({
      id: 1,
      username: 'ann',
      email: 'Ann.Lee@example.org', // the domain is lower-cased, as Django's normalize_email
      isActive: true,
      isSuperuser: false,
      createdAt: new Date(clock.time),
      lastLoginAt: null,
    });
    await accounts.createUser({ ...ann, username: 'bo', email: 'bo@example.org' });
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const hashes = (db.prepare('SELECT password FROM users').all() as { password: string }[]).map(
        (row) => row.password,
      );
      for (const hash of hashes) {
        expect(hash).toMatch(/^scrypt\$1024\$[A-Za-z0-9]{22}\$8\$1\$[A-Za-z0-9+/]{86}==$/);
        expect(hash).not.toContain('correct horse');
      }
      // Same password, different salts, different hashes.
      expect(hashes[0]!.split('$')[2]).not.toBe(hashes[1]!.split('$')[2]);
      expect(hashes[0]!.split('$')[5]).not.toBe(hashes[1]!.split('$')[5]);
    } finally {
      db.close();
    }
  });

  it('joins groups at creation, and marks superusers', async () => {
    const { accounts } = await openAccounts();
    const user = await accounts.createUser({ ...ann, groups: ['risk', 'hazard'], superuser: true });
    expect(user.isSuperuser).toBe(true);
    expect(await accounts.groupsOf(user)).toEqual(['hazard', 'risk']);
    expect(await accounts.groupsOf('ann')).toEqual(['hazard', 'risk']);
  });

  it('refuses a username that exists in any case', async () => {
    const { accounts } = await openAccounts();
    await accounts.createUser(ann);
    const error = await rejection(accounts.createUser({ ...ann, username: 'ANN' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({
      code: 'USERNAME_TAKEN',
      message: 'The username "ANN" is already taken',
    });
    expect(await accounts.getUser('Ann')).toMatchObject({ username: 'ann' });
    expect(await accounts.getUser('nobody')).toBeNull();
  });

  it.each<[string, Partial<NewUser>, string, string]>([
    [
      'an empty username',
      { username: '' },
      'INVALID_USERNAME',
      'Username "" is not valid: use 1 to 150 letters, digits and @ . + - _',
    ],
    [
      'a username with a space',
      { username: 'ann lee' },
      'INVALID_USERNAME',
      'Username "ann lee" is not valid: use 1 to 150 letters, digits and @ . + - _',
    ],
    [
      'a long username',
      { username: 'a'.repeat(151) },
      'INVALID_USERNAME',
      `Username "${'a'.repeat(151)}" is not valid: use 1 to 150 letters, digits and @ . + - _`,
    ],
    [
      'a bad email',
      { email: 'ann@' },
      'INVALID_EMAIL',
      'email: "ann@" is not an email address (expected name@domain)',
    ],
    [
      'an email with a name',
      { email: 'Ann <ann@example.org>' },
      'INVALID_EMAIL',
      'email: "Ann <ann@example.org>" must be a bare address',
    ],
    [
      'a short password',
      { password: 'seven77' },
      'PASSWORD_TOO_SHORT',
      'The password is too short: it must have at least 8 characters (it has 7)',
    ],
    [
      'an empty password',
      { password: '' },
      'PASSWORD_TOO_SHORT',
      'The password is too short: it must have at least 8 characters (it has 0)',
    ],
    [
      'a password of 7 characters in 14 UTF-16 units',
      { password: '🔑🔑🔑🔑🔑🔑🔑' },
      'PASSWORD_TOO_SHORT',
      'The password is too short: it must have at least 8 characters (it has 7)',
    ],
    [
      'a password over 1024 characters',
      { password: 'x'.repeat(1025) },
      'PASSWORD_TOO_LONG',
      'The password is too long: it may have at most 1024 characters',
    ],
    [
      'a bad group name',
      { groups: [' risk'] },
      'INVALID_GROUP',
      'Group name " risk" is not valid: use 1 to 150 characters, without control characters or surrounding spaces',
    ],
  ])('refuses %s with a clear message', async (_, change, code, message) => {
    const { accounts } = await openAccounts();
    const error = await rejection(accounts.createUser({ ...ann, ...change }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code, message });
    expect(await accounts.listUsers()).toEqual([]);
  });

  it('accepts passwords of 8 characters, counted as characters', async () => {
    const { accounts } = await openAccounts();
    await accounts.createUser({ ...ann, password: 'pässwörd' });
    await expect(accounts.authenticate('ann', 'pässwörd')).resolves.toMatchObject({ id: 1 });
  });

  it('takes a stricter minimum length when configured', async () => {
    const { accounts } = await openAccounts({ minPasswordLength: 16 });
    await expect(accounts.createUser(ann)).rejects.toThrow(
      'The password is too short: it must have at least 16 characters (it has 13)',
    );
  });

  it('lists users by username and keeps them across reopening', async () => {
    const { accounts, file } = await openAccounts();
    for (const username of ['carla', 'Bo', 'ann']) {
      await accounts.createUser({ ...ann, username, email: `${username}@example.org` });
    }
    expect((await accounts.listUsers()).map((user) => user.username)).toEqual([
      'ann',
      'Bo',
      'carla',
    ]);
    await accounts.close();
    const reopened = await Accounts.open({ file, passwordHashing: FAST_HASHING });
    try {
      expect((await reopened.listUsers()).map((user) => user.id)).toEqual([3, 2, 1]);
      await expect(reopened.authenticate('carla', 'correct horse')).resolves.toMatchObject({
        id: 1,
      });
    } finally {
      await reopened.close();
    }
  });

  it('refuses to be used once closed', async () => {
    const { accounts } = await openAccounts();
    await accounts.close();
    await expect(accounts.listUsers()).rejects.toMatchObject({
      kind: 'unavailable',
      code: 'ACCOUNTS_CLOSED',
    });
  });
});

describe('groups', () => {
  it('adds, lists, compares and removes memberships', async () => {
    const { accounts } = await openAccounts();
    const a = await accounts.createUser({ ...ann, groups: ['risk'] });
    const b = await accounts.createUser({ ...ann, username: 'bo', email: 'bo@example.org' });
    const c = await accounts.createUser({ ...ann, username: 'carla', email: 'c@example.org' });
    expect(await accounts.sharesGroup(a, b)).toBe(false);
    await accounts.addToGroup(b, 'risk');
    await accounts.addToGroup(b, 'risk'); // twice is once
    await accounts.addToGroup('carla', 'hazard');
    expect(await accounts.groupsOf(b)).toEqual(['risk']);
    expect(await accounts.sharesGroup(a, b)).toBe(true);
    expect(await accounts.sharesGroup('bo', 'ann')).toBe(true);
    expect(await accounts.sharesGroup(a, c)).toBe(false);
    expect(await accounts.sharesGroup(a, a)).toBe(true);
    await accounts.removeFromGroup(b, 'risk');
    expect(await accounts.sharesGroup(a, b)).toBe(false);
    const loner = await accounts.createUser({ ...ann, username: 'dan', email: 'd@example.org' });
    expect(await accounts.sharesGroup(loner, loner)).toBe(false);
  });

  it("lists the owners whose jobs a user may see: its own and its groups' members", async () => {
    const { accounts } = await openAccounts();
    const a = await accounts.createUser({ ...ann, groups: ['risk', 'hazard'] });
    await accounts.createUser({
      ...ann,
      username: 'bo',
      email: 'bo@example.org',
      groups: ['risk'],
    });
    await accounts.createUser({
      ...ann,
      username: 'carla',
      email: 'c@example.org',
      groups: ['hazard'],
    });
    await accounts.createUser({
      ...ann,
      username: 'dan',
      email: 'd@example.org',
      groups: ['exposure'],
    });
    const loner = await accounts.createUser({ ...ann, username: 'eve', email: 'e@example.org' });
    expect(await accounts.visibleOwners(a)).toEqual(['ann', 'bo', 'carla']);
    expect(await accounts.visibleOwners('BO')).toEqual(['ann', 'bo']);
    await accounts.deactivate('carla');
    expect(await accounts.visibleOwners('ann')).toEqual(['ann', 'bo', 'carla']);
    expect(await accounts.visibleOwners(loner)).toEqual(['eve']);
    expect(await rejection(accounts.visibleOwners('nobody'))).toBeInstanceOf(NotFoundError);
  });

  it('names an unknown user', async () => {
    const { accounts } = await openAccounts();
    const error = await rejection(accounts.addToGroup('nobody', 'risk'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'UNKNOWN_USER', message: 'No user named "nobody"' });
    await expect(
      accounts.groupsOf({ id: 99 } as Parameters<typeof accounts.groupsOf>[0]),
    ).rejects.toThrow('No user with id 99');
  });
});
