import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InvalidInputError, UnavailableError } from '@geoworks/errors';
import type { Mailer } from '@geoworks/mailer';
import {
  DisabledAccountError,
  InvalidLoginError,
  InvalidResetTokenError,
  PasswordResetUnavailableError,
  UnknownUserError,
  UsernameTakenError,
} from './errors.js';
import {
  checkHashing,
  checkNewPassword,
  decoyHash,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  needsRehash,
  verifyPassword,
  type HashParameters,
} from './passwords.js';
import {
  checkResetEmail,
  describeDuration,
  renderResetEmail,
  type ResetEmailTemplates,
} from './reset-email.js';
import { toUser, type UserRow } from './rows.js';
import { migrate } from './schema.js';
import { prepareStatements, type Statements } from './statements.js';
import { isWellFormedToken, newToken, tokenHash } from './tokens.js';
import { LoginThrottle } from './throttle.js';
import type { AccountsLogger, AccountsOptions, NewUser, User, UserRef } from './types.js';
import { checkEmail, checkGroupName, checkUsername } from './validation.js';

const DAY = 86_400_000;

interface Settings {
  file: string;
  mailer: Mailer | undefined;
  publicUrl: string | undefined;
  siteName: string;
  sessionTtlMs: number;
  resetTtlMs: number;
  minPasswordLength: number;
  hashing: HashParameters;
  resetEmail: Required<ResetEmailTemplates>;
  now: () => number;
  logger: AccountsLogger;
  throttle: LoginThrottle | null;
}

/**
 * User accounts in one SQLite file: users with scrypt password hashes, groups, login sessions
 * and password resets by email, the parts of Django's auth that OpenQuake's server uses.
 */
export class Accounts {
  readonly #db: Database.Database;
  readonly #sql: Statements;
  readonly #settings: Settings;
  // Verified when the username is unknown, so that costs what a wrong password costs.
  readonly #decoy: string;
  readonly #pendingEmails = new Set<Promise<void>>();
  #closed = false;

  private constructor(db: Database.Database, settings: Settings) {
    this.#db = db;
    this.#sql = prepareStatements(db);
    this.#settings = settings;
    this.#decoy = decoyHash(settings.hashing);
  }

