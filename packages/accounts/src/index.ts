export { Accounts } from './accounts.js';
export type { AccountsLogger, AccountsOptions, NewUser, User, UserRef } from './types.js';
export type { PasswordHashing } from './passwords.js';
export type { LoginThrottleOptions } from './throttle.js';
export { DEFAULT_RESET_EMAIL } from './reset-email.js';
export type { ResetEmailTemplates } from './reset-email.js';
export {
  DisabledAccountError,
  InvalidLoginError,
  InvalidPasswordError,
  InvalidResetTokenError,
  PasswordResetUnavailableError,
  TooManyLoginsError,
  UnknownUserError,
  UsernameTakenError,
} from './errors.js';
