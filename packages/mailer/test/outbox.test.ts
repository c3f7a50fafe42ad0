import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMailer, readOutbox } from '../src/index.js';
import { recordingLogger, temporaryDir } from './helpers/smtp.js';

const FILE_NAME = /^\d{8}T\d{9}Z-\d{6}-[0-9a-f]{8}\.eml$/;

describe('outbox mode', () => {
  it('writes each message as an .eml file that reads back as sent', async () => {
    const dir = join(temporaryDir('outbox'), 'created-on-first-send');
    const logger = recordingLogger();
    const mailer = createMailer({
      from: 'Packager <packager@example.org>',
      outboxDir: dir,
      logger,
    });
    expect(mailer.transport).toBe('outbox');
    expect(mailer.outboxDir).toBe(dir);
    const result = await mailer.send({
      to: 'ann@example.org',
      cc: ['bo@example.org'],
      bcc: 'audit@example.org',
      subject: 'Resource from data.example.org',
      text: 'The link to the resource you requested:\nhttps://data.example.org/f/1.zip\n',
      html: '<p><a href="https://data.example.org/f/1.zip">Download</a> — 12 MB</p>',
      headers: { 'X-Resource-Id': 'r-1' },
      attachments: [{ filename: 'readme.txt', content: 'hello' }],
    });
    expect(result.accepted).toEqual(['ann@example.org', 'bo@example.org', 'audit@example.org']);
    expect(result.rejected).toEqual([]);
    expect(result.path).toBe(join(dir, readdirSync(dir)[0]!));
    expect(readdirSync(dir)).toEqual([expect.stringMatching(FILE_NAME)]);
    // Messages carry reset and download links: only the owner may read them.
    expect(statSync(result.path!).mode & 0o777).toBe(0o600);
    expect(logger.lines).toEqual([expect.stringMatching(/^email written to the outbox /)]);

    const [message] = await readOutbox(dir);
    expect(message).toMatchObject({
      path: result.path,
      messageId: result.messageId,
      from: 'packager@example.org',
      to: ['ann@example.org'],
      cc: ['bo@example.org'],
      // The file keeps what the SMTP envelope would have had.
      bcc: ['audit@example.org'],
      subject: 'Resource from data.example.org',
      text: 'The link to the resource you requested:\nhttps://data.example.org/f/1.zip\n',
      html: '<p><a href="https://data.example.org/f/1.zip">Download</a> — 12 MB</p>',
    });
    expect(message!.headers['x-resource-id']).toBe('r-1');
    expect(message!.attachments).toEqual([
      {
        filename: 'readme.txt',
        contentType: 'text/plain',
        cid: undefined,
        content: Buffer.from('hello'),
      },
    ]);
  });

  it('gives unique names that sort in the order messages were written', async () => {
    const dir = temporaryDir('order');
    const mailer = createMailer({ from: 'calc@example.org', outboxDir: dir });
    const subjects = Array.from({ length: 30 }, (_, index) => `message ${index}`);
    const paths: string[] = [];
    for (const subject of subjects) {
      paths.push((await mailer.send({ to: 'ann@example.org', subject, text: '.' })).path!);
    }
    expect(new Set(paths).size).toBe(30);
    expect([...paths].sort()).toEqual(paths);
    expect((await readOutbox(dir)).map((message) => message.subject)).toEqual(subjects);
  });

  it('writes concurrent sends to distinct files, leaving no temporary file behind', async () => {
    const dir = temporaryDir('concurrent');
    const mailer = createMailer({ from: 'calc@example.org', outboxDir: dir });
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        mailer.send({ to: `user${index}@example.org`, subject: `n${index}`, text: '.' }),
      ),
    );
    const names = readdirSync(dir);
    expect(names).toHaveLength(40);
    for (const name of names) expect(name).toMatch(FILE_NAME);
    const messages = await readOutbox(dir);
    expect(new Set(messages.map((message) => message.to[0])).size).toBe(40);
  });

  it('reads only finished .eml files, and an outbox that does not exist as empty', async () => {
    const dir = temporaryDir('reader');
    expect(await readOutbox(join(dir, 'missing'))).toEqual([]);
    const mailer = createMailer({ from: 'calc@example.org', outboxDir: dir });
    const { path } = await mailer.send({ to: 'ann@example.org', subject: 'kept', text: '.' });
    // What a writer leaves while it is still writing, and files that are not messages.
    writeFileSync(join(dir, `.${path!.split('/').pop()}.tmp`), 'From: half');
    writeFileSync(join(dir, 'notes.txt'), 'not a message');
    expect((await readOutbox(dir)).map((message) => message.subject)).toEqual(['kept']);
  });

  it('verify() creates the folder and checks it is writable', async () => {
    const dir = join(temporaryDir('verify'), 'a', 'b');
    await createMailer({ outboxDir: dir }).verify();
    expect(statSync(dir).isDirectory()).toBe(true);
  });
});