  /** Opens (creating if needed) the accounts database and drops expired sessions and links. */
  static async open(options: AccountsOptions): Promise<Accounts> {
    const settings = checkOptions(options);
    if (settings.file !== ':memory:') mkdirSync(dirname(settings.file), { recursive: true });
    const db = new Database(settings.file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db, settings.file);
    } catch (error) {
      db.close();
      throw error;
    }
    const accounts = new Accounts(db, settings);
    await accounts.prune();
    return accounts;
  }

  // ---- users and groups -------------------------------------------------------------------

  async createUser(input: NewUser): Promise<User> {
    this.#checkOpen();
    const username = checkUsername(input.username);
    const email = checkEmail(input.email);
    const password = checkNewPassword(input.password, this.#settings.minPasswordLength);
    const groups = (input.groups ?? []).map(checkGroupName);
    if (input.superuser !== undefined && typeof input.superuser !== 'boolean') {
      throw new InvalidInputError('superuser must be true or false');
    }
    // Checked before hashing too, to answer a duplicate without spending the hash.
    if (this.#sql.userByName.get(username) !== undefined) throw new UsernameTakenError(username);
    const hash = await hashPassword(password, this.#settings.hashing);
    this.#checkOpen();
    const id = this.#db
      .transaction(() => {
        if (this.#sql.userByName.get(username) !== undefined) {
          throw new UsernameTakenError(username);
        }
        const { lastInsertRowid } = this.#sql.insertUser.run(
          username,
          email,
          hash,
          input.superuser === true ? 1 : 0,
          this.#settings.now(),
        );
        for (const group of groups) this.#join(Number(lastInsertRowid), group);
        return Number(lastInsertRowid);
      })
      .immediate();
    return toUser(this.#sql.userById.get(id) as UserRow);
  }

  /** The user with this username (any case), or null. */
  async getUser(username: string): Promise<User | null> {
    this.#checkOpen();
    const row = this.#sql.userByName.get(String(username)) as UserRow | undefined;
    return row === undefined ? null : toUser(row);
  }

  /** Every user, by username. */
  async listUsers(): Promise<User[]> {
    this.#checkOpen();
    return (this.#sql.allUsers.all() as UserRow[]).map(toUser);
  }

  /** Sets a new password; the user's sessions and reset links end (as Django does). */
  async setPassword(user: UserRef, password: string): Promise<void> {
    this.#checkOpen();
    const row = this.#row(user);
    checkNewPassword(password, this.#settings.minPasswordLength);
    const hash = await hashPassword(password, this.#settings.hashing);
    this.#checkOpen();
    this.#db
      .transaction(() => {
        this.#sql.setPassword.run(hash, row.id);
        this.#sql.deleteSessionsOf.run(row.id);
        this.#sql.deleteAllResetsOf.run(row.id);
      })
      .immediate();
  }

  /** Disables the account: no login, its sessions and reset links end. */
  async deactivate(user: UserRef): Promise<void> {
    this.#checkOpen();
    const row = this.#row(user);
    this.#db
      .transaction(() => {
        this.#sql.setActive.run(0, row.id);
        this.#sql.deleteSessionsOf.run(row.id);
        this.#sql.deleteAllResetsOf.run(row.id);
      })
      .immediate();
  }

  async activate(user: UserRef): Promise<void> {
    this.#checkOpen();
    this.#sql.setActive.run(1, this.#row(user).id);
  }

  /** Adds the user to a group, creating the group if needed. */
  async addToGroup(user: UserRef, group: string): Promise<void> {
    this.#checkOpen();
    const name = checkGroupName(group);
    const row = this.#row(user);
    this.#db.transaction(() => this.#join(row.id, name)).immediate();
  }

  async removeFromGroup(user: UserRef, group: string): Promise<void> {
    this.#checkOpen();
    this.#sql.leave.run(this.#row(user).id, checkGroupName(group));
  }

  /** The user's group names, sorted. */
  async groupsOf(user: UserRef): Promise<string[]> {
    this.#checkOpen();
    return (this.#sql.groupsOf.all(this.#row(user).id) as { name: string }[]).map((g) => g.name);
  }

  /**
   * True when both users belong to at least one common group (OpenQuake's rule for seeing
   * each other's calculations). A user without groups shares none, even with itself.
   */
  async sharesGroup(first: UserRef, second: UserRef): Promise<boolean> {
    this.#checkOpen();
    const row = this.#sql.sharesGroup.get(this.#row(first).id, this.#row(second).id) as {
      shared: number;
    };
    return row.shared === 1;
  }

  /**
   * The usernames whose calculations `user` may see under OpenQuake's rule: its own and those
   * of everyone sharing a group with it (deactivated accounts too: their jobs stay theirs),
   * sorted. One query, whatever the number of users and groups.
   */
  async visibleOwners(user: UserRef): Promise<string[]> {
    this.#checkOpen();
    const id = this.#row(user).id;
    return (this.#sql.visibleOwners.all(id, id) as { username: string }[]).map(
      (row) => row.username,
    );
  }

  // ---- logging in ---------------------------------------------------------------------------

  /**
   * The user for a username (any case) and password, or `InvalidLoginError` (code
   * `INVALID_LOGIN`) for an unknown user or a wrong password alike: both run one scrypt
   * verification and compare in constant time, so neither the answer nor its timing says
   * whether the account exists. A right password for a deactivated account gives
   * `DisabledAccountError` (`DISABLED_ACCOUNT`); a wrong one, `INVALID_LOGIN` as usual.
   * Too many failed logins for the username, or from `address` (the client's), give
   * `TooManyLoginsError` (`TOO_MANY_LOGINS`, a `RateLimitedError`) before any checking.
   */
  async authenticate(
    username: string,
    password: string,
    options: { address?: string } = {},
  ): Promise<User> {
    this.#checkOpen();
    const { throttle, now } = this.#settings;
    const done = throttle?.attempt(
      typeof username === 'string' ? username : undefined,
      options.address,
      now(),
    );
    try {
      const user = await this.#verify(username, password);
      done?.('succeeded', now());
      return user;
    } catch (error) {
      done?.(error instanceof InvalidLoginError ? 'failed' : 'other', now());
      throw error;
    }
  }

  async #verify(username: string, password: string): Promise<User> {
    if (typeof password !== 'string' || password.length > 4 * MAX_PASSWORD_LENGTH) {
      throw new InvalidLoginError();
    }
    const row =
      typeof username === 'string'
        ? (this.#sql.userByName.get(username) as UserRow | undefined)
        : undefined;
    const matches = await verifyPassword(password, row?.password ?? this.#decoy);
    this.#checkOpen();
    if (row === undefined || !matches) throw new InvalidLoginError();
    if (row.is_active !== 1) throw new DisabledAccountError();
    if (needsRehash(row.password, this.#settings.hashing)) {
      // Stronger parameters than the stored hash's: upgrade it while the password is at hand.
      const hash = await hashPassword(password, this.#settings.hashing);
      this.#checkOpen();
      this.#sql.setPassword.run(hash, row.id);
    }
    this.#sql.setLastLogin.run(this.#settings.now(), row.id);
    return toUser(this.#sql.userById.get(row.id) as UserRow);
  }

  /** Starts a session; the token (43 characters, URL-safe) is known only to the caller. */
  async createSession(user: UserRef): Promise<string> {
    this.#checkOpen();
    const row = this.#row(user);
    if (row.is_active !== 1) throw new DisabledAccountError();
    const token = newToken();
    const now = this.#settings.now();
    this.#sql.insertSession.run(
      tokenHash(token),
      row.id,
      now,
      now,
      now + this.#settings.sessionTtlMs,
    );
    return token;
  }

  /**
   * The session's user, or null when the token is unknown, expired, ended, or the account is
   * disabled. Each use pushes the expiry back to `sessionTtlMs` from now (sliding sessions),
   * writing at most once a minute per session.
   */
  async userForSession(token: string): Promise<User | null> {
    this.#checkOpen();
    if (!isWellFormedToken(token)) return null;
    const hash = tokenHash(token);
    const session = this.#sql.sessionByHash.get(hash) as
      { user_id: number; renewed_at: number; expires_at: number } | undefined;
    if (session === undefined) return null;
    const now = this.#settings.now();
    if (session.expires_at <= now) {
      this.#sql.deleteSession.run(hash);
      return null;
    }
    const row = this.#sql.userById.get(session.user_id) as UserRow | undefined;
    if (row === undefined || row.is_active !== 1) return null;
    const ttl = this.#settings.sessionTtlMs;
    if (now - session.renewed_at >= Math.min(60_000, ttl / 10)) {
      this.#sql.renewSession.run(now, now + ttl, hash);
    }
    return toUser(row);
  }

  /** Ends a session (logout). True when there was one. */
  async endSession(token: string): Promise<boolean> {
    this.#checkOpen();
    if (!isWellFormedToken(token)) return false;
    return this.#sql.deleteSession.run(tokenHash(token)).changes > 0;
  }

  /** Ends every session of a user; returns how many there were. */
  async endAllSessions(user: UserRef): Promise<number> {
    this.#checkOpen();
    return this.#sql.deleteSessionsOf.run(this.#row(user).id).changes;
  }

  // ---- password reset ----------------------------------------------------------------------

  /**
   * Emails a single-use reset link, `${publicUrl}/reset_password/<token>/`, to every active
   * account with this email address (any case). It answers the same, and as fast, whether or
   * not such an account exists: the emails go out in the background (`whenIdle()` waits for
   * them; a failure is logged, not thrown). A malformed address is an `InvalidInputError`.
   */
  async requestPasswordReset(email: string): Promise<void> {
    this.#checkOpen();
    const { mailer, publicUrl } = this.#settings;
    if (mailer === undefined || publicUrl === undefined) throw new PasswordResetUnavailableError();
    const address = checkEmail(email);
    const now = this.#settings.now();
    const expiresAt = now + this.#settings.resetTtlMs;
    const links = this.#db
      .transaction(() =>
        (this.#sql.activeUsersByEmail.all(address) as UserRow[]).map((row) => {
          const token = newToken();
          this.#sql.insertReset.run(tokenHash(token), row.id, now, expiresAt);
          return { user: toUser(row), url: `${publicUrl}/reset_password/${token}/` };
        }),
      )
      .immediate();
    for (const { user, url } of links) this.#sendInBackground(mailer, user, url);
  }

  /**
   * Sets a new password with a reset token. The password is checked first (a refused
   * password leaves the link usable); then the token must be known, unexpired, unused and
   * its account active, else `InvalidResetTokenError`. On success the token is spent and the
   * user's other reset links and all sessions end.
   */
  async resetPassword(token: string, newPassword: string): Promise<User> {
    this.#checkOpen();
    checkNewPassword(newPassword, this.#settings.minPasswordLength);
    if (!isWellFormedToken(token)) throw new InvalidResetTokenError();
    const hash = tokenHash(token);
    const reset = this.#usableReset(hash);
    const passwordHash = await hashPassword(newPassword, this.#settings.hashing);
    this.#checkOpen();
    this.#db
      .transaction(() => {
        // Checked again inside the write: while the hash was computed, another request may
        // have spent the token or the account may have been disabled. One request wins.
        const now = this.#settings.now();
        const user = this.#sql.userById.get(reset.user_id) as UserRow | undefined;
        const spent = this.#sql.useReset.run(now, hash, now);
        if (spent.changes !== 1 || user?.is_active !== 1) throw new InvalidResetTokenError();
        this.#sql.setPassword.run(passwordHash, reset.user_id);
        this.#sql.deleteAllResetsOf.run(reset.user_id);
        this.#sql.deleteSessionsOf.run(reset.user_id);
      })
      .immediate();
    return toUser(this.#sql.userById.get(reset.user_id) as UserRow);
  }

  /** Resolves once every reset email requested so far has been sent or has failed. */
  async whenIdle(): Promise<void> {
    while (this.#pendingEmails.size > 0) await Promise.all(this.#pendingEmails);
  }

  // ---- housekeeping ------------------------------------------------------------------------

  /** Deletes expired sessions and spent or expired reset links (also done at open). */
  async prune(): Promise<{ sessions: number; resetLinks: number }> {
    this.#checkOpen();
    const now = this.#settings.now();
    return {
      sessions: this.#sql.deleteExpiredSessions.run(now).changes,
      resetLinks: this.#sql.deleteStaleResets.run(now).changes,
    };
  }

  /** Waits for reset emails in flight, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.whenIdle();
    this.#closed = true;
    this.#db.close();
  }

  // ---- internals ---------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed)
      throw new UnavailableError('The accounts store is closed', { code: 'ACCOUNTS_CLOSED' });
  }

  #row(user: UserRef): UserRow {
    if (typeof user === 'string') {
      const row = this.#sql.userByName.get(user) as UserRow | undefined;
      if (row === undefined) throw new UnknownUserError(`named "${user}"`);
      return row;
    }
    const row =
      user !== null && typeof user === 'object'
        ? (this.#sql.userById.get(user.id) as UserRow | undefined)
        : undefined;
    if (row === undefined) throw new UnknownUserError(`with id ${String(user?.id)}`);
    return row;
  }

  #join(userId: number, group: string): void {
    this.#sql.insertGroup.run(group);
    const { id } = this.#sql.groupByName.get(group) as { id: number };
    this.#sql.join.run(userId, id);
  }

  #usableReset(hash: Buffer): { user_id: number } {
    const reset = this.#sql.resetByHash.get(hash) as
      { user_id: number; expires_at: number; used_at: number | null } | undefined;
    if (reset === undefined) throw new InvalidResetTokenError();
    const user = this.#sql.userById.get(reset.user_id) as UserRow | undefined;
    const usable =
      reset.used_at === null && reset.expires_at > this.#settings.now() && user?.is_active === 1;
    if (!usable) throw new InvalidResetTokenError();
    return reset;
  }

  #sendInBackground(mailer: Mailer, user: User, url: string): void {
    const { resetEmail, resetTtlMs, siteName, publicUrl, logger } = this.#settings;
    const content = renderResetEmail(resetEmail, {
      username: user.username,
      email: user.email,
      reset_url: url,
      valid_for: describeDuration(resetTtlMs),
      site_name: siteName,
      public_url: publicUrl ?? '',
    });
    const sending: Promise<void> = mailer
      .send({ to: user.email, ...content })
      .then(
        () => undefined,
        (error: unknown) => {
          try {
            logger.error(
              { userId: user.id, error: error instanceof Error ? error.message : String(error) },
              'password reset email not sent',
            );
          } catch {
            // A broken logger must not turn into an unhandled rejection.
          }
        },
      )
      .finally(() => this.#pendingEmails.delete(sending));
    this.#pendingEmails.add(sending);
  }
}

function checkOptions(options: AccountsOptions): Settings {
  if (options === null || typeof options !== 'object') {
    throw new InvalidInputError('Accounts.open needs an options object');
  }
  if (typeof options.file !== 'string' || options.file === '') {
    throw new InvalidInputError('Accounts.open needs a database `file`');
  }
  const duration = (value: number | undefined, name: string, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0) {
      throw new InvalidInputError(`${name} must be a positive number of milliseconds`);
    }
    return value;
  };
  let publicUrl: string | undefined;
  if (options.publicUrl !== undefined) {
    const url = URL.canParse(options.publicUrl) ? new URL(options.publicUrl) : undefined;
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new InvalidInputError(
        `publicUrl must be an absolute http(s) URL, not ${JSON.stringify(options.publicUrl)}`,
      );
    }
    publicUrl = options.publicUrl.replace(/\/+$/, '');
  }
  if (options.mailer !== undefined && publicUrl === undefined) {
    throw new InvalidInputError('publicUrl is needed with a mailer: reset links point to it');
  }
  const minPasswordLength = options.minPasswordLength ?? 8;
  if (!Number.isInteger(minPasswordLength) || minPasswordLength < 1 || minPasswordLength > 128) {
    throw new InvalidInputError('minPasswordLength must be an integer from 1 to 128');
  }
  return {
    file: options.file,
    mailer: options.mailer,
    publicUrl,
    siteName: options.siteName ?? (publicUrl === undefined ? '' : new URL(publicUrl).host),
    sessionTtlMs: duration(options.sessionTtlMs, 'sessionTtlMs', 14 * DAY),
    resetTtlMs: duration(options.resetTtlMs, 'resetTtlMs', 3 * DAY),
    minPasswordLength,
    hashing: checkHashing(options.passwordHashing),
    resetEmail: checkResetEmail(options.resetEmail),
    now: options.now ?? Date.now,
    logger: options.logger ?? {
      error: (details, message) => console.error(`accounts: ${message}`, details),
    },
    throttle:
      options.loginThrottle === false ? null : new LoginThrottle(options.loginThrottle ?? {}),
  };
}
