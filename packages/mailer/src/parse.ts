import addressparser from 'nodemailer/lib/addressparser';
import { parseHeaderValue } from 'nodemailer/lib/mime-funcs';

/** A message read back from its RFC 5322 text: enough to check what was sent. */
export interface ParsedMessage {
  /** Message-ID, with its angle brackets. */
  messageId: string | undefined;
  date: Date | undefined;
  /** Bare addresses, in header order. */
  from: string | undefined;
  to: string[];
  cc: string[];
  /** Outbox files keep the Bcc header (an SMTP server never sees it). */
  bcc: string[];
  replyTo: string[];
  subject: string;
  /** The first text/plain part that is not an attachment, with `\n` line breaks. */
  text: string | undefined;
  /** The first text/html part that is not an attachment, with `\n` line breaks. */
  html: string | undefined;
  /** Every header by lower-case name (the first one when repeated), encoded words decoded. */
  headers: Record<string, string>;
  attachments: ParsedAttachment[];
}

export interface ParsedAttachment {
  filename: string | undefined;
  /** Lower-case MIME type without parameters, such as `application/zip`. */
  contentType: string;
  /** Content-ID without its angle brackets, for inline images. */
  cid: string | undefined;
  content: Buffer;
}

interface Entity {
  headers: Map<string, string>;
  body: string;
}

/**
 * Parses a MIME message (as nodemailer writes them: single part, multipart/alternative,
 * /mixed and /related, 7bit, 8bit, quoted-printable and base64, encoded-word headers). It is
 * a reader for tests and tools, not a general-purpose parser for arbitrary mail.
 */
export function parseMessage(raw: Buffer | string): ParsedMessage {
  // latin1 keeps one character per byte, so body bytes survive until their charset is known.
  const source =
    typeof raw === 'string' ? Buffer.from(raw, 'utf8').toString('latin1') : raw.toString('latin1');
  const root = parseEntity(source);
  const parsed: ParsedMessage = {
    messageId: root.headers.get('message-id'),
    date: dateOf(root.headers.get('date')),
    from: addresses(root.headers.get('from'))[0],
    to: addresses(root.headers.get('to')),
    cc: addresses(root.headers.get('cc')),
    bcc: addresses(root.headers.get('bcc')),
    replyTo: addresses(root.headers.get('reply-to')),
    subject: decodeWords(root.headers.get('subject') ?? ''),
    text: undefined,
    html: undefined,
    headers: Object.fromEntries(
      [...root.headers].map(([name, value]) => [name, decodeWords(value)] as const),
    ),
    attachments: [],
  };
  collectParts(root, parsed, 0);
  return parsed;
}

function parseEntity(source: string): Entity {
  const separator = /\r?\n\r?\n/.exec(source);
  const headerBlock = separator === null ? source : source.slice(0, separator.index);
  const body = separator === null ? '' : source.slice(separator.index + separator[0].length);
  const headers = new Map<string, string>();
  // Header bytes may be UTF-8 (RFC 6532); unfold continuation lines, keep their whitespace.
  const unfolded = Buffer.from(headerBlock, 'latin1')
    .toString('utf8')
    .replace(/\r?\n(?=[ \t])/g, '');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

// Nesting deeper than this is not something the mailer writes; stop instead of recursing.
const MAX_DEPTH = 10;

function collectParts(entity: Entity, out: ParsedMessage, depth: number): void {
  const type = parseHeaderValue(entity.headers.get('content-type') ?? 'text/plain');
  const mimeType = type.value.toLowerCase();
  if (mimeType.startsWith('multipart/') && depth < MAX_DEPTH) {
    const boundary = type.params.boundary;
    if (boundary === undefined || boundary === '') return;
    for (const part of splitMultipart(entity.body, boundary)) {
      collectParts(parseEntity(part), out, depth + 1);
    }
    return;
  }
  const disposition = parseHeaderValue(entity.headers.get('content-disposition') ?? '');
  const rawName = disposition.params.filename ?? type.params.name;
  const filename = rawName === undefined ? undefined : decodeWords(rawName);
  const bytes = decodeTransfer(entity.body, entity.headers.get('content-transfer-encoding'));
  const attached = disposition.value.toLowerCase() === 'attachment' || filename !== undefined;
  if (!attached && mimeType === 'text/plain' && out.text === undefined) {
    out.text = textOf(bytes, type.params.charset);
  } else if (!attached && mimeType === 'text/html' && out.html === undefined) {
    out.html = textOf(bytes, type.params.charset);
  } else {
    const cid = entity.headers.get('content-id')?.replace(/^<|>$/g, '');
    out.attachments.push({ filename, contentType: mimeType, cid, content: bytes });
  }
}

function splitMultipart(body: string, boundary: string): string[] {
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g');
  const parts: string[] = [];
  let start = -1;
  for (let match = delimiter.exec(body); match !== null; match = delimiter.exec(body)) {
    if (start >= 0) parts.push(body.slice(start, match.index));
    if (match[1] !== undefined) return parts;
    start = delimiter.lastIndex;
    if (body.startsWith('\r\n', start)) start += 2;
    else if (body[start] === '\n') start += 1;
  }
  return parts;
}

function decodeTransfer(body: string, encoding: string | undefined): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64');
    case 'quoted-printable':
      return Buffer.from(decodeQuotedPrintable(body), 'latin1');
    default:
      return Buffer.from(body, 'latin1');
  }
}

function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/[ \t]+(?=\r?\n)/g, '')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function textOf(bytes: Buffer, charset: string | undefined): string {
  return decodeCharset(bytes, charset).replace(/\r\n/g, '\n');
}

function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    // An unknown charset label: UTF-8 is what this mailer writes.
    return new TextDecoder('utf-8').decode(bytes);
  }
}

const ENCODED_WORD = /=\?([^?*\s]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=/g;

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?caf=C3=A9?=`); whitespace between two goes. */
function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(?==\?)/g, '$1')
    .replace(ENCODED_WORD, (_, charset: string, encoding: string, text: string) => {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(decodeQuotedPrintable(text.replace(/_/g, ' ')), 'latin1');
      return decodeCharset(bytes, charset);
    });
}

function addresses(value: string | undefined): string[] {
  if (value === undefined) return [];
  return addressparser(value, { flatten: true })
    .map((entry) => entry.address)
    .filter((address) => address !== '');
}

function dateOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
