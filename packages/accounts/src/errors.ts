import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  NotImplementedError,
  RateLimitedError,
  UnauthorizedError,
} from '@geoworks/errors';

/**
 * Wrong username or password. One message for both, so a caller cannot tell which was wrong
 * (and so whether the account exists).
 */
export class InvalidLoginError extends UnauthorizedError {
  constructor() {
    super('Invalid username or password', { code: 'INVALID_LOGIN' });
  }
}

/** The password was right but the account is deactivated. */
export class DisabledAccountError extends ForbiddenError {
  constructor() {
    super('This account is disabled', { code: 'DISABLED_ACCOUNT' });
  }
}

/** A new password that breaks the password rules. */
export class InvalidPasswordError extends InvalidInputError {
  constructor(code: 'PASSWORD_TOO_SHORT' | 'PASSWORD_TOO_LONG', message: string, limit: number) {
    super(message, { code, details: { limit } });
  }
}

export class UsernameTakenError extends ConflictError {
  constructor(username: string) {
    super(`The username "${username}" is already taken`, {
      code: 'USERNAME_TAKEN',
      details: { username },
    });
  }
}

export class UnknownUserError extends NotFoundError {
  constructor(what: string) {
    super(`No user ${what}`, { code: 'UNKNOWN_USER' });
  }
}

/** A password-reset token that is unknown, expired, already used, or for a disabled account. */
export class InvalidResetTokenError extends InvalidInputError {
  constructor() {
    super('This password reset link is invalid: it may have expired or been used already', {
      code: 'INVALID_RESET_TOKEN',
    });
  }
}

/** Password reset needs a mailer and a public URL, given to `Accounts.open`. */
export class PasswordResetUnavailableError extends NotImplementedError {
  constructor() {
    super('Password reset by email is not configured (no mailer)', {
      code: 'PASSWORD_RESET_UNAVAILABLE',
    });
  }
}

/** Refused before checking: too many failed logins for this username or from this address. */
export class TooManyLoginsError extends RateLimitedError {
  constructor(what: 'for this account' | 'from this address', retryAfterSeconds: number) {
    super(`Too many failed logins ${what}: try again in ${retryAfterSeconds} seconds`, {
      code: 'TOO_MANY_LOGINS',
      retryAfterSeconds,
    });
  }
}
