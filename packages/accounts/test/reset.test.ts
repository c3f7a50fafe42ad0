import { describe, expect, it } from 'vitest';
import { InvalidInputError, NotImplementedError } from '@geoworks/errors';
import { readOutbox, type Mailer } from '@geoworks/mailer';
import { Accounts } from '../src/index.js';
import { freshDir, openAccounts, rejection } from './helpers/setup.js';

const ann = { username: 'ann', email: 'ann@example.org', password: 'correct horse' };
const LINK = /https:\/\/oq\.example\.org\/engine\/reset_password\/([A-Za-z0-9_-]{43})\//;

/** The reset token in the newest email of the outbox, and that email. */
async function lastResetEmail(outboxDir: string) {
  const message = (await readOutbox(outboxDir)).at(-1)!;
  const token = LINK.exec(message.text ?? '')?.[1];
  if (token === undefined) throw new Error(`no reset link in:\n${message.text}`);
  return { message, token };
}

describe('password reset by email', () => {
  it('emails a link whose token sets a new password once', async () => {
    const { accounts, outboxDir } = await openAccounts();
    await accounts.createUser(ann);
    const session = await accounts.createSession('ann');
    await expect(accounts.requestPasswordReset('ANN@example.org')).resolves.toBeUndefined();
    await accounts.whenIdle();

    const { message, token } = await lastResetEmail(outboxDir);
    expect(message.to).toEqual(['ann@example.org']);
    expect(message.from).toBe('noreply@oq.example.org');
    expect(message.subject).toBe('Password reset on oq.example.org');
    expect(message.text).toBe(
      `Someone, probably you, asked to reset the password of the account "ann" on oq.example.org.

To choose a new password, open this link within 3 days:
https://oq.example.org/engine/reset_password/${token}/

If you did not ask for this, ignore this email: your password stays as it is.
`,
    );
    expect(message.html).toContain(
      `<a href="https://oq.example.org/engine/reset_password/${token}/">`,
    );

    const user = await accounts.resetPassword(token, 'brand new secret');
    expect(user).toMatchObject({ id: 1, username: 'ann' });
    await expect(accounts.authenticate('ann', 'brand new secret')).resolves.toMatchObject({
      id: 1,
    });
    await expect(accounts.authenticate('ann', 'correct horse')).rejects.toMatchObject({
      code: 'INVALID_LOGIN',
    });
    expect(await accounts.userForSession(session)).toBeNull();

    const again = await rejection(accounts.resetPassword(token, 'yet another secret'));
    expect(again).toBeInstanceOf(InvalidInputError);
    expect(again).toMatchObject({
      code: 'INVALID_RESET_TOKEN',
      message: 'This password reset link is invalid: it may have expired or been used already',
    });
  });

  it('answers the same for an unknown address, and sends nothing', async () => {
    const { accounts, outboxDir } = await openAccounts();
    await accounts.createUser(ann);
    await expect(accounts.requestPasswordReset('nobody@example.org')).resolves.toBeUndefined();
    await accounts.whenIdle();
    expect(await readOutbox(outboxDir)).toEqual([]);
  });

  it('does not wait for the mail server, so timing does not tell either', async () => {
    let release = () => {};
    const sent: string[] = [];
    const slowMailer: Mailer = {
      transport: 'smtp',
      outboxDir: undefined,
      send: async (message) => {
        await new Promise<void>((resolve) => (release = resolve));
        sent.push(String(message.to));
        return { messageId: '<x@y>', accepted: [String(message.to)], rejected: [] };
      },
      verify: async () => undefined,
      close: () => undefined,
    };
    const { accounts } = await openAccounts({ mailer: slowMailer });
    await accounts.createUser(ann);
    await accounts.requestPasswordReset('ann@example.org'); // resolves with the email pending
    expect(sent).toEqual([]);
    release();
    await accounts.whenIdle();
    expect(sent).toEqual(['ann@example.org']);
  });

  it('logs a failed email instead of throwing it', async () => {
    const logged: unknown[] = [];
    const brokenMailer: Mailer = {
      transport: 'smtp',
      outboxDir: undefined,
      send: () => Promise.reject(new Error('SMTP server mx:25 did not send its greeting')),
      verify: async () => undefined,
      close: () => undefined,
    };
    const { accounts } = await openAccounts({
      mailer: brokenMailer,
      logger: { error: (details, message) => logged.push({ details, message }) },
    });
    await accounts.createUser(ann);
    await expect(accounts.requestPasswordReset('ann@example.org')).resolves.toBeUndefined();
    await accounts.whenIdle();
    expect(logged).toEqual([
      {
        message: 'password reset email not sent',
        details: { userId: 1, error: 'SMTP server mx:25 did not send its greeting' },
      },
    ]);
  });

  it('expires links after resetTtlMs', async () => {
    const { accounts, outboxDir, clock } = await openAccounts({ resetTtlMs: 3_600_000 });
    await accounts.createUser(ann);
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    const { message, token } = await lastResetEmail(outboxDir);
    expect(message.text).toContain('open this link within 1 hour:');
    clock.advance(3_600_000);
    await expect(accounts.resetPassword(token, 'brand new secret')).rejects.toMatchObject({
      code: 'INVALID_RESET_TOKEN',
    });
    expect(await accounts.prune()).toEqual({ sessions: 0, resetLinks: 1 });
  });

  it('keeps the link usable when the new password is refused', async () => {
    const { accounts, outboxDir } = await openAccounts();
    await accounts.createUser(ann);
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    const { token } = await lastResetEmail(outboxDir);
    await expect(accounts.resetPassword(token, 'short')).rejects.toMatchObject({
      code: 'PASSWORD_TOO_SHORT',
    });
    await expect(accounts.resetPassword(token, 'long enough now')).resolves.toMatchObject({
      id: 1,
    });
  });

  it('refuses unknown and malformed tokens, and links of disabled accounts', async () => {
    const { accounts, outboxDir } = await openAccounts();
    await accounts.createUser(ann);
    for (const token of ['A'.repeat(43), 'short', '']) {
      await expect(accounts.resetPassword(token, 'brand new secret')).rejects.toMatchObject({
        code: 'INVALID_RESET_TOKEN',
      });
    }
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    const { token } = await lastResetEmail(outboxDir);
    await accounts.deactivate('ann');
    await expect(accounts.resetPassword(token, 'brand new secret')).rejects.toMatchObject({
      code: 'INVALID_RESET_TOKEN',
    });
    // A disabled account gets no email at all.
    const before = (await readOutbox(outboxDir)).length;
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    expect(await readOutbox(outboxDir)).toHaveLength(before);
  });

  it('ends older links when the password changes, and a link ends the others', async () => {
    const { accounts, outboxDir } = await openAccounts();
    await accounts.createUser(ann);
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    const first = (await lastResetEmail(outboxDir)).token;
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    const second = (await lastResetEmail(outboxDir)).token;
    expect(second).not.toBe(first);
    await accounts.resetPassword(second, 'brand new secret');
    await expect(accounts.resetPassword(first, 'another secret')).rejects.toMatchObject({
      code: 'INVALID_RESET_TOKEN',
    });
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    const third = (await lastResetEmail(outboxDir)).token;
    await accounts.setPassword('ann', 'set by an operator');
    await expect(accounts.resetPassword(third, 'another secret')).rejects.toMatchObject({
      code: 'INVALID_RESET_TOKEN',
    });
  });

  it('lets one of two concurrent uses of a token win', async () => {
    const { accounts, outboxDir } = await openAccounts();
    await accounts.createUser(ann);
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    const { token } = await lastResetEmail(outboxDir);
    const outcomes = await Promise.allSettled([
      accounts.resetPassword(token, 'first new secret'),
      accounts.resetPassword(token, 'second new secret'),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('emails every active account with the address', async () => {
    const { accounts, outboxDir } = await openAccounts();
    await accounts.createUser(ann);
    await accounts.createUser({ ...ann, username: 'ann-admin' });
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    const messages = await readOutbox(outboxDir);
    expect(messages.map((message) => /account "([^"]+)"/.exec(message.text!)?.[1]).sort()).toEqual([
      'ann',
      'ann-admin',
    ]);
  });

  it('uses configured templates, escaping values in HTML', async () => {
    const { accounts, outboxDir } = await openAccounts({
      siteName: 'Risk <Engine>',
      resetEmail: {
        subject: '[{site_name}] reset for {username}',
        text: 'Go to {reset_url} ({valid_for})',
        html: '<p>{site_name}: <a href="{reset_url}">reset</a></p>',
      },
    });
    await accounts.createUser(ann);
    await accounts.requestPasswordReset('ann@example.org');
    await accounts.whenIdle();
    const { message, token } = await lastResetEmail(outboxDir);
    expect(message.subject).toBe('[Risk <Engine>] reset for ann');
    expect(message.text).toBe(
      `Go to https://oq.example.org/engine/reset_password/${token}/ (3 days)`,
    );
    expect(message.html).toBe(
      `<p>Risk &lt;Engine&gt;: <a href="https://oq.example.org/engine/reset_password/${token}/">reset</a></p>`,
    );
  });

  it('refuses templates with unknown placeholders when opening', async () => {
    await expect(
      Accounts.open({
        file: ':memory:',
        resetEmail: { text: 'Hello {name}, {reset_url}' },
      }),
    ).rejects.toThrow(
      'resetEmail.text uses unknown placeholders {name}; known: {username}, {email}, {reset_url}, {valid_for}, {site_name}, {public_url}',
    );
  });

  it('is unavailable without a mailer, and needs publicUrl with one', async () => {
    const accounts = await Accounts.open({ file: `${freshDir('nomailer')}/a.sqlite` });
    try {
      const error = await rejection(accounts.requestPasswordReset('ann@example.org'));
      expect(error).toBeInstanceOf(NotImplementedError);
      expect(error).toMatchObject({ code: 'PASSWORD_RESET_UNAVAILABLE' });
    } finally {
      await accounts.close();
    }
    const { mailer } = await openAccounts();
    await expect(Accounts.open({ file: ':memory:', mailer })).rejects.toThrow(
      'publicUrl is needed with a mailer: reset links point to it',
    );
    await expect(
      Accounts.open({ file: ':memory:', mailer, publicUrl: 'oq.example.org' }),
    ).rejects.toThrow('publicUrl must be an absolute http(s) URL, not "oq.example.org"');
  });

  it('refuses a malformed address with a clear error', async () => {
    const { accounts } = await openAccounts();
    await expect(accounts.requestPasswordReset('not-an-address')).rejects.toMatchObject({
      code: 'INVALID_EMAIL',
      message: 'email: "not-an-address" is not an email address (expected name@domain)',
    });
  });
});
