// mailer benchmark: `npm run bench -w @geoworks/mailer`.
// Download-link emails (text and HTML) as the packager and the calculation server send them:
// written to the outbox, and sent over SMTP to a real SMTP server on loopback (the
// `smtp-server` package), 1 and 8 at a time; messages per second.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { createMailer, type MailMessage } from '../src/index.js';

const COUNT = Number(process.env.BENCH_MESSAGES ?? 500);

const message = (i: number): MailMessage => ({
  to: `user${i}@example.org`,
  subject: `Your download ${i} is ready`,
  text: `Your file: https://data.example.org/downloads/${i}.zip\n`,
  html: `<p>Your file: <a href="https://data.example.org/downloads/${i}.zip">${i}.zip</a></p>`,
});

async function timed(label: string, send: (i: number) => Promise<unknown>, parallel: number) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < COUNT) await send(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(30)} ${(COUNT / seconds).toFixed(0).padStart(6)} messages/s`);
}

const dir = mkdtempSync(join(tmpdir(), 'mailer-bench-'));
let accepted = 0;
const server = new SMTPServer({
  logger: false,
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  disableReverseLookup: true,
  onData(stream, _session, callback) {
    stream.resume();
    stream.on('end', () => {
      accepted++;
      callback();
    });
  },
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.server.address() as { port: number }).port;
try {
  console.log(`mailer: ${COUNT} download-link emails each way`);
  const outbox = createMailer({ from: 'noreply@example.org', outboxDir: join(dir, 'outbox') });
  await timed('outbox (.eml files)', (i) => outbox.send(message(i)), 1);
  if (readdirSync(join(dir, 'outbox')).length !== COUNT) throw new Error('outbox count');
  for (const parallel of [1, 8]) {
    const smtp = createMailer({
      from: 'noreply@example.org',
      smtp: { host: '127.0.0.1', port, secure: false },
    });
    await timed(`SMTP, ${parallel} at a time`, (i) => smtp.send(message(i)), parallel);
    smtp.close();
  }
  if (accepted !== 2 * COUNT) throw new Error(`the server took ${accepted} messages`);
} finally {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
}
