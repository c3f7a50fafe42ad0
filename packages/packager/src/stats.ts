import { createHmac, randomBytes, scrypt, scryptSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BadTaskParameterError } from './errors.js';
import { MAX_EMAIL, MAX_RESOURCE_ID, ParameterReader } from './parameters.js';

export interface StatsStoreOptions {
  /** SQLite file (`STATS_DB`); `:memory:` for tests. */
  file: string;
  /**
   * Store emails as salted one-way hashes (`ANONYMIZE_EMAILS`), keeping the domain in its own
   * column. Turning it on hashes the plain addresses already stored, at open.
   */
  anonymizeEmails?: boolean;
}

/** Totals of one resource, or of all (`*`). */
export interface ResourceTotals {
  requests: number;
  errors: number;
  /** Distinct addresses that downloaded it. */
  emails: number;
}

/** Where the email with a request's download link is: waiting for (another) try, delivered, or given up. */
export type EmailStatus = 'pending' | 'sent' | 'failed';

export const EMAIL_STATUSES: readonly EmailStatus[] = ['pending', 'sent', 'failed'];

export interface RequestEntry {
  email: string;
  domain: string | null;
  resource_id: string;
  /** Records (or bytes for file packages) in the zip. */
  count: number | null;
  /** UNIX time, seconds. */
  timestamp: number;
  email_status: EmailStatus;
  /** Delivery attempts made so far. */
  email_attempts: number;
  /** Why the last attempt failed; null once sent. */
  email_error: string | null;
}

/** The email of one request, for its status. */
export interface EmailState {
  status: EmailStatus;
  attempts: number;
  error: string | null;
  /** When the next attempt is due (ms since the epoch), while pending. */
  nextAttemptAt: number | null;
}

/** An email waiting in the spool, as claimed for an attempt. */
export interface SpooledEmail {
  requestId: number;
  /** The message, as the spool wrote it. */
  message: string;
  attempts: number;
  /** When it was spooled and when the link it carries stops working (ms since the epoch). */
  createdAt: number;
  expiresAt: number;
}

/** What an attempt came to: sent, given up, or to be tried again at `nextAttemptAt`. */
export type EmailOutcome =
  | { status: 'sent' }
  | { status: 'failed'; error: string }
  | { status: 'pending'; error: string; nextAttemptAt: number };

export interface ErrorEntry {
  email: string;
  resource_id: string;
  message: string;
  timestamp: number;
}

/** A failed request, as logged. */
export interface ErrorEntryInput {
  email: string;
  resourceId: string;
  message: string;
  time?: Date;
}

export interface StatsQuery {
  offset?: number;
  limit?: number;
  resourceId?: string;
  email?: string;
  /** Requests only: those whose email is in this state. */
  emailStatus?: EmailStatus;
}

const MAX_LIST = 10_000;

/**
 * The parameters of the statistics routes as posted (`resource_id`, `email`, `offset`,
 * `limit`), checked as task parameters are: empty means absent.
 */
export function parseStatsQuery(parameters: Readonly<Record<string, unknown>>): StatsQuery {
  const read = new ParameterReader(parameters);
  const resourceId = read.optionalText('resource_id', MAX_RESOURCE_ID);
  const email = read.optionalText('email', MAX_EMAIL);
  const offset = read.count('offset');
  const limit = read.count('limit');
  const emailStatus = read.optionalText('email_status', 20);
  if (
    emailStatus !== undefined &&
    emailStatus !== '' &&
    !EMAIL_STATUSES.includes(emailStatus as EmailStatus)
  ) {
    throw new BadTaskParameterError(
      'email_status',
      `Parameter email_status must be one of ${EMAIL_STATUSES.join(', ')}`,
    );
  }
  const query: StatsQuery = {
    ...(resourceId === undefined || resourceId === '' ? {} : { resourceId }),
    ...(email === undefined || email === '' ? {} : { email }),
    ...(emailStatus === undefined || emailStatus === ''
      ? {}
      : { emailStatus: emailStatus as EmailStatus }),
    ...(offset === undefined ? {} : { offset }),
    ...(limit === undefined ? {} : { limit }),
  };
  page(query);
  return query;
}
// scrypt with N = 2^14 costs ~30 ms and 16 MiB per address: cheap for one request, costly
// for someone trying every address of a domain against a stolen database.
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Request log, error log and per-resource totals of the packager, in SQLite. */
export class StatsStore {
  readonly anonymizeEmails: boolean;
  private readonly db: Database.Database;
  private readonly salt: Buffer;

