import { InvalidInputError, isGeoworksError, UpstreamError } from '@geoworks/errors';

/** An email address that cannot be used, named with the field it was given in. */
export class InvalidAddressError extends InvalidInputError {
  constructor(field: string, address: string, reason: string) {
    super(`${field}: ${JSON.stringify(address)} ${reason}`, {
      code: 'INVALID_ADDRESS',
      details: { field, address },
    });
  }
}

/** A message that cannot be sent as given (no recipient, no body, a bad header, ...). */
export class InvalidMessageError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, { code: 'INVALID_MESSAGE', ...(details === undefined ? {} : { details }) });
  }
}

/** `createMailer` options that cannot work (no transport, half a login, a bad timeout). */
export class MailerConfigError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'INVALID_MAILER_CONFIG' });
  }
}

/** A template that is not well formed, such as a `{` that is never closed. */
export class TemplateSyntaxError extends InvalidInputError {
  constructor(message: string, offset: number) {
    super(message, { code: 'TEMPLATE_SYNTAX', details: { offset } });
  }
}

/** A template value that cannot be written into text (an object, an array, a function). */
export class InvalidTemplateValueError extends InvalidInputError {
  constructor(name: string, description: string) {
    super(`Template value "${name}" is ${description}; give a string, a number or a Date`, {
      code: 'TEMPLATE_VALUE_INVALID',
      details: { name },
    });
  }
}

/** Placeholders of a template that the values do not provide (all of them, in one error). */
export class MissingTemplateValueError extends InvalidInputError {
  readonly missing: readonly string[];

  constructor(missing: readonly string[], given: readonly string[]) {
    const names = missing.map((name) => `"${name}"`).join(', ');
    const known = given.length > 0 ? given.join(', ') : '(none)';
    super(
      `${missing.length === 1 ? 'Template value' : 'Template values'} ${names} missing; values given: ${known}`,
      { code: 'TEMPLATE_VALUE_MISSING', details: { missing, given } },
    );
    this.missing = missing;
  }
}

export type SmtpErrorCode =
  'SMTP_REJECTED' | 'SMTP_AUTH' | 'SMTP_TIMEOUT' | 'SMTP_TLS' | 'SMTP_CONNECTION' | 'SMTP_ERROR';

export interface SmtpErrorFacts {
  /** `host:port` of the SMTP server. */
  server: string;
  /** The server's reply code (550, 535, ...) when it answered with an error. */
  responseCode?: number | undefined;
  /** The server's whole reply line, such as `550 5.1.1 <x@example.org>: no such user`. */
  response?: string | undefined;
  /** The SMTP command that was answered (`RCPT TO`, `DATA`, `AUTH PLAIN`), never its arguments. */
  command?: string | undefined;
  /** nodemailer's error code (`EENVELOPE`, `ETIMEDOUT`, ...), for logs. */
  transportCode?: string | undefined;
}

/**
 * The SMTP server refused the message or could not be talked to. Services answer 502: the
 * message, the reply code and the reply text are written to be shown (they hold no secrets).
 */
export class SmtpError extends UpstreamError {
  readonly server: string;
  readonly responseCode: number | undefined;
  readonly response: string | undefined;
  readonly command: string | undefined;
  /**
   * True when the server refused the message for good (a 5xx reply to the envelope or the
   * data): sending it again will not help. Temporary refusals (4xx), failed connections,
   * timeouts, TLS and login problems may pass, so they are not permanent.
   */
  readonly permanent: boolean;

  constructor(code: SmtpErrorCode, message: string, facts: SmtpErrorFacts) {
    const details: Record<string, unknown> = { server: facts.server };
    for (const key of ['responseCode', 'response', 'command', 'transportCode'] as const) {
      if (facts[key] !== undefined) details[key] = facts[key];
    }
    super(message, { code, details });
    this.server = facts.server;
    this.responseCode = facts.responseCode;
    this.response = facts.response;
    this.command = facts.command;
    this.permanent =
      code === 'SMTP_REJECTED' && facts.responseCode !== undefined && facts.responseCode >= 500;
  }
}

/**
 * True when sending a message again cannot succeed: the SMTP server refused it for good, or
 * the message itself is unusable (a bad address, no body). Anything else (the server busy or
 * unreachable, a full disk for the outbox) is worth another try later.
 */
export function mailFailureIsPermanent(error: unknown): boolean {
  if (error instanceof SmtpError) return error.permanent;
  return isGeoworksError(error) && error.kind === 'invalid-input';
}
