import { AbortedError, type GeoworksError } from '@geoworks/errors';
import nodemailer, { type NodemailerError } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { MailerConfigError, SmtpError, type SmtpErrorCode } from './errors.js';

/** How to reach the SMTP server. */
export interface SmtpOptions {
  host: string;
  /** Default 465 when `secure`, else 587. */
  port?: number;
  /** TLS from the first byte (port 465). Otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  /** Login; give both or neither. The password is never logged nor put in an error. */
  user?: string;
  password?: string;
  /** Fail unless the connection is upgraded with STARTTLS (for `secure: false`). */
  requireTls?: boolean;
  /** Check the server's certificate (default true); false only for test servers. */
  rejectUnauthorized?: boolean;
  /** Certificates to trust besides the system's, such as a private CA's (PEM). */
  ca?: string | Buffer | readonly (string | Buffer)[];
  /** Name sent with EHLO; default: this machine's host name. */
  clientName?: string;
  /** Longest wait for the TCP (or TLS) connection. Default 10 s. */
  connectionTimeoutMs?: number;
  /** Longest wait for the server's greeting once connected. Default 10 s. */
  greetingTimeoutMs?: number;
  /** Longest silence from the server during a conversation. Default 30 s. */
  socketTimeoutMs?: number;
}

export interface SmtpTimeouts {
  connectionMs: number;
  greetingMs: number;
  socketMs: number;
}

export const DEFAULT_TIMEOUTS: SmtpTimeouts = {
  connectionMs: 10_000,
  greetingMs: 10_000,
  socketMs: 30_000,
};

/** The nodemailer transport for `options`, after checking them. */
export function createSmtpTransport(options: SmtpOptions): {
  transport: ReturnType<typeof nodemailer.createTransport>;
  server: string;
  timeouts: SmtpTimeouts;
} {
  if (typeof options.host !== 'string' || options.host.trim() === '') {
    throw new MailerConfigError('smtp.host is required');
  }
  const port = options.port ?? (options.secure === true ? 465 : 587);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MailerConfigError(`smtp.port must be an integer from 1 to 65535, not ${port}`);
  }
  if ((options.user === undefined) !== (options.password === undefined)) {
    throw new MailerConfigError('smtp.user and smtp.password go together: give both or neither');
  }
  const timeouts: SmtpTimeouts = {
    connectionMs: timeout(
      options.connectionTimeoutMs,
      'connectionTimeoutMs',
      DEFAULT_TIMEOUTS.connectionMs,
    ),
    greetingMs: timeout(
      options.greetingTimeoutMs,
      'greetingTimeoutMs',
      DEFAULT_TIMEOUTS.greetingMs,
    ),
    socketMs: timeout(options.socketTimeoutMs, 'socketTimeoutMs', DEFAULT_TIMEOUTS.socketMs),
  };
  const transportOptions: SMTPPool.Options = {
    // Pooled: a connection (and its TLS handshake and login) serves many messages, a few at a
    // time, instead of one connection per message (100 ms each even on loopback).
    pool: true,
    maxConnections: 5,
    maxMessages: 100,
    host: options.host,
    port,
    secure: options.secure === true,
    requireTLS: options.requireTls === true,
    tls: {
      rejectUnauthorized: options.rejectUnauthorized !== false,
      minVersion: 'TLSv1.2',
      ...(options.ca === undefined
        ? {}
        : { ca: Array.isArray(options.ca) ? [...options.ca] : (options.ca as string | Buffer) }),
    },
    connectionTimeout: timeouts.connectionMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    dnsTimeout: timeouts.connectionMs,
    // nodemailer's own logging could print the AUTH exchange; this package logs what matters.
    logger: false,
    debug: false,
    ...(options.clientName === undefined ? {} : { name: options.clientName }),
    ...(options.user === undefined ? {} : { auth: { user: options.user, pass: options.password } }),
  };
  return {
    transport: nodemailer.createTransport(transportOptions),
    server: `${options.host}:${port}`,
    timeouts,
  };
}

function timeout(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new MailerConfigError(`smtp.${name} must be a positive number of milliseconds`);
  }
  return value;
}

