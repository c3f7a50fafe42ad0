import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMessage, type ParsedMessage } from '@geoworks/mailer';
import type { Clock } from '@geoworks/packager';
import { SMTPServer } from 'smtp-server';
import yauzl from 'yauzl';
import { start, type StartOptions } from '../src/server.js';

export interface Mail {
  envelopeTo: string[];
  message: ParsedMessage;
}

export interface SmtpSink {
  port: number;
  mails: Mail[];
  /** Recipients offered (RCPT TO), refused ones included: one per delivery attempt. */
  attempts: string[];
  /** Resolves with the `count`-th mail received (1-based) once it is in. */
  waitFor(count: number, timeoutMs?: number): Promise<Mail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (`smtp-server`) on a free loopback port, keeping what it receives.
 * `refusals` are the reply codes (451, 550, ...) it gives the first recipients, one per
 * attempt, before it accepts; `port` is the port to listen on (default: a free one).
 */
export async function startSmtpSink(
  options: { refusals?: number[]; port?: number } = {},
): Promise<SmtpSink> {
  const mails: Mail[] = [];
  const attempts: string[] = [];
  const refusals = [...(options.refusals ?? [])];
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(address, _session, callback) {
      attempts.push(address.address);
      const code = refusals.shift();
      if (code === undefined) return callback();
      const text = code >= 500 ? '5.1.1 Mailbox unavailable' : '4.3.0 Try again later';
      callback(Object.assign(new Error(text), { responseCode: code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          message: parseMessage(Buffer.concat(chunks)),
        });
        waiters.splice(0).forEach((wake) => wake());
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    mails,
    attempts,
    async waitFor(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (mails.length < count) {
        if (Date.now() > deadline)
          throw new Error(`Only ${mails.length} of ${count} mails arrived`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return mails[count - 1]!;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Service = Awaited<ReturnType<typeof start>>;

/**
 * Starts the packager app on a free port with a fresh data folder (or `dataDir`, to start it
 * again on the data of an earlier one).
 */
export async function startService(
  env: Record<string, string>,
  options: Omit<StartOptions, 'env'> & { dataDir?: string } = {},
): Promise<Service & { dataDir: string; cleanup(): Promise<void> }> {
  const { dataDir: given, ...startOptions } = options;
  const dataDir = given ?? (await mkdtemp(join(tmpdir(), 'packager-app-')));
  const service = await start({
    env: { PACKAGER_PORT: '0', PACKAGER_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env },
    ...startOptions,
  });
  return Object.assign(service, {
    dataDir,
    async cleanup() {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}

// Answers are read loosely in the tests; each assertion checks the values it needs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type JsonBody = any;

/** POSTs form fields, as the CKAN extension does. */
export async function postForm(
  base: string,
  path: string,
  fields: Record<string, string> | URLSearchParams,
): Promise<{ status: number; body: JsonBody }> {
  const response = await fetch(new URL(path, base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Every entry of a zip, by name, in archive order. */
export async function readZip(zip: Buffer): Promise<Map<string, Buffer>> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const entries = new Map<string, Buffer>();
  for await (const entry of file.eachEntry()) {
    const stream = await file.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    entries.set(entry.fileName, Buffer.concat(chunks));
  }
  return entries;
}

/** RFC 4180 rows: `"` quoting with `""` escapes, fields may hold the delimiter and newlines. */
export function parseDelimited(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === delimiter) {
      row.push(field);
      field = '';
    } else if (char === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The text a cell of a record value must hold: empty for null, JSON for objects. */
export function expectedCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The download link of a packager mail. */
export function linkIn(mail: Mail): string {
  const match = /https?:\/\/\S+\/downloads\/\S+\.zip/.exec(mail.message.text ?? '');
  if (match === null) throw new Error(`No download link in:\n${mail.message.text}`);
  return match[0];
}

/**
 * A clock moved by hand: timers run when `advance` passes their time, in order, and `advance`
 * waits for what they start (an email attempt), so a retry an hour away takes no time.
 */
export class ManualClock implements Clock {
  private time: number;
  private readonly timers = new Set<{ at: number; task: () => Promise<void> | void }>();

  constructor(start = Date.now()) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(task: () => Promise<void> | void, ms: number): () => void {
    const timer = { at: this.time + Math.max(0, ms), task };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Moves the time on by `ms`, running every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers]
        .filter((timer) => timer.at <= target)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers.delete(due);
      this.time = Math.max(this.time, due.at);
      await due.task();
    }
    this.time = target;
  }
}
