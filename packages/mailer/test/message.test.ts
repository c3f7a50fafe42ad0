import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@geoworks/errors';
import {
  createMailer,
  InvalidAddressError,
  isValidAddress,
  parseAddress,
  readOutbox,
  type CreateMailerOptions,
  type MailMessage,
} from '../src/index.js';
import { temporaryDir } from './helpers/smtp.js';

const dir = temporaryDir('validation');
const mailer = createMailer({ from: 'calc@example.org', outboxDir: dir });
const valid: MailMessage = { to: 'ann@example.org', subject: 'Hello', text: 'Hi' };

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('addresses', () => {
  it.each([
    ['ann@example.org', { name: '', address: 'ann@example.org' }],
    ['  Ann Lee <ann@example.org> ', { name: 'Ann Lee', address: 'ann@example.org' }],
    ['"Lee, Ann" <ann@example.org>', { name: 'Lee, Ann', address: 'ann@example.org' }],
    ['first.last+tag@sub.example.co.uk', { name: '', address: 'first.last+tag@sub.example.co.uk' }],
    ['root@localhost', { name: '', address: 'root@localhost' }],
    ['josé@correo.example.es', { name: '', address: 'josé@correo.example.es' }],
    ['ops@[192.0.2.1]', { name: '', address: 'ops@[192.0.2.1]' }],
  ])('accepts %j', (input, expected) => {
    expect(parseAddress(input)).toEqual(expected);
    expect(isValidAddress(input)).toBe(true);
  });

  it.each([
    ['', '"" is empty'],
    ['ann', '"ann" is not an email address (expected name@domain)'],
    ['ann@', '"ann@" is not an email address (expected name@domain)'],
    ['@example.org', '"@example.org" is not an email address (expected name@domain)'],
    ['ann@@example.org', '"ann@@example.org" has an invalid part before the @ ("ann@")'],
    [
      'ann..lee@example.org',
      '"ann..lee@example.org" has an invalid part before the @ ("ann..lee")',
    ],
    ['ann@example..org', '"ann@example..org" has an invalid domain ("example..org")'],
    ['ann@-example.org', '"ann@-example.org" has an invalid domain ("-example.org")'],
    ['ann@exa_mple.org', '"ann@exa_mple.org" has an invalid domain ("exa_mple.org")'],
    [
      'ann@example.org, bo@example.org',
      '"ann@example.org, bo@example.org" holds 2 addresses; give one address per entry',
    ],
    ['team: ann@example.org;', '"team: ann@example.org;" is a group, not an address'],
    [
      'ann@example.org\r\nBcc: x@evil.test',
      '"ann@example.org\\r\\nBcc: x@evil.test" contains control characters',
    ],
  ])('refuses %j', (input, reason) => {
    const error = thrown(() => parseAddress(input, 'to'));
    expect(error).toBeInstanceOf(InvalidAddressError);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({
      message: `to: ${reason}`,
      code: 'INVALID_ADDRESS',
      details: { field: 'to', address: input },
    });
    expect(isValidAddress(input)).toBe(false);
  });

  it('refuses a display name with a line break', () => {
    expect(() =>
      parseAddress({ name: 'Ann\r\nBcc: x@evil.test', address: 'a@example.org' }),
    ).toThrow('is not a usable display name');
  });
});