// Certificate problems Node reports with these codes; they mean "TLS", not "network".
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO/;

/**
 * A nodemailer failure as a geoworks error: `SmtpError` (kind `upstream`) with the server's
 * reply code and text when it answered, or what kept it from answering; `AbortedError` when the
 * caller's signal stopped the send.
 */
export function toSmtpError(
  error: unknown,
  server: string,
  timeouts: SmtpTimeouts,
  user: string | undefined,
): GeoworksError {
  const failure = error as NodemailerError;
  if (failure?.code === 'EABORT' || failure?.name === 'AbortError') {
    return new AbortedError('Sending the email was aborted', { code: 'SEND_ABORTED' });
  }
  const command = commandName(failure?.command);
  const facts = {
    server,
    responseCode: failure?.responseCode,
    response: failure?.response?.trim(),
    command,
    transportCode: failure?.code,
  };
  const make = (code: SmtpErrorCode, message: string) => new SmtpError(code, message, facts);
  const reply = `${facts.response ?? failure?.responseCode}`;
  if (failure?.code === 'ETIMEDOUT') {
    switch (failure.timeoutType) {
      case 'CONNECT_TIMEOUT':
        return make(
          'SMTP_TIMEOUT',
          `SMTP server ${server} did not accept a connection within ${timeouts.connectionMs} ms`,
        );
      case 'GREETING_TIMEOUT':
        return make(
          'SMTP_TIMEOUT',
          `SMTP server ${server} did not send its greeting within ${timeouts.greetingMs} ms`,
        );
      case 'UPGRADE_TIMEOUT':
        return make('SMTP_TIMEOUT', `SMTP server ${server} did not finish the TLS upgrade in time`);
      default:
        return make(
          'SMTP_TIMEOUT',
          `SMTP server ${server} stopped answering for ${timeouts.socketMs} ms${command === undefined ? '' : ` (after ${command})`}`,
        );
    }
  }
  if (failure?.code === 'EAUTH') {
    return make(
      'SMTP_AUTH',
      `SMTP server ${server} refused the login of user "${user ?? ''}": ${reply}`,
    );
  }
  if (failure?.code === 'ENOAUTH') {
    return make(
      'SMTP_AUTH',
      `SMTP server ${server} requires a login; set smtp.user and smtp.password`,
    );
  }
  if (failure?.code === 'ETLS' && failure.command === 'STARTTLS') {
    return make(
      'SMTP_TLS',
      `SMTP server ${server} cannot switch to TLS (STARTTLS) and smtp.requireTls is set: ${reply}`,
    );
  }
  if (failure?.responseCode !== undefined) {
    const after = command === undefined ? '' : ` (${command})`;
    return make('SMTP_REJECTED', `SMTP server ${server} rejected the message${after}: ${reply}`);
  }
  const detail = failure?.message ?? String(error);
  if (
    failure?.code === 'ETLS' ||
    TLS_CODES.test(String(failure?.originalCode ?? failure?.code ?? ''))
  ) {
    return make('SMTP_TLS', `TLS with SMTP server ${server} failed: ${detail}`);
  }
  if (failure?.code === 'ECONNECTION' || failure?.code === 'ESOCKET' || failure?.code === 'EDNS') {
    return make('SMTP_CONNECTION', `Could not talk to SMTP server ${server}: ${detail}`);
  }
  return make('SMTP_ERROR', `Sending through SMTP server ${server} failed: ${detail}`);
}

// `AUTH PLAIN <base64 credentials>` must never leave this function with its argument.
function commandName(command: string | undefined): string | undefined {
  // CONN and API are nodemailer's names for "connecting" and "building the message".
  if (command === undefined || command === 'CONN' || command === 'API') return undefined;
  const words = command.trim().split(/\s+/);
  const [first = '', second = ''] = words;
  const upper = first.toUpperCase();
  if (upper === 'AUTH') return `AUTH ${second}`.trim();
  if ((upper === 'MAIL' || upper === 'RCPT') && second !== '') {
    return `${upper} ${second.split(':')[0]!.toUpperCase()}`;
  }
  return upper;
}
