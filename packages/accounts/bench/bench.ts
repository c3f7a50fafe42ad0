// accounts benchmark: `npm run bench -w @geoworks/accounts`.
// What a login-heavy server sees: scrypt logins per second (right and wrong passwords cost the
// same), session checks per second (every authenticated request makes one), session
// creation, on a store of 100 users in a fresh SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMailer } from '@geoworks/mailer';
import { Accounts } from '../src/index.js';

const USERS = Number(process.env.BENCH_USERS ?? 100);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 40);
const CHECKS = Number(process.env.BENCH_CHECKS ?? 20_000);

const dir = mkdtempSync(join(tmpdir(), 'accounts-bench-'));
const accounts = await Accounts.open({
  file: join(dir, 'accounts.sqlite'),
  mailer: createMailer({ from: 'bench@example.org', outboxDir: join(dir, 'outbox') }),
  publicUrl: 'https://example.org',
  // Measures the hashing itself: no throttle refusing repeated wrong logins without it.
  loginThrottle: false,
});
try {
  let started = performance.now();
  for (let i = 0; i < USERS; i++) {
    await accounts.createUser({
      username: `user${i}`,
      email: `user${i}@example.org`,
      password: `password-${i}`,
    });
  }
  const creating = (performance.now() - started) / 1000;
  console.log(
    `accounts: ${USERS} users created in ${creating.toFixed(1)} s (${(USERS / creating).toFixed(0)}/s, one scrypt hash each)`,
  );

  started = performance.now();
  for (let i = 0; i < LOGINS; i++) await accounts.authenticate(`user${i}`, `password-${i}`);
  const right = (performance.now() - started) / 1000;
  // Refused logins, timed apart: a wrong password and an unknown user must cost the same
  // (one scrypt verification each), or the answer's timing tells which accounts exist.
  const refusedSeconds = async (username: (i: number) => string) => {
    const began = performance.now();
    for (let i = 0; i < LOGINS; i++) {
      const passed = await accounts.authenticate(username(i), 'wrong').then(
        () => true,
        () => false,
      );
      if (passed) throw new Error('a wrong login passed');
    }
    return (performance.now() - began) / 1000;
  };
  const wrong = await refusedSeconds((i) => `user${i}`);
  const unknown = await refusedSeconds((i) => `nobody${i}`);
  const each = (seconds: number) => `${((seconds / LOGINS) * 1000).toFixed(0)} ms each`;
  console.log(
    `logins: right password ${(LOGINS / right).toFixed(0)}/s (${each(right)}), wrong password ${each(wrong)}, unknown user ${each(unknown)} (unknown / wrong = ${(unknown / wrong).toFixed(2)}, 1 when they cost the same)`,
  );

  const user = await accounts.authenticate('user0', 'password-0');
  started = performance.now();
  const tokens: string[] = [];
  for (let i = 0; i < 2000; i++) tokens.push(await accounts.createSession(user));
  const creatingSessions = (performance.now() - started) / 1000;
  started = performance.now();
  for (let i = 0; i < CHECKS; i++) {
    if ((await accounts.userForSession(tokens[i % tokens.length]!)) === null)
      throw new Error('lost session');
  }
  const checking = (performance.now() - started) / 1000;
  console.log(
    `sessions: ${(2000 / creatingSessions).toFixed(0)} created/s, ${(CHECKS / checking).toFixed(0)} checked/s (${((checking / CHECKS) * 1e6).toFixed(0)} us each)`,
  );
} finally {
  await accounts.close();
  rmSync(dir, { recursive: true, force: true });
}