  private constructor(db: Database.Database, anonymizeEmails: boolean, salt: Buffer) {
    this.db = db;
    this.anonymizeEmails = anonymizeEmails;
    this.salt = salt;
  }

  static async open(options: StatsStoreOptions): Promise<StatsStore> {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    const db = new Database(options.file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(`
      CREATE TABLE IF NOT EXISTS requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        count INTEGER,
        domain TEXT,
        email TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        timestamp INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS requests_by_resource ON requests (resource_id, email);
      CREATE INDEX IF NOT EXISTS requests_by_email ON requests (email);
      CREATE TABLE IF NOT EXISTS errors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        timestamp INTEGER NOT NULL,
        resource_id TEXT NOT NULL,
        email TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS errors_by_resource ON errors (resource_id);
      CREATE INDEX IF NOT EXISTS errors_by_email ON errors (email);
      CREATE TABLE IF NOT EXISTS totals (
        resource_id TEXT PRIMARY KEY,
        requests INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        emails INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS email_spool (
        request_id INTEGER PRIMARY KEY REFERENCES requests (id),
        message TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS email_spool_due ON email_spool (next_attempt_at);
    `);
    addEmailColumns(db);
    const row = db.prepare(`SELECT value FROM meta WHERE name = 'email_salt'`).get() as
      { value: Buffer } | undefined;
    let salt = row?.value;
    if (salt === undefined) {
      salt = randomBytes(32);
      db.prepare(`INSERT OR IGNORE INTO meta (name, value) VALUES ('email_salt', ?)`).run(salt);
      salt = (
        db.prepare(`SELECT value FROM meta WHERE name = 'email_salt'`).get() as { value: Buffer }
      ).value;
    }
    const store = new StatsStore(db, options.anonymizeEmails ?? false, salt);
    if (store.anonymizeEmails) await store.hashPlainEmails();
    return store;
  }

  /** The address as stored: lower-cased and hashed when anonymising, else as given. */
  async storedEmail(email: string): Promise<string> {
    if (!this.anonymizeEmails) return email;
    const { address, salt } = this.emailSalt(email);
    const hash = await new Promise<Buffer>((resolve, reject) =>
      scrypt(address, salt, 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))),
    );
    return `scrypt$${hash.toString('base64url')}`;
  }

  /** The same, computed on the spot (it blocks): for records made inside a transaction. */
  storedEmailNow(email: string): string {
    if (!this.anonymizeEmails) return email;
    const { address, salt } = this.emailSalt(email);
    return `scrypt$${scryptSync(address, salt, 32, SCRYPT).toString('base64url')}`;
  }

  private emailSalt(email: string): { address: string; salt: Buffer } {
    const address = email.trim().toLowerCase();
    const domain = domainOf(address) ?? '';
    // A per-domain salt, as the original's bcrypt did, derived from one secret salt.
    return { address, salt: createHmac('sha256', this.salt).update(domain).digest() };
  }

  /**
   * Logs a successful request and updates the totals of its resource and of `*`; returns its
   * id. With `spool`, the email carrying its link is kept in the same transaction (status
   * `pending`) until it is sent or given up; without, the caller has already emailed it.
   */
  async logRequest(entry: {
    email: string;
    resourceId: string;
    count?: number;
    time?: Date;
    jobId?: string;
    spool?: { message: string; createdAt: number; expiresAt: number };
  }): Promise<number> {
    const email = await this.storedEmail(entry.email);
    const timestamp = unixSeconds(entry.time);
    const spool = entry.spool;
    return this.db.transaction(() => {
      const seen = (resourceId: string | undefined) =>
        this.db
          .prepare(
            resourceId === undefined
              ? `SELECT 1 FROM requests WHERE email = ? LIMIT 1`
              : `SELECT 1 FROM requests WHERE email = ? AND resource_id = ? LIMIT 1`,
          )
          .get(...(resourceId === undefined ? [email] : [email, resourceId])) !== undefined;
      const newForResource = !seen(entry.resourceId);
      const newOverall = !seen(undefined);
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO requests (count, domain, email, resource_id, timestamp, job_id, email_status, email_attempts)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          entry.count ?? null,
          domainOf(entry.email),
          email,
          entry.resourceId,
          timestamp,
          entry.jobId ?? null,
          spool === undefined ? 'sent' : 'pending',
          spool === undefined ? 1 : 0,
        );
      const id = Number(lastInsertRowid);
      if (spool !== undefined) {
        this.db
          .prepare(
            `INSERT INTO email_spool (request_id, message, created_at, expires_at, next_attempt_at)
             VALUES (?, ?, ?, ?, ?)`,
          )
          .run(id, spool.message, spool.createdAt, spool.expiresAt, spool.createdAt);
      }
      this.bump(entry.resourceId, 'requests', newForResource);
      this.bump('*', 'requests', newOverall);
      return id;
    })();
  }

  /**
   * Claims spooled emails due by `now` (or the one of `requestId`, if due) for an attempt:
   * their next attempt moves to `leaseUntil`, so no other attempt takes them meanwhile, and
   * one that dies mid-way is tried again then.
   */
  claimEmails(
    now: number,
    leaseUntil: number,
    options: { requestId?: number; limit?: number } = {},
  ): SpooledEmail[] {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(
          `SELECT s.request_id AS requestId, s.message, s.created_at AS createdAt,
                  s.expires_at AS expiresAt, r.email_attempts AS attempts
           FROM email_spool s JOIN requests r ON r.id = s.request_id
           WHERE s.next_attempt_at <= ? ${options.requestId === undefined ? '' : 'AND s.request_id = ?'}
           ORDER BY s.next_attempt_at LIMIT ?`,
        )
        .all(
          now,
          ...(options.requestId === undefined ? [] : [options.requestId]),
          options.limit ?? 50,
        ) as SpooledEmail[];
      const lease = this.db.prepare(
        `UPDATE email_spool SET next_attempt_at = ? WHERE request_id = ?`,
      );
      for (const row of rows) lease.run(leaseUntil, row.requestId);
      return rows;
    })();
  }

  /** Records an attempt; a sent or given-up email leaves the spool (with its address). */
  recordEmailAttempt(requestId: number, outcome: EmailOutcome): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE requests SET email_status = ?, email_attempts = email_attempts + 1, email_error = ?
           WHERE id = ?`,
        )
        .run(outcome.status, outcome.status === 'sent' ? null : outcome.error, requestId);
      if (outcome.status === 'pending') {
        this.db
          .prepare(`UPDATE email_spool SET next_attempt_at = ? WHERE request_id = ?`)
          .run(outcome.nextAttemptAt, requestId);
      } else {
        this.db.prepare(`DELETE FROM email_spool WHERE request_id = ?`).run(requestId);
      }
    })();
  }

  /** When the earliest spooled email is due (ms since the epoch), if any is waiting. */
  nextEmailDue(): number | undefined {
    const row = this.db.prepare(`SELECT min(next_attempt_at) AS due FROM email_spool`).get() as {
      due: number | null;
    };
    return row.due ?? undefined;
  }

  /** The email of the request a job made, once it made one. */
  emailState(jobId: string): EmailState | undefined {
    const row = this.db
      .prepare(
        `SELECT r.email_status AS status, r.email_attempts AS attempts, r.email_error AS error,
                s.next_attempt_at AS nextAttemptAt
         FROM requests r LEFT JOIN email_spool s ON s.request_id = r.id
         WHERE r.job_id = ? ORDER BY r.id DESC LIMIT 1`,
      )
      .get(jobId) as EmailState | undefined;
    return row === undefined ? undefined : { ...row, nextAttemptAt: row.nextAttemptAt ?? null };
  }

  /** Emails waiting for a try, and emails given up, over all requests. */
  emailCounts(): { pending: number; failed: number } {
    const count = (status: EmailStatus) =>
      (
        this.db
          .prepare(`SELECT count(*) AS n FROM requests WHERE email_status = ?`)
          .get(status) as { n: number }
      ).n;
    return { pending: count('pending'), failed: count('failed') };
  }

  /** Logs a failed request with its message and counts it in the totals. */
  async logError(entry: ErrorEntryInput): Promise<void> {
    this.insertError(entry, await this.storedEmail(entry.email));
  }

  /** The same, at once (see storedEmailNow): for a caller inside a transaction. */
  logErrorNow(entry: ErrorEntryInput): void {
    this.insertError(entry, this.storedEmailNow(entry.email));
  }

  private insertError(entry: ErrorEntryInput, email: string): void {
    this.db.transaction(() => {
      this.db
        .prepare(`INSERT INTO errors (timestamp, resource_id, email, message) VALUES (?, ?, ?, ?)`)
        .run(unixSeconds(entry.time), entry.resourceId, email, entry.message);
      this.bump(entry.resourceId, 'errors', false);
      this.bump('*', 'errors', false);
    })();
  }

  /** The database, for records that must be written in the same transaction as these. */
  get database(): Database.Database {
    return this.db;
  }

  /** Totals keyed by resource id, `*` being the grand total; one resource when asked. */
  totals(resourceId?: string): Record<string, ResourceTotals> {
    const rows = (
      resourceId === undefined
        ? this.db.prepare(`SELECT * FROM totals ORDER BY resource_id`).all()
        : this.db.prepare(`SELECT * FROM totals WHERE resource_id = ?`).all(resourceId)
    ) as ({ resource_id: string } & ResourceTotals)[];
    const result: Record<string, ResourceTotals> = {};
    for (const row of rows) {
      result[row.resource_id] = { requests: row.requests, errors: row.errors, emails: row.emails };
    }
    if (resourceId === undefined && result['*'] === undefined) {
      result['*'] = { requests: 0, errors: 0, emails: 0 };
    }
    return result;
  }

  /** Requests, newest first. */
  async requests(query: StatsQuery = {}): Promise<RequestEntry[]> {
    const { where, values } = await this.filter(query);
    return this.db
      .prepare(
        `SELECT email, domain, resource_id, count, timestamp, email_status, email_attempts, email_error
         FROM requests ${where}
         ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?`,
      )
      .all(...values, ...page(query)) as RequestEntry[];
  }

  /** Errors, newest first. */
  async errors(query: StatsQuery = {}): Promise<ErrorEntry[]> {
    const { where, values } = await this.filter({ ...query, emailStatus: undefined });
    return this.db
      .prepare(
        `SELECT email, resource_id, message, timestamp FROM errors ${where}
         ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?`,
      )
      .all(...values, ...page(query)) as ErrorEntry[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private bump(resourceId: string, column: 'requests' | 'errors', newEmail: boolean): void {
    this.db
      .prepare(
        `INSERT INTO totals (resource_id, ${column}, emails) VALUES (?, 1, ?)
         ON CONFLICT (resource_id) DO UPDATE SET ${column} = ${column} + 1, emails = emails + excluded.emails`,
      )
      .run(resourceId, newEmail ? 1 : 0);
  }

  private async filter(query: StatsQuery): Promise<{ where: string; values: string[] }> {
    const clauses: string[] = [];
    const values: string[] = [];
    if (query.resourceId !== undefined) {
      clauses.push('resource_id = ?');
      values.push(query.resourceId);
    }
    if (query.email !== undefined) {
      clauses.push('email = ?');
      values.push(await this.storedEmail(query.email));
    }
    if (query.emailStatus !== undefined) {
      clauses.push('email_status = ?');
      values.push(query.emailStatus);
    }
    return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, values };
  }

  // Rows written before anonymisation was turned on still hold addresses: hash them in place.
  private async hashPlainEmails(): Promise<void> {
    for (const table of ['requests', 'errors'] as const) {
      const plain = this.db
        .prepare(`SELECT DISTINCT email FROM ${table} WHERE email LIKE '%@%'`)
        .pluck()
        .all() as string[];
      for (const email of plain) {
        const hashed = await this.storedEmail(email);
        if (table === 'requests') {
          this.db
            .prepare(`UPDATE requests SET email = ?, domain = coalesce(domain, ?) WHERE email = ?`)
            .run(hashed, domainOf(email), email);
        } else {
          this.db.prepare(`UPDATE errors SET email = ? WHERE email = ?`).run(hashed, email);
        }
      }
    }
    if (this.db.prepare(`SELECT 1 FROM requests LIMIT 1`).get() !== undefined) this.recountEmails();
  }

  // Hashing lower-cases addresses, so `A@x.org` and `a@x.org` become one: recount.
  private recountEmails(): void {
    this.db.transaction(() => {
      this.db.exec(`
        UPDATE totals SET emails = (
          SELECT count(DISTINCT email) FROM requests WHERE requests.resource_id = totals.resource_id
        ) WHERE resource_id <> '*';
        UPDATE totals SET emails = (SELECT count(DISTINCT email) FROM requests) WHERE resource_id = '*';
      `);
    })();
  }
}

/**
 * The email columns of `requests`, added to databases made before emails were spooled: their
 * requests were logged once emailed, so they count as sent once.
 */
function addEmailColumns(db: Database.Database): void {
  const columns = new Set(
    (db.prepare(`PRAGMA table_info(requests)`).all() as { name: string }[]).map(
      (column) => column.name,
    ),
  );
  const wanted: [string, string][] = [
    ['job_id', 'TEXT'],
    ['email_status', `TEXT NOT NULL DEFAULT 'sent'`],
    ['email_attempts', 'INTEGER NOT NULL DEFAULT 1'],
    ['email_error', 'TEXT'],
  ];
  for (const [name, type] of wanted) {
    if (!columns.has(name)) db.exec(`ALTER TABLE requests ADD COLUMN ${name} ${type}`);
  }
  db.exec(`
    CREATE INDEX IF NOT EXISTS requests_by_job ON requests (job_id);
    CREATE INDEX IF NOT EXISTS requests_by_email_status ON requests (email_status);
  `);
}

function domainOf(email: string): string | null {
  const at = email.lastIndexOf('@');
  return at < 0
    ? null
    : email
        .slice(at + 1)
        .trim()
        .toLowerCase() || null;
}

function unixSeconds(time: Date | undefined): number {
  return Math.floor((time ?? new Date()).getTime() / 1000);
}

function page(query: StatsQuery): [number, number] {
  const limit = query.limit ?? 100;
  const offset = query.offset ?? 0;
  if (!(Number.isInteger(limit) && limit >= 0 && limit <= MAX_LIST)) {
    throw new BadTaskParameterError(
      'limit',
      `Parameter limit must be an integer from 0 to ${MAX_LIST}`,
    );
  }
  if (!(Number.isInteger(offset) && offset >= 0)) {
    throw new BadTaskParameterError('offset', 'Parameter offset must be an integer >= 0');
  }
  return [limit, offset];
}
