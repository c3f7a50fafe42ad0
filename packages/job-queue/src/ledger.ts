import type Database from 'better-sqlite3';
import type { SerializedError } from '@geoworks/errors';
import type { JobDeclarations, PayloadOf, ResultOf } from './declarations.js';

/** How a job the service queued ended, as its recorder receives it: once per job. */
export type SettledJob<J extends JobDeclarations> = {
  [K in keyof J & string]:
    | {
        id: string;
        type: K;
        status: 'finished';
        payload: PayloadOf<J[K]>;
        result: ResultOf<J[K]>;
        error: null;
      }
    | {
        id: string;
        type: K;
        /** `failed` also for a job the queue lost (error code `JOB_LOST`). */
        status: 'failed' | 'aborted';
        payload: PayloadOf<J[K]>;
        result: null;
        error: SerializedError;
      };
}[keyof J & string];

/** What the service knows of a job it queued, whatever its queue still holds. */
export interface LedgerEntry {
  id: string;
  type: string;
  status: 'queued' | 'started' | 'finished' | 'failed' | 'aborted';
  payload: unknown;
  error: SerializedError | null;
  createdAt: Date;
  settledAt: Date | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS job_ledger (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'started', 'finished', 'failed', 'aborted')),
  error TEXT,
  created_at INTEGER NOT NULL,
  settled_at INTEGER
);
CREATE INDEX IF NOT EXISTS job_ledger_open ON job_ledger (created_at) WHERE settled_at IS NULL;
CREATE INDEX IF NOT EXISTS job_ledger_settled ON job_ledger (settled_at) WHERE settled_at IS NOT NULL;
`;

interface Row {
  id: string;
  type: string;
  payload: string;
  status: LedgerEntry['status'];
  error: string | null;
  created_at: number;
  settled_at: number | null;
}

/**
 * The jobs a service queued, in the service's own SQLite database: open until their end is
 * recorded. Recording and closing the entry are one transaction, so each end is recorded
 * exactly once, whoever reports it (an event, a check, the start-up catch-up), and a recorder
 * that throws leaves the entry open for the next check. The open entries are the mark a
 * restart catches up from: only they are asked about, not every job the queue still keeps.
 */
export class JobLedger<J extends JobDeclarations> {
  readonly #db: Database.Database;
  readonly #record: (job: SettledJob<J>) => void;
  readonly #now: () => number;
  readonly #sql;

  constructor(
    database: Database.Database,
    record: (job: SettledJob<J>) => void,
    now: () => number,
  ) {
    this.#db = database;
    this.#record = record;
    this.#now = now;
    database.exec(SCHEMA);
    this.#sql = {
      open: database.prepare(
        `INSERT OR IGNORE INTO job_ledger (id, type, payload, status, created_at)
         VALUES (?, ?, ?, 'queued', ?)`,
      ),
      started: database.prepare(
        "UPDATE job_ledger SET status = 'started' WHERE id = ? AND settled_at IS NULL",
      ),
      settle: database.prepare(
        `UPDATE job_ledger SET status = ?, error = ?, settled_at = ?
         WHERE id = ? AND settled_at IS NULL`,
      ),
      get: database.prepare('SELECT * FROM job_ledger WHERE id = ?'),
      openIds: database.prepare('SELECT id FROM job_ledger WHERE settled_at IS NULL').pluck(),
      prune: database.prepare('DELETE FROM job_ledger WHERE settled_at < ?'),
    };
  }

  open(id: string, type: string, payloadJson: string): void {
    this.#sql.open.run(id, type, payloadJson, this.#now());
  }

  started(id: string): boolean {
    return this.#sql.started.run(id).changes === 1;
  }

  /** Records the end once: false when it was already recorded (or the job is not ours). */
  settle(job: SettledJob<J>): boolean {
    return this.#db.transaction(() => {
      const error = job.error === null ? null : JSON.stringify(job.error);
      const changed = this.#sql.settle.run(job.status, error, this.#now(), job.id).changes;
      if (changed === 1) this.#record(job);
      return changed === 1;
    })();
  }

  get(id: string): LedgerEntry | null {
    const row = this.#sql.get.get(id) as Row | undefined;
    if (row === undefined) return null;
    return {
      id: row.id,
      type: row.type,
      status: row.status,
      payload: JSON.parse(row.payload) as unknown,
      error: row.error === null ? null : (JSON.parse(row.error) as SerializedError),
      createdAt: new Date(row.created_at),
      settledAt: row.settled_at === null ? null : new Date(row.settled_at),
    };
  }

  openIds(): string[] {
    return this.#sql.openIds.all() as string[];
  }

  /** Forgets recorded ends older than `before` (ms), as the queue forgets its jobs. */
  prune(before: number): void {
    this.#sql.prune.run(before);
  }
}
