// The SQLite backend's tables, its prepared statements and its row shape, apart from the queue
// logic that uses them.
import type Database from 'better-sqlite3';
import type { SerializedError } from '@geoworks/errors';
import type { Job, JobStatus } from '../types.js';

export interface JobRow {
  seq: number;
  id: string;
  type: string;
  queue: string;
  key: string | null;
  status: JobStatus;
  payload: string;
  progress: number;
  result: string | null;
  error: string | null;
  attempt: number;
  max_attempts: number;
  timeout_ms: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  queue TEXT NOT NULL,
  key TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'started', 'finished', 'failed', 'aborted')),
  payload TEXT NOT NULL,
  progress REAL NOT NULL DEFAULT 0,
  result TEXT,
  error TEXT,
  attempt INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  timeout_ms INTEGER,
  run_after INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  abort_requested TEXT
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (queue, run_after, seq) WHERE status = 'queued';
CREATE INDEX IF NOT EXISTS jobs_key ON jobs (key, seq) WHERE key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE TABLE IF NOT EXISTS job_logs (
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  time INTEGER NOT NULL,
  level TEXT NOT NULL,
  source TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_owner (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  instance TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
`;

/** The SQL of every statement the backend runs, prepared once per database. */
const STATEMENTS = {
  getOwner: 'SELECT instance, pid, host, heartbeat_at FROM queue_owner WHERE id = 1',
  deleteExpiredLogs: `DELETE FROM job_logs WHERE job_id IN (SELECT id FROM jobs
         WHERE status IN ('finished', 'failed', 'aborted') AND finished_at < ?)`,
  deleteExpiredJobs:
    "DELETE FROM jobs WHERE status IN ('finished', 'failed', 'aborted') AND finished_at < ?",
  setOwner: `INSERT INTO queue_owner (id, instance, pid, host, heartbeat_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET instance = excluded.instance, pid = excluded.pid,
         host = excluded.host, heartbeat_at = excluded.heartbeat_at`,
  heartbeat: 'UPDATE queue_owner SET heartbeat_at = ? WHERE id = 1 AND instance = ?',
  releaseOwner: 'DELETE FROM queue_owner WHERE id = 1 AND instance = ?',
  startedJobs: "SELECT * FROM jobs WHERE status = 'started'",
  abortRequests:
    "SELECT id, abort_requested FROM jobs WHERE status = 'started' AND abort_requested IS NOT NULL",
  activeByKey: `SELECT id FROM jobs WHERE key = ? AND status IN ('queued', 'started', 'finished')
       ORDER BY seq DESC LIMIT 1`,
  insert: `INSERT INTO jobs (id, type, queue, key, status, payload, max_attempts, timeout_ms, run_after, created_at)
       VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
  byId: 'SELECT * FROM jobs WHERE id = ?',
  claim: `UPDATE jobs SET status = 'started', started_at = ?, attempt = attempt + 1, progress = 0,
         abort_requested = NULL, finished_at = NULL
       WHERE seq = (SELECT seq FROM jobs WHERE status = 'queued' AND queue = ?
                    AND run_after <= ? ORDER BY run_after, seq LIMIT 1)
       RETURNING *`,
  nextDelayed:
    "SELECT run_after FROM jobs WHERE status = 'queued' AND run_after > ? ORDER BY run_after LIMIT 1",
  progress: "UPDATE jobs SET progress = ? WHERE id = ? AND status = 'started'",
  finish:
    "UPDATE jobs SET status = 'finished', progress = 100, result = ?, error = NULL, finished_at = ? WHERE id = ?",
  end: 'UPDATE jobs SET status = ?, error = ?, finished_at = ? WHERE id = ?',
  retry: "UPDATE jobs SET status = 'queued', run_after = ?, error = ? WHERE id = ?",
  requeue:
    "UPDATE jobs SET status = 'queued', run_after = ?, attempt = ?, started_at = NULL WHERE id = ?",
  abortQueued:
    "UPDATE jobs SET status = 'aborted', finished_at = ?, error = ? WHERE id = ? AND status = 'queued'",
  requestAbort: "UPDATE jobs SET abort_requested = ? WHERE id = ? AND status = 'started'",
  lastLogIndex: 'SELECT idx FROM job_logs WHERE job_id = ? ORDER BY idx DESC LIMIT 1',
  insertLog:
    'INSERT INTO job_logs (job_id, idx, time, level, source, message) VALUES (?, ?, ?, ?, ?, ?)',
  logs: 'SELECT idx, time, level, source, message FROM job_logs WHERE job_id = ? AND idx >= ? AND idx < ? ORDER BY idx',
  // Indices run from 0 without gaps: the last one gives the count through the primary key.
  logCount: 'SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM job_logs WHERE job_id = ?',
  counts:
    "SELECT queue, status, COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'started') GROUP BY queue, status",
} as const;

export type Statements = { readonly [Name in keyof typeof STATEMENTS]: Database.Statement };

export function prepareStatements(db: Database.Database): Statements {
  return Object.fromEntries(
    Object.entries(STATEMENTS).map(([name, sql]) => [name, db.prepare(sql)]),
  ) as unknown as Statements;
}

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    type: row.type,
    queue: row.queue,
    key: row.key,
    status: row.status,
    payload: JSON.parse(row.payload) as unknown,
    progress: row.progress,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error === null ? null : (JSON.parse(row.error) as SerializedError),
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    createdAt: new Date(row.created_at),
    startedAt: row.started_at === null ? null : new Date(row.started_at),
    finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
  };
}
