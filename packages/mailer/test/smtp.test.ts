import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, UpstreamError } from '@geoworks/errors';
import {
  createMailer,
  mailFailureIsPermanent,
  parseMessage,
  SmtpError,
  type SmtpOptions,
} from '../src/index.js';
import {
  certificate,
  closedPort,
  recordingLogger,
  startSilentServer,
  startSmtpServer,
  type TestSmtpServer,
} from './helpers/smtp.js';

const from = 'Calculation server <calc@example.org>';
const message = { to: 'ann@example.org', subject: 'Calculation 42 finished', text: 'Done.' };

/** The error a promise rejects with (failing the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<SmtpError> {
  const error = await promise.then(
    () => new Error('expected the send to fail'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return error as SmtpError;
}

describe('SMTP without TLS', () => {
  let server: TestSmtpServer;
  beforeAll(async () => {
    server = await startSmtpServer({
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('later')) {
          const error = Object.assign(new Error('4.3.0 Mailbox busy, try again later'), {
            responseCode: 451,
          });
          return callback(error);
        }
        if (address.address.startsWith('nobody')) {
          const error = Object.assign(new Error(`5.1.1 <${address.address}>: no such user`), {
            responseCode: 550,
          });
          return callback(error);
        }
        callback();
      },
    });
  });
  afterAll(() => server.close());
  const smtp = (): SmtpOptions => ({ host: '127.0.0.1', port: server.port });

  it('delivers envelope, headers, text, HTML and attachments as given', async () => {
    const mailer = createMailer({ from, smtp: smtp() });
    const result = await mailer.send({
      to: ['Ann Lee <ann@example.org>', { name: 'Bo, Jr.', address: 'bo@example.org' }],
      cc: 'carla@example.org',
      bcc: 'audit@example.org',
      replyTo: 'support@example.org',
      subject: 'Téléchargement prêt: données 2024',
      text: 'Your file is ready:\nhttps://data.example.org/f/1.zip\n',
      html: '<p>Your file is <a href="https://data.example.org/f/1.zip">ready</a>.</p>',
      headers: { 'X-Job-Id': 'job-42' },
      attachments: [
        { filename: 'summary.csv', content: 'a,b\n1,2\n', contentType: 'text/csv' },
        { filename: 'raw.bin', content: new Uint8Array([0, 1, 2, 255]) },
      ],
    });
    expect(result.accepted).toEqual([
      'ann@example.org',
      'bo@example.org',
      'carla@example.org',
      'audit@example.org',
    ]);
    expect(result.rejected).toEqual([]);
    expect(result.path).toBeUndefined();

    const received = server.received.at(-1)!;
    expect(received.mailFrom).toBe('calc@example.org');
    expect(received.rcptTo).toEqual(result.accepted);
    expect(received.secure).toBe(false);
    const parsed = parseMessage(received.raw);
    expect(parsed.messageId).toBe(result.messageId);
    expect(parsed.from).toBe('calc@example.org');
    expect(parsed.headers.from).toBe('Calculation server <calc@example.org>');
    expect(parsed.to).toEqual(['ann@example.org', 'bo@example.org']);
    expect(parsed.headers.to).toBe('Ann Lee <ann@example.org>, "Bo, Jr." <bo@example.org>');
    expect(parsed.cc).toEqual(['carla@example.org']);
    expect(parsed.bcc).toEqual([]); // blind copies travel in the envelope only
    expect(parsed.replyTo).toEqual(['support@example.org']);
    expect(parsed.subject).toBe('Téléchargement prêt: données 2024');
    expect(parsed.headers['x-job-id']).toBe('job-42');
    expect(parsed.text).toBe('Your file is ready:\nhttps://data.example.org/f/1.zip\n');
    expect(parsed.html).toBe(
      '<p>Your file is <a href="https://data.example.org/f/1.zip">ready</a>.</p>',
    );
    expect(parsed.attachments.map((a) => [a.filename, a.contentType, [...a.content]])).toEqual([
      ['summary.csv', 'text/csv', [...Buffer.from('a,b\n1,2\n')]],
      ['raw.bin', 'application/octet-stream', [0, 1, 2, 255]],
    ]);
    expect(parsed.date!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('lets a message override the default sender', async () => {
    const mailer = createMailer({ from, smtp: smtp() });
    await mailer.send({ ...message, from: 'packager@example.org' });
    expect(server.received.at(-1)!.mailFrom).toBe('packager@example.org');
  });

  it('reports recipients the server refused while delivering to the others', async () => {
    const mailer = createMailer({ from, smtp: smtp() });
    const result = await mailer.send({ ...message, to: ['nobody@example.org', 'ann@example.org'] });
    expect(result.accepted).toEqual(['ann@example.org']);
    expect(result.rejected).toEqual(['nobody@example.org']);
    expect(server.received.at(-1)!.rcptTo).toEqual(['ann@example.org']);
  });

  it('gives an UpstreamError with the code and text of a 550 rejection', async () => {
    const mailer = createMailer({ from, smtp: smtp() });
    const error = await failure(mailer.send({ ...message, to: 'nobody@example.org' }));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.kind).toBe('upstream');
    expect(error.code).toBe('SMTP_REJECTED');
    expect(error.responseCode).toBe(550);
    expect(error.response).toBe('550 5.1.1 <nobody@example.org>: no such user');
    expect(error.command).toBe('RCPT TO');
    expect(error.message).toBe(
      `SMTP server 127.0.0.1:${server.port} rejected the message (RCPT TO): 550 5.1.1 <nobody@example.org>: no such user`,
    );
    expect(error.details).toEqual({
      server: `127.0.0.1:${server.port}`,
      responseCode: 550,
      response: '550 5.1.1 <nobody@example.org>: no such user',
      command: 'RCPT TO',
      transportCode: 'EENVELOPE',
    });
  });

  it('tells a permanent refusal (5xx) from a temporary one (4xx)', async () => {
    const mailer = createMailer({ from, smtp: smtp() });
    const refused = await failure(mailer.send({ ...message, to: 'nobody@example.org' }));
    expect(refused.permanent).toBe(true);
    expect(mailFailureIsPermanent(refused)).toBe(true);
    const busy = await failure(mailer.send({ ...message, to: 'later@example.org' }));
    expect(busy.code).toBe('SMTP_REJECTED');
    expect(busy.responseCode).toBe(451);
    expect(busy.permanent).toBe(false);
    expect(mailFailureIsPermanent(busy)).toBe(false);
    // The message itself is unusable: no other try can send it.
    const invalid = await failure(mailer.send({ ...message, to: 'bo@exa mple' }));
    expect(mailFailureIsPermanent(invalid)).toBe(true);
  });

  it('refuses to go on without TLS when requireTls is set', async () => {
    const mailer = createMailer({ from, smtp: { ...smtp(), requireTls: true } });
    const before = server.received.length;
    const error = await failure(mailer.send(message));
    expect(error.code).toBe('SMTP_TLS');
    expect(error.message).toBe(
      `SMTP server 127.0.0.1:${server.port} cannot switch to TLS (STARTTLS) and smtp.requireTls is set: 500 Error: command not recognized`,
    );
    expect(server.received.length).toBe(before);
  });

  it('verify() talks to the server', async () => {
    await expect(createMailer({ from, smtp: smtp() }).verify()).resolves.toBeUndefined();
  });
});

describe('SMTP connections', () => {
  it('sends many messages over a few pooled connections, and closes them on close()', async () => {
    let connections = 0;
    let closed = 0;
    const server = await startSmtpServer({
      onConnect(_session, callback) {
        connections++;
        callback();
      },
      onClose() {
        closed++;
      },
    });
    try {
      const mailer = createMailer({
        from: 'noreply@example.org',
        smtp: { host: '127.0.0.1', port: server.port, secure: false },
      });
      for (let i = 0; i < 12; i++) {
        await mailer.send({ to: `user${i}@example.org`, subject: `n${i}`, text: 'x' });
      }
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          mailer.send({ to: `other${i}@example.org`, subject: `p${i}`, text: 'y' }),
        ),
      );
      expect(server.received).toHaveLength(24);
      // One connection for the messages sent one after the other; at most five at a time.
      expect(connections).toBeGreaterThanOrEqual(1);
      expect(connections).toBeLessThanOrEqual(5);
      mailer.close();
      // Closing is asynchronous on the server's side: wait until it has seen every connection
      // end (a connection left open would keep this waiting until the test times out).
      while (closed < connections) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(closed).toBe(connections);
    } finally {
      await server.close();
    }
  });
});

describe('SMTP refusing the message body', () => {
  it('maps a 554 after DATA', async () => {
    const server = await startSmtpServer({
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () =>
          callback(Object.assign(new Error('5.7.1 Message refused'), { responseCode: 554 })),
        );
      },
    });
    try {
      const mailer = createMailer({ from, smtp: { host: '127.0.0.1', port: server.port } });
      const error = await failure(mailer.send(message));
      expect(error.code).toBe('SMTP_REJECTED');
      expect(error.responseCode).toBe(554);
      expect(error.command).toBe('DATA');
      expect(error.response).toBe('554 5.7.1 Message refused');
    } finally {
      await server.close();
    }
  });
});

describe('SMTP with STARTTLS and a login', () => {
  const password = 'correct horse battery staple';
  let server: TestSmtpServer;
  beforeAll(async () => {
    server = await startSmtpServer({
      tls: true,
      authOptional: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'calc' && auth.password === password) {
          return callback(null, { user: 'calc' });
        }
        callback(Object.assign(new Error('5.7.8 Authentication failed'), { responseCode: 535 }));
      },
    });
  });
  afterAll(() => server.close());
  const smtp = (overrides: Partial<SmtpOptions> = {}): SmtpOptions => ({
    host: 'localhost',
    port: server.port,
    user: 'calc',
    password,
    requireTls: true,
    ca: certificate,
    ...overrides,
  });

  it('upgrades the connection, logs in and delivers', async () => {
    const logger = recordingLogger();
    const mailer = createMailer({ from, smtp: smtp(), logger });
    const result = await mailer.send({ ...message, html: '<b>Done.</b>' });
    const received = server.received.at(-1)!;
    expect(received.secure).toBe(true);
    expect(received.user).toBe('calc');
    expect(received.rcptTo).toEqual(['ann@example.org']);
    const parsed = parseMessage(received.raw);
    expect(parsed.messageId).toBe(result.messageId);
    expect([parsed.text, parsed.html]).toEqual(['Done.', '<b>Done.</b>']);
    expect(logger.lines).toEqual([expect.stringMatching(/^email sent /)]);
  });

  it('gives SMTP_AUTH for a wrong password and never shows the password', async () => {
    const logger = recordingLogger();
    const wrong = 'not-the-password-0123';
    const mailer = createMailer({ from, smtp: smtp({ password: wrong }), logger });
    const error = await failure(mailer.send(message));
    expect(error.code).toBe('SMTP_AUTH');
    expect(error.responseCode).toBe(535);
    expect(error.message).toBe(
      `SMTP server localhost:${server.port} refused the login of user "calc": 535 5.7.8 Authentication failed`,
    );
    expect(error.command).toBe('AUTH PLAIN');
    const everything = [
      error.message,
      error.stack ?? '',
      JSON.stringify(error),
      JSON.stringify(error.details),
      String(error.cause ?? ''),
      ...logger.lines,
    ].join('\n');
    expect(logger.lines).toEqual([expect.stringMatching(/^email not sent .*SMTP_AUTH/)]);
    for (const secret of [wrong, Buffer.from(`\0calc\0${wrong}`).toString('base64')]) {
      expect(everything).not.toContain(secret);
    }
    expect(JSON.stringify(mailer)).not.toContain(wrong);
  });

  it('refuses a certificate it cannot verify (no ca given)', async () => {
    const mailer = createMailer({ from, smtp: smtp({ ca: undefined }) });
    const error = await failure(mailer.send(message));
    expect(error.code).toBe('SMTP_TLS');
    expect(error.message).toBe(
      `TLS with SMTP server localhost:${server.port} failed: self-signed certificate`,
    );
  });

  it('accepts it with rejectUnauthorized: false (test servers only)', async () => {
    const mailer = createMailer({
      from,
      smtp: smtp({ ca: undefined, rejectUnauthorized: false }),
    });
    await expect(mailer.send(message)).resolves.toMatchObject({ accepted: ['ann@example.org'] });
  });
});

describe('SMTP servers that do not answer', () => {
  it('times out waiting for the greeting of a hung server', async () => {
    const silent = await startSilentServer();
    try {
      const mailer = createMailer({
        from,
        smtp: { host: '127.0.0.1', port: silent.port, greetingTimeoutMs: 300 },
      });
      // The server never greets: only the greeting timeout can end the send.
      const error = await failure(mailer.send(message));
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.code).toBe('SMTP_TIMEOUT');
      expect(error.message).toBe(
        `SMTP server 127.0.0.1:${silent.port} did not send its greeting within 300 ms`,
      );
    } finally {
      await silent.close();
    }
  });

  it('stops when the caller aborts', async () => {
    const silent = await startSilentServer();
    try {
      const mailer = createMailer({ from, smtp: { host: '127.0.0.1', port: silent.port } });
      const error = await failure(mailer.send(message, { signal: AbortSignal.timeout(100) }));
      expect(error).toBeInstanceOf(AbortedError);
      expect(error.code).toBe('SEND_ABORTED');
    } finally {
      await silent.close();
    }
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();
    const mailer = createMailer({ from, smtp: { host: '127.0.0.1', port } });
    const error = await failure(mailer.send(message));
    expect(error.code).toBe('SMTP_CONNECTION');
    expect(error.permanent).toBe(false);
    expect(mailFailureIsPermanent(error)).toBe(false);
    expect(error.message).toBe(
      `Could not talk to SMTP server 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    await expect(mailer.verify()).rejects.toMatchObject({ code: 'SMTP_CONNECTION' });
  });
});
