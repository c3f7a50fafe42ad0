import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  linkIn,
  ManualClock,
  postForm,
  startService,
  startSmtpSink,
  type SmtpSink,
} from './helpers.js';

// The emails' clock is moved by hand: a retry minutes away is due at once, and nothing is
// retried before the test moves the clock.
const SECRET = 'email-retries-secret';
const MINUTE = 60_000;
let files: Server;
let fileUrl: string;

beforeAll(async () => {
  files = createServer((_req, res) => res.writeHead(200).end('id,name\n1,wren\n'));
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  fileUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/files/birds.csv`;
});
afterAll(async () => {
  files?.closeAllConnections();
  await new Promise((resolve) => files?.close(resolve));
});

const environment = (smtpPort: number, more: Record<string, string> = {}) => ({
  PACKAGER_SECRET: SECRET,
  PACKAGER_ALLOWED_HOSTS: '127.0.0.1',
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(smtpPort),
  PACKAGER_MAIL_RETRY_DELAY: '1m',
  ...more,
});

type Service = Awaited<ReturnType<typeof startService>>;

/** Packs the file for `email`; resolves with the job id once the job has ended. */
async function packFile(service: Service, email: string): Promise<string> {
  const answer = await postForm(service.url, '/package_url', {
    secret: SECRET,
    resource_id: 'birds',
    email,
    resource_url: fileUrl,
  });
  expect(answer.status).toBe(200);
  const job = await service.packager.queue.wait(answer.body.job_id, { timeoutMs: 20_000 });
  expect(job.status).toBe('finished');
  return job.id;
}

const requestStatus = async (service: Service, jobId: string) =>
  (await postForm(service.url, `/status/${jobId}`, { secret: SECRET })).body;

/** Milliseconds from `since` to the request's next email attempt. */
const nextAttemptAfter = (status: { email_next_attempt: string }, since: number) =>
  Date.parse(status.email_next_attempt) - since;

const refusal = (smtp: SmtpSink, reply: string) =>
  `SMTP server 127.0.0.1:${smtp.port} rejected the message (RCPT TO): ${reply}`;

describe('an SMTP server that refuses for now, then accepts', () => {
  let smtp: SmtpSink;
  let service: Service;
  const clock = new ManualClock();
  beforeAll(async () => {
    smtp = await startSmtpSink({ refusals: [451, 451] });
    service = await startService(environment(smtp.port), { clock });
  });
  afterAll(async () => {
    await service?.cleanup();
    await smtp?.close();
  });

  it('keeps the email, retries it with backoff, and reports its state until it is sent', async () => {
    const start = clock.now();
    const jobId = await packFile(service, 'ann@example.org');
    const busy = refusal(smtp, '451 4.3.0 Try again later');
    const first = await requestStatus(service, jobId);
    expect(first).toEqual({
      job_id: jobId,
      status: 'finished',
      queue: 'fast',
      resource_id: 'birds',
      error: null,
      email_status: 'pending',
      email_attempts: 1,
      email_error: busy,
      email_next_attempt: first.email_next_attempt,
    });
    // 1 minute +-25% after the first attempt, made when the zip was ready.
    expect(nextAttemptAfter(first, start)).toBeGreaterThanOrEqual(0.75 * MINUTE);
    expect(nextAttemptAfter(first, start)).toBeLessThanOrEqual(1.25 * MINUTE);
    const listed = await postForm(service.url, '/statistics/requests', {
      secret: SECRET,
      email_status: 'pending',
    });
    expect(listed.body.requests).toEqual([
      expect.objectContaining({
        email: 'ann@example.org',
        email_status: 'pending',
        email_attempts: 1,
        email_error: busy,
      }),
    ]);
    expect((await postForm(service.url, '/status', { secret: SECRET })).body.emails).toEqual({
      pending: 1,
      failed: 0,
    });
    expect(smtp.attempts).toEqual(['ann@example.org']);

    // Not before its time.
    await clock.advance(0.74 * MINUTE);
    expect(smtp.attempts).toHaveLength(1);
    await clock.advance(0.51 * MINUTE);
    expect(smtp.attempts).toHaveLength(2);
    const second = await requestStatus(service, jobId);
    expect(second).toMatchObject({ email_status: 'pending', email_attempts: 2, email_error: busy });
    // Doubled: 2 minutes +-25% after the second attempt, made when it was due.
    const secondAttempt = Date.parse(first.email_next_attempt);
    expect(nextAttemptAfter(second, secondAttempt)).toBeGreaterThanOrEqual(1.5 * MINUTE);
    expect(nextAttemptAfter(second, secondAttempt)).toBeLessThanOrEqual(2.5 * MINUTE);

    await clock.advance(2.5 * MINUTE);
    expect(smtp.attempts).toHaveLength(3);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.envelopeTo).toEqual(['ann@example.org']);
    expect(await requestStatus(service, jobId)).toMatchObject({
      email_status: 'sent',
      email_attempts: 3,
      email_error: null,
      email_next_attempt: null,
    });
    expect((await postForm(service.url, '/status', { secret: SECRET })).body.emails).toEqual({
      pending: 0,
      failed: 0,
    });
    // The zip the late email links to is still there.
    expect((await fetch(linkIn(smtp.mails[0]!))).status).toBe(200);
  });
});

describe('an SMTP server that refuses for good (5xx)', () => {
  it('gives up at once, and says so in the request status and the statistics', async () => {
    const clock = new ManualClock();
    const smtp = await startSmtpSink({ refusals: [550] });
    const service = await startService(environment(smtp.port), { clock });
    try {
      const jobId = await packFile(service, 'nobody@example.org');
      const unavailable = refusal(smtp, '550 5.1.1 Mailbox unavailable');
      expect(await requestStatus(service, jobId)).toMatchObject({
        status: 'finished',
        email_status: 'failed',
        email_attempts: 1,
        email_error: unavailable,
        email_next_attempt: null,
      });
      await clock.advance(2 * 24 * 60 * MINUTE);
      expect(smtp.attempts).toEqual(['nobody@example.org']);
      const failed = await postForm(service.url, '/statistics/requests', {
        secret: SECRET,
        email_status: 'failed',
      });
      expect(failed.body.requests.map((entry: { email: string }) => entry.email)).toEqual([
        'nobody@example.org',
      ]);
      expect((await postForm(service.url, '/status', { secret: SECRET })).body.emails).toEqual({
        pending: 0,
        failed: 1,
      });
    } finally {
      await service.cleanup();
      await smtp.close();
    }
  });
});

describe('PACKAGER_MAIL_ATTEMPTS', () => {
  it('stops retrying after the last attempt', async () => {
    const clock = new ManualClock();
    const smtp = await startSmtpSink({ refusals: [451, 451, 451] });
    const service = await startService(environment(smtp.port, { PACKAGER_MAIL_ATTEMPTS: '2' }), {
      clock,
    });
    try {
      const jobId = await packFile(service, 'bo@example.org');
      await clock.advance(1.25 * MINUTE);
      expect(await requestStatus(service, jobId)).toMatchObject({
        email_status: 'failed',
        email_attempts: 2,
        email_error: `${refusal(smtp, '451 4.3.0 Try again later')} (gave up after 2 attempts)`,
      });
      await clock.advance(24 * 60 * MINUTE);
      expect(smtp.attempts).toEqual(['bo@example.org', 'bo@example.org']);
    } finally {
      await service.cleanup();
      await smtp.close();
    }
  });
});

describe('an SMTP server that is down', () => {
  it('keeps the email across a restart of the service and delivers it once the server is back', async () => {
    // A port nobody listens on, for now.
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const clock = new ManualClock();
    const first = await startService(environment(port), { clock });
    const jobId = await packFile(first, 'cy@example.org');
    expect(await requestStatus(first, jobId)).toMatchObject({
      email_status: 'pending',
      email_attempts: 1,
      email_error: `Could not talk to SMTP server 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    await first.stop();

    const smtp = await startSmtpSink({ port });
    const restartedClock = new ManualClock(clock.now());
    const again = await startService(environment(port), {
      clock: restartedClock,
      dataDir: first.dataDir,
    });
    try {
      expect(smtp.mails).toHaveLength(0);
      await restartedClock.advance(1.25 * MINUTE);
      expect(smtp.mails.map((mail) => mail.envelopeTo)).toEqual([['cy@example.org']]);
      expect(await requestStatus(again, jobId)).toMatchObject({
        status: 'finished',
        email_status: 'sent',
        email_attempts: 2,
        email_error: null,
      });
    } finally {
      await again.cleanup();
      await smtp.close();
    }
  });
});
