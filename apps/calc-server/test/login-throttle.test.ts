// Failed logins are limited per user and per address: then 429 with Retry-After.
import { describe, expect, it } from 'vitest';
import { startServer } from './helpers.js';

async function withServer(env: Record<string, string>, test: (base: string) => Promise<void>) {
  const { server } = await startServer({ CALC_SERVER_LOCKDOWN: 'true', ...env });
  try {
    for (const username of ['ann', 'bob']) {
      await server.accounts.createUser({
        username,
        email: `${username}@example.org`,
        password: `${username}-password`,
      });
    }
    await test(server.url.replace(/\/$/, ''));
  } finally {
    await server.stop();
  }
}

async function login(base: string, username: string, password: string) {
  const response = await fetch(`${base}/accounts/ajax_login/`, {
    method: 'POST',
    body: new URLSearchParams({ username, password }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    text: await response.text(),
  };
}

describe('login throttling', () => {
  it('refuses a user after CALC_SERVER_LOGIN_MAX_FAILURES wrong passwords, the right one too', async () => {
    await withServer({ CALC_SERVER_LOGIN_MAX_FAILURES: '3' }, async (base) => {
      for (let i = 0; i < 3; i++) {
        expect(await login(base, 'ann', `wrong ${i}`)).toEqual({
          status: 403,
          retryAfter: null,
          text: 'Invalid login',
        });
      }
      expect(await login(base, 'ann', 'ann-password')).toEqual({
        status: 429,
        retryAfter: '900',
        text: JSON.stringify({
          error: 'Too many failed logins for this account: try again in 900 seconds',
        }),
      });
      expect(await login(base, 'bob', 'bob-password')).toMatchObject({
        status: 200,
        text: 'Successful login',
      });
    });
  });

  it('refuses an address after CALC_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS failures', async () => {
    await withServer(
      { CALC_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS: '4', CALC_SERVER_LOGIN_WINDOW: '2m' },
      async (base) => {
        for (const username of ['carl', 'dora', 'ann', 'bob']) {
          expect((await login(base, username, 'guess')).status).toBe(403);
        }
        expect(await login(base, 'bob', 'bob-password')).toEqual({
          status: 429,
          retryAfter: '120',
          text: JSON.stringify({
            error: 'Too many failed logins from this address: try again in 120 seconds',
          }),
        });
      },
    );
  });
});
