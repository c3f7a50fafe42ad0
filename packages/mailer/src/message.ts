import { access, constants, stat } from 'node:fs/promises';
import { InvalidInputError } from '@geoworks/errors';
import type { SendMailOptions } from 'nodemailer';
import { parseAddress, type AddressInput, type MailAddress } from './address.js';
import { InvalidMessageError } from './errors.js';

/** A file sent with the message: its bytes, or a local file read when the message is built. */
export type Attachment =
  | {
      filename: string;
      content: string | Uint8Array;
      contentType?: string;
      /** Content-ID, to show an image inline in the HTML body as `<img src="cid:...">`. */
      cid?: string;
    }
  | { filename?: string; path: string; contentType?: string; cid?: string };

/** One email. At least one recipient (`to`, `cc` or `bcc`) and one body (`text` or `html`). */
export interface MailMessage {
  to?: AddressInput | readonly AddressInput[];
  cc?: AddressInput | readonly AddressInput[];
  /** Blind copies: in the SMTP envelope only (kept as a header in outbox files). */
  bcc?: AddressInput | readonly AddressInput[];
  subject: string;
  text?: string;
  html?: string;
  /** Sender; default: the mailer's `from`. */
  from?: AddressInput;
  replyTo?: AddressInput;
  /** Extra headers such as `X-Job-Id`. Address, subject and MIME headers come from the fields. */
  headers?: Readonly<Record<string, string>>;
  attachments?: readonly Attachment[];
}

/** What `send` reports. */
export interface SendResult {
  /** The Message-ID header, with its angle brackets. */
  messageId: string;
  /** Recipient addresses the server (or the outbox) took. */
  accepted: string[];
  /** Recipient addresses the server refused while accepting the others. */
  rejected: string[];
  /** Outbox mode: the `.eml` file written. */
  path?: string;
}

// Headers the mailer writes from the message fields; setting them through `headers` would
// give two conflicting values (or an envelope that differs from the headers).
const MANAGED_HEADERS = new Set([
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);
// RFC 5322 field name: printable US-ASCII except the colon.
const HEADER_NAME = /^[!-9;-~]+$/;
// eslint-disable-next-line no-control-regex
const LINE_BREAK_OR_NUL = /[\r\n\u0000]/;

/** Checks a message and turns it into nodemailer's options; throws a clear error instead. */
export function toSendMailOptions(
  message: MailMessage,
  defaultFrom: MailAddress | undefined,
): { options: SendMailOptions; recipients: string[] } {
  if (message === null || typeof message !== 'object') {
    throw new InvalidMessageError('A message must be an object');
  }
  const from = message.from === undefined ? defaultFrom : parseAddress(message.from, 'from');
  if (from === undefined) {
    throw new InvalidMessageError('The message has no sender: give `from` to createMailer or send');
  }
  const to = addressList(message.to, 'to');
  const cc = addressList(message.cc, 'cc');
  const bcc = addressList(message.bcc, 'bcc');
  if (to.length + cc.length + bcc.length === 0) {
    throw new InvalidMessageError('The message has no recipient: give `to`, `cc` or `bcc`');
  }
  if (typeof message.subject !== 'string') {
    throw new InvalidMessageError('The message needs a `subject` string');
  }
  if (LINE_BREAK_OR_NUL.test(message.subject)) {
    throw new InvalidMessageError('The subject must be one line (it contains a line break)');
  }
  for (const body of ['text', 'html'] as const) {
    if (message[body] !== undefined && typeof message[body] !== 'string') {
      throw new InvalidMessageError(`The message's \`${body}\` must be a string`);
    }
  }
  if (message.text === undefined && message.html === undefined) {
    throw new InvalidMessageError('The message has no body: give `text`, `html` or both');
  }
  const options: SendMailOptions = {
    from,
    subject: message.subject,
    // Message data never makes the mailer fetch URLs (no server-side request forgery).
    disableUrlAccess: true,
  };
  if (to.length > 0) options.to = to;
  if (cc.length > 0) options.cc = cc;
  if (bcc.length > 0) options.bcc = bcc;
  if (message.replyTo !== undefined) options.replyTo = parseAddress(message.replyTo, 'replyTo');
  if (message.text !== undefined) options.text = message.text;
  if (message.html !== undefined) options.html = message.html;
  if (message.headers !== undefined) options.headers = checkHeaders(message.headers);
  if (message.attachments !== undefined) {
    options.attachments = message.attachments.map((attachment, index) =>
      checkAttachment(attachment, `attachments[${index}]`),
    );
  }
  const recipients = [...to, ...cc, ...bcc].map((entry) => entry.address);
  return { options, recipients };
}

function addressList(
  value: AddressInput | readonly AddressInput[] | undefined,
  field: string,
): MailAddress[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) {
    return (value as readonly AddressInput[]).map((entry, index) =>
      parseAddress(entry, `${field}[${index}]`),
    );
  }
  return [parseAddress(value as AddressInput, field)];
}

function checkHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) {
      throw new InvalidMessageError(`Header name ${JSON.stringify(name)} is not valid`, {
        header: name,
      });
    }
    if (MANAGED_HEADERS.has(name.toLowerCase())) {
      throw new InvalidMessageError(
        `Header "${name}" is written by the mailer; use the message's fields instead`,
        { header: name },
      );
    }
    if (typeof value !== 'string' || LINE_BREAK_OR_NUL.test(value)) {
      throw new InvalidMessageError(`Header "${name}" must be a one-line string`, {
        header: name,
      });
    }
    checked[name] = value;
  }
  return checked;
}

function checkAttachment(
  attachment: Attachment,
  field: string,
): NonNullable<SendMailOptions['attachments']>[number] {
  if (attachment === null || typeof attachment !== 'object') {
    throw new InvalidMessageError(`${field} must be an object`);
  }
  const { contentType, cid } = attachment;
  for (const [key, value] of [
    ['filename', attachment.filename],
    ['contentType', contentType],
    ['cid', cid],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || LINE_BREAK_OR_NUL.test(value))) {
      throw new InvalidMessageError(`${field}.${key} must be a one-line string`);
    }
  }
  if (contentType !== undefined && !/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(contentType)) {
    throw new InvalidMessageError(`${field}.contentType "${contentType}" is not a MIME type`);
  }
  const common = {
    ...(attachment.filename === undefined ? {} : { filename: attachment.filename }),
    ...(contentType === undefined ? {} : { contentType }),
    ...(cid === undefined ? {} : { cid }),
  };
  if ('content' in attachment) {
    if (typeof attachment.filename !== 'string' || attachment.filename === '') {
      throw new InvalidMessageError(`${field} needs a filename`);
    }
    const { content } = attachment;
    if (typeof content === 'string') return { ...common, content };
    if (content instanceof Uint8Array) {
      return {
        ...common,
        content: Buffer.from(content.buffer, content.byteOffset, content.length),
      };
    }
    throw new InvalidMessageError(`${field}.content must be a string or bytes`);
  }
  if (typeof attachment.path !== 'string' || attachment.path === '') {
    throw new InvalidMessageError(`${field} needs \`content\` or a file \`path\``);
  }
  return { ...common, path: attachment.path };
}

/**
 * Attachments given by `path` must be readable files now, so a missing file is the caller's
 * `InvalidInputError` in both modes rather than a failure halfway through an SMTP session.
 */
export async function checkAttachmentFiles(message: MailMessage): Promise<void> {
  for (const [index, attachment] of (message.attachments ?? []).entries()) {
    if (!('path' in attachment)) continue;
    let reason: string | undefined;
    try {
      if (!(await stat(attachment.path)).isFile()) reason = 'is not a file';
      else await access(attachment.path, constants.R_OK);
    } catch (error) {
      reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    }
    if (reason !== undefined) {
      throw new InvalidInputError(`attachments[${index}]: file ${attachment.path} ${reason}`, {
        code: 'ATTACHMENT_UNREADABLE',
        details: { field: `attachments[${index}]`, path: attachment.path },
      });
    }
  }
}
