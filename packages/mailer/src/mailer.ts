import { access, constants, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AbortedError, isGeoworksError } from '@geoworks/errors';
import nodemailer from 'nodemailer';
import { parseAddress, type AddressInput, type MailAddress } from './address.js';
import { MailerConfigError } from './errors.js';
import {
  checkAttachmentFiles,
  toSendMailOptions,
  type MailMessage,
  type SendResult,
} from './message.js';
import { writeOutboxFile } from './outbox.js';
import { createSmtpTransport, toSmtpError, type SmtpOptions } from './smtp.js';

/** A pino-compatible logger; the mailer logs one line per message sent or failed. */
export interface MailerLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

export interface CreateMailerOptions {
  /** Default sender, such as `Calculation server <noreply@example.org>`. */
  from?: AddressInput;
  /** Send through this SMTP server. Without it, messages are written to `outboxDir`. */
  smtp?: SmtpOptions;
  /** Folder for `.eml` files when there is no `smtp` (created when needed). */
  outboxDir?: string;
  logger?: MailerLogger;
}

export interface SendOptions {
  /** Stops the send; it then rejects with `AbortedError` (the server may have the message). */
  signal?: AbortSignal;
}

export interface Mailer {
  /** `smtp` or `outbox`: where messages go. */
  readonly transport: 'smtp' | 'outbox';
  /** The outbox folder (absolute), in outbox mode. */
  readonly outboxDir: string | undefined;
  /** Checks and sends one message. */
  send(message: MailMessage, options?: SendOptions): Promise<SendResult>;
  /** SMTP: connects (and logs in) once. Outbox: checks the folder is writable. */
  verify(): Promise<void>;
  /** Releases the transport. */
  close(): void;
}

/**
 * A mailer that sends through SMTP when `smtp` is given, and otherwise writes each message
 * as an RFC 5322 `.eml` file into `outboxDir` (development, tests, machines without mail).
 */
export function createMailer(options: CreateMailerOptions): Mailer {
  if (options === null || typeof options !== 'object') {
    throw new MailerConfigError('createMailer needs an options object');
  }
  const from = options.from === undefined ? undefined : parseAddress(options.from, 'from');
  if (options.smtp !== undefined) return smtpMailer(options.smtp, from, options.logger);
  if (typeof options.outboxDir !== 'string' || options.outboxDir === '') {
    throw new MailerConfigError('createMailer needs `smtp` settings or an `outboxDir`');
  }
  return outboxMailer(resolve(options.outboxDir), from, options.logger);
}

function smtpMailer(
  smtp: SmtpOptions,
  from: MailAddress | undefined,
  logger: MailerLogger | undefined,
): Mailer {
  const { transport, server, timeouts } = createSmtpTransport(smtp);
  const fail = (error: unknown) => toSmtpError(error, server, timeouts, smtp.user);
  return {
    transport: 'smtp',
    outboxDir: undefined,
    async send(message, sendOptions = {}) {
      const { options, recipients } = toSendMailOptions(message, from);
      await checkAttachmentFiles(message);
      if (sendOptions.signal !== undefined) options.signal = sendOptions.signal;
      try {
        const info = await transport.sendMail(options);
        const result = {
          messageId: info.messageId,
          accepted: info.accepted.map(String),
          rejected: info.rejected.map(String),
        };
        logger?.info(
          {
            messageId: result.messageId,
            server,
            recipients: recipients.length,
            rejected: result.rejected.length,
          },
          'email sent',
        );
        return result;
      } catch (error) {
        const mapped = isGeoworksError(error) ? error : fail(error);
        logger?.warn({ server, code: mapped.code, error: mapped.message }, 'email not sent');
        throw mapped;
      }
    },
    async verify() {
      try {
        await transport.verify();
      } catch (error) {
        throw fail(error);
      }
    },
    close() {
      transport.close();
    },
  };
}

function outboxMailer(
  dir: string,
  from: MailAddress | undefined,
  logger: MailerLogger | undefined,
): Mailer {
  // The stream transport builds the exact message SMTP would send, without sending it.
  const builder = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
  });
  return {
    transport: 'outbox',
    outboxDir: dir,
    async send(message, sendOptions = {}) {
      const { options, recipients } = toSendMailOptions(message, from);
      await checkAttachmentFiles(message);
      if (sendOptions.signal?.aborted === true) {
        throw new AbortedError('Sending the email was aborted', { code: 'SEND_ABORTED' });
      }
      const built = await builder.sendMail(options);
      const path = await writeOutboxFile(dir, built.message as Buffer);
      logger?.info(
        { messageId: built.messageId, path, recipients: recipients.length },
        'email written to the outbox',
      );
      return { messageId: built.messageId, accepted: recipients, rejected: [], path };
    },
    async verify() {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    },
    close() {
      builder.close();
    },
  };
}
