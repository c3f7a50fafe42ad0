import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '@geoworks/errors';
import { openAccounts, rejection } from './helpers/setup.js';

const ann = { username: 'ann', email: 'ann@example.org', password: 'correct horse' };
const bob = { username: 'bob', email: 'bob@example.org', password: 'battery staple' };
const MINUTE = 60_000;

describe('login throttling', () => {
  it('refuses a user after 5 failed logins, the right password too, until the window ends', async () => {
    const { accounts, clock } = await openAccounts();
    await accounts.createUser(ann);
    await accounts.createUser(bob);
    for (let i = 0; i < 5; i++) {
      await expect(
        accounts.authenticate('ann', 'wrong password', { address: `10.0.0.${i}` }),
      ).rejects.toMatchObject({ code: 'INVALID_LOGIN' });
    }
    clock.advance(5 * MINUTE);
    const refused = await rejection(
      accounts.authenticate('ANN', 'correct horse', { address: '10.0.1.1' }),
    );
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect(refused).toMatchObject({
      code: 'TOO_MANY_LOGINS',
      message: 'Too many failed logins for this account: try again in 600 seconds',
      retryAfterSeconds: 600,
    });
    await expect(
      accounts.authenticate('bob', 'battery staple', { address: '10.0.0.1' }),
    ).resolves.toMatchObject({ username: 'bob' });
    clock.advance(10 * MINUTE - 1);
    await expect(accounts.authenticate('ann', 'correct horse')).rejects.toMatchObject({
      code: 'TOO_MANY_LOGINS',
      retryAfterSeconds: 1,
    });
    clock.advance(1);
    await expect(accounts.authenticate('ann', 'correct horse')).resolves.toMatchObject({
      username: 'ann',
    });
  });

  it('refuses an address after 20 failed logins, whatever the usernames', async () => {
    const { accounts } = await openAccounts();
    await accounts.createUser(ann);
    for (let i = 0; i < 20; i++) {
      await expect(
        accounts.authenticate(`guess${i}`, 'whatever', { address: '192.0.2.7' }),
      ).rejects.toMatchObject({ code: 'INVALID_LOGIN' });
    }
    await expect(
      accounts.authenticate('ann', 'correct horse', { address: '192.0.2.7' }),
    ).rejects.toMatchObject({
      code: 'TOO_MANY_LOGINS',
      message: 'Too many failed logins from this address: try again in 900 seconds',
      retryAfterSeconds: 900,
    });
    await expect(
      accounts.authenticate('ann', 'correct horse', { address: '192.0.2.8' }),
    ).resolves.toMatchObject({ username: 'ann' });
  });

  it('counts logins still being checked, so guesses sent at once gain nothing', async () => {
    const { accounts } = await openAccounts();
    await accounts.createUser(ann);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        accounts.authenticate('ann', `guess ${i}`).then(
          () => 'logged in',
          (error: { code: string }) => error.code,
        ),
      ),
    );
    expect(outcomes).toEqual([
      ...Array<string>(5).fill('INVALID_LOGIN'),
      ...Array<string>(5).fill('TOO_MANY_LOGINS'),
    ]);
  });

  it('counts again from zero after a successful login of the user', async () => {
    const { accounts } = await openAccounts();
    await accounts.createUser(ann);
    for (const password of ['a', 'b', 'c', 'd', 'correct horse', 'e', 'f', 'g', 'h']) {
      await accounts.authenticate('ann', password).catch(() => undefined);
    }
    await expect(accounts.authenticate('ann', 'correct horse')).resolves.toMatchObject({
      username: 'ann',
    });
  });

  it('takes its limits from the options, and can be turned off', async () => {
    const { accounts } = await openAccounts({
      loginThrottle: { maxFailuresPerUser: 2, maxFailuresPerAddress: 3, windowMs: MINUTE },
    });
    await accounts.createUser(ann);
    for (let i = 0; i < 2; i++) await accounts.authenticate('ann', 'wrong').catch(() => undefined);
    await expect(accounts.authenticate('ann', 'correct horse')).rejects.toMatchObject({
      code: 'TOO_MANY_LOGINS',
      retryAfterSeconds: 60,
    });
    const { accounts: open } = await openAccounts({ loginThrottle: false });
    await open.createUser(ann);
    for (let i = 0; i < 30; i++) await open.authenticate('ann', 'wrong').catch(() => undefined);
    await expect(open.authenticate('ann', 'correct horse')).resolves.toMatchObject({
      username: 'ann',
    });
    await expect(openAccounts({ loginThrottle: { maxFailuresPerUser: 0 } })).rejects.toThrow(
      'loginThrottle.maxFailuresPerUser must be an integer from 1',
    );
  });
});