describe('send() checks the message before anything is sent', () => {
  it.each<[string, MailMessage, string, string]>([
    [
      'a bad address in a list, named with its index',
      { ...valid, to: ['ann@example.org', 'bo@exa mple'] },
      'INVALID_ADDRESS',
      'to[1]: "bo@exa mple" is not an email address (it contains spaces)',
    ],
    [
      'a bad cc',
      { ...valid, cc: 'nobody' },
      'INVALID_ADDRESS',
      'cc: "nobody" is not an email address (expected name@domain)',
    ],
    [
      'a bad bcc',
      { ...valid, bcc: ['x@y.org', '<>'] },
      'INVALID_ADDRESS',
      'bcc[1]: "<>" is not an email address',
    ],
    [
      'a bad sender',
      { ...valid, from: 'calc at example.org' },
      'INVALID_ADDRESS',
      'from: "calc at example.org" is not an email address (it contains spaces)',
    ],
    [
      'a bad reply-to',
      { ...valid, replyTo: 'x@' },
      'INVALID_ADDRESS',
      'replyTo: "x@" is not an email address (expected name@domain)',
    ],
    [
      'no recipient',
      { subject: 'Hello', text: 'Hi', to: [] },
      'INVALID_MESSAGE',
      'The message has no recipient: give `to`, `cc` or `bcc`',
    ],
    [
      'no body',
      { to: 'ann@example.org', subject: 'Hello' },
      'INVALID_MESSAGE',
      'The message has no body: give `text`, `html` or both',
    ],
    [
      'a subject with a line break',
      { ...valid, subject: 'Hello\r\nBcc: victim@example.org' },
      'INVALID_MESSAGE',
      'The subject must be one line (it contains a line break)',
    ],
    [
      'a header with a line break',
      { ...valid, headers: { 'X-Job': '1\r\nBcc: victim@example.org' } },
      'INVALID_MESSAGE',
      'Header "X-Job" must be a one-line string',
    ],
    [
      'a header the mailer writes',
      { ...valid, headers: { bcc: 'victim@example.org' } },
      'INVALID_MESSAGE',
      'Header "bcc" is written by the mailer; use the message\'s fields instead',
    ],
    [
      'a bad header name',
      { ...valid, headers: { 'X Job': '1' } },
      'INVALID_MESSAGE',
      'Header name "X Job" is not valid',
    ],
    [
      'an attachment without a name',
      { ...valid, attachments: [{ filename: '', content: 'x' }] },
      'INVALID_MESSAGE',
      'attachments[0] needs a filename',
    ],
    [
      'an attachment file that does not exist',
      { ...valid, attachments: [{ path: '/nonexistent/result.zip' }] },
      'ATTACHMENT_UNREADABLE',
      'attachments[0]: file /nonexistent/result.zip does not exist',
    ],
  ])('refuses %s', async (_, message, code, text) => {
    const error = await mailer.send(message).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code, message: text });
    expect(await readOutbox(dir)).toEqual([]);
  });

  it('refuses an attachment path that is a folder', async () => {
    const folder = join(dir, 'folder');
    mkdirSync(folder, { recursive: true });
    await expect(mailer.send({ ...valid, attachments: [{ path: folder }] })).rejects.toMatchObject({
      code: 'ATTACHMENT_UNREADABLE',
      message: `attachments[0]: file ${folder} is not a file`,
    });
  });

  it('needs a sender from the mailer or the message', async () => {
    const anonymous = createMailer({ outboxDir: dir });
    await expect(anonymous.send(valid)).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
      message: 'The message has no sender: give `from` to createMailer or send',
    });
  });
});

describe('createMailer() checks its options', () => {
  it.each<[string, CreateMailerOptions, string]>([
    ['no transport', {}, 'createMailer needs `smtp` settings or an `outboxDir`'],
    ['no host', { smtp: { host: '' } }, 'smtp.host is required'],
    [
      'a bad port',
      { smtp: { host: 'mail', port: 70000 } },
      'smtp.port must be an integer from 1 to 65535, not 70000',
    ],
    [
      'a user without a password',
      { smtp: { host: 'mail', user: 'calc' } },
      'smtp.user and smtp.password go together: give both or neither',
    ],
    [
      'a bad timeout',
      { smtp: { host: 'mail', greetingTimeoutMs: 0 } },
      'smtp.greetingTimeoutMs must be a positive number of milliseconds',
    ],
  ])('refuses %s', (_, options, message) => {
    expect(thrown(() => createMailer(options))).toMatchObject({
      kind: 'invalid-input',
      code: 'INVALID_MAILER_CONFIG',
      message,
    });
  });

  it('refuses a bad default sender', () => {
    expect(() => createMailer({ from: 'nobody', outboxDir: dir })).toThrow(
      'from: "nobody" is not an email address',
    );
  });
});
