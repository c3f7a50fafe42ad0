import type { Mailer } from '@geoworks/mailer';
import type { PasswordHashing } from './passwords.js';
import type { LoginThrottleOptions } from './throttle.js';
import type { ResetEmailTemplates } from './reset-email.js';

/** An account, as the methods return it. Never carries the password hash. */
export interface User {
  id: number;
  username: string;
  email: string;
  /** false once deactivated: cannot log in, has no sessions, gets no reset emails. */
  isActive: boolean;
  isSuperuser: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
}

/** A user given to a method: the `User` object, or the username. */
export type UserRef = User | string;

export interface NewUser {
  username: string;
  email: string;
  password: string;
  /** Groups to join; created when missing. */
  groups?: readonly string[];
  superuser?: boolean;
}

/** A pino-compatible logger, for the reset emails that fail in the background. */
export interface AccountsLogger {
  error(details: Record<string, unknown>, message: string): void;
}

export interface AccountsOptions {
  /** SQLite file, created with its folder when missing; `:memory:` for a throw-away store. */
  file: string;
  /** Sends the password-reset emails; without it `requestPasswordReset` is unavailable. */
  mailer?: Mailer;
  /** Where the site is, for reset links `${publicUrl}/reset_password/<token>/`. Needed with `mailer`. */
  publicUrl?: string;
  /** Idle time after which a session ends; each use renews it. Default 14 days. */
  sessionTtlMs?: number;
  /** How long a reset link works. Default 3 days. */
  resetTtlMs?: number;
  /** Default 8. */
  minPasswordLength?: number;
  /** scrypt parameters for new hashes (default N=2^15, r=8, p=1). */
  passwordHashing?: PasswordHashing;
  /** Templates for the reset email. */
  resetEmail?: ResetEmailTemplates;
  /** Name in the reset email; default: the host of `publicUrl`. */
  siteName?: string;
  /** The clock, in ms since the epoch (tests move it instead of sleeping). */
  now?: () => number;
  /** Where failed reset emails are reported. Default: stderr. */
  logger?: AccountsLogger;
  /** Limits on failed logins per username and per address (defaults: 5 and 20 in 15 minutes); false: none. */
  loginThrottle?: LoginThrottleOptions | false;
}
