import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createMailer, type Mailer } from '@geoworks/mailer';
import { Accounts, type AccountsOptions } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'accounts-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

/** A fresh folder under the test run's temporary folder. */
export function freshDir(name: string): string {
  return mkdtempSync(join(root, `${name}-`));
}

/** A clock the test moves by hand. */
export class TestClock {
  time = Date.UTC(2024, 4, 1, 12, 0, 0);
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

export interface TestAccounts {
  accounts: Accounts;
  file: string;
  outboxDir: string;
  mailer: Mailer;
  clock: TestClock;
}

// Cheap hashes keep the suite fast; the timing test sets its own cost.
export const FAST_HASHING = { cost: 2 ** 10, blockSize: 8, parallelism: 1 };

/** Accounts on a new SQLite file, mailing into an outbox, on a test clock. */
export async function openAccounts(options: Partial<AccountsOptions> = {}): Promise<TestAccounts> {
  const dir = freshDir(`store${++count}`);
  const outboxDir = join(dir, 'outbox');
  const mailer = createMailer({ from: 'OpenQuake <noreply@oq.example.org>', outboxDir });
  const clock = new TestClock();
  const file = join(dir, 'accounts.sqlite');
  const accounts = await Accounts.open({
    file,
    mailer,
    publicUrl: 'https://oq.example.org/engine/',
    now: clock.now,
    passwordHashing: FAST_HASHING,
    ...options,
  });
  afterAll(() => accounts.close());
  return { accounts, file, outboxDir, mailer, clock };
}

/** The error a promise rejects with (failing the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error) || outcome.message === 'expected a rejection') {
    throw new Error(`expected a rejection, got ${String(outcome)}`);
  }
  return outcome;
}
