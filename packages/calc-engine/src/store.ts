import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ParameterValue, ProducedOutput } from './modes/types.js';

/** OpenQuake's job statuses. `is_running` is true for submitted and executing only. */
export type CalcStatus =
  'created' | 'submitted' | 'executing' | 'complete' | 'failed' | 'aborted' | 'deleted';

export interface CalcJob {
  id: number;
  description: string;
  owner: string;
  calculationMode: string;
  parentId: number | null;
  status: CalcStatus;
  startTime: Date;
  stopTime: Date | null;
  dir: string;
  sizeMb: number | null;
  params: Record<string, ParameterValue> | null;
  queueJobId: string | null;
}

export interface CalcOutput {
  id: number;
  jobId: number;
  name: string;
  key: string;
  sizeMb: number | null;
  files: ProducedOutput['files'];
}

export interface ListFilter {
  calculationMode?: string;
  isRunning?: boolean;
  startTime?: Date;
  /** Only these owners (access control); undefined: everybody's. Listed jobs have `params: null`. */
  owners?: readonly string[];
  limit: number;
  offset: number;
}

interface JobRow {
  id: number;
  description: string;
  user_name: string;
  calculation_mode: string;
  hazard_calculation_id: number | null;
  status: CalcStatus;
  start_time: number;
  stop_time: number | null;
  ds_calc_dir: string;
  size_mb: number | null;
  params: string | null;
  queue_job_id: string | null;
}

const LIST_COLUMNS =
  'id, description, user_name, calculation_mode, hazard_calculation_id, status, start_time, stop_time, ds_calc_dir, size_mb, NULL AS params, queue_job_id';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS job (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  description TEXT NOT NULL,
  user_name TEXT NOT NULL,
  calculation_mode TEXT NOT NULL,
  hazard_calculation_id INTEGER REFERENCES job (id),
  status TEXT NOT NULL,
  start_time INTEGER NOT NULL,
  stop_time INTEGER,
  ds_calc_dir TEXT NOT NULL,
  size_mb REAL,
  params TEXT,
  queue_job_id TEXT
);
CREATE INDEX IF NOT EXISTS job_by_status ON job (status, id);
CREATE INDEX IF NOT EXISTS job_by_parent ON job (hazard_calculation_id) WHERE hazard_calculation_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  level TEXT NOT NULL,
  process TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_by_job ON log (job_id, id);
CREATE TABLE IF NOT EXISTS output (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  oq_job_id INTEGER NOT NULL REFERENCES job (id),
  display_name TEXT NOT NULL,
  ds_key TEXT NOT NULL,
  size_mb REAL,
  files TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS output_by_job ON output (oq_job_id);
`;

/** The server's own database (OpenQuake's job, log and output tables); one writer, the server. */
export class CalcStore {
  readonly #db: Database.Database;
  /** Prepared statements by SQL text: lists are built from a few shapes, reused often. */
  readonly #statements = new Map<string, Database.Statement>();

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.exec(SCHEMA);
  }

  /** The database, for records that must be written in the same transaction as the jobs. */
  get database(): Database.Database {
    return this.#db;
  }

  createJob(owner: string, dir: (id: number) => string): CalcJob {
    return this.#db.transaction(() => {
      const { lastInsertRowid } = this.#db
        .prepare(
          `INSERT INTO job (description, user_name, calculation_mode, hazard_calculation_id, status, start_time, ds_calc_dir)
           VALUES ('Calculation waiting to start', ?, 'custom', ?, 'created', ?, '')`,
        )
        .run(owner, null, Date.now());
      const id = Number(lastInsertRowid);
      this.#db.prepare('UPDATE job SET ds_calc_dir = ? WHERE id = ?').run(dir(id), id);
      return this.job(id)!;
    })();
  }

  job(id: number): CalcJob | null {
    const row = this.#db.prepare('SELECT * FROM job WHERE id = ?').get(id) as JobRow | undefined;
    return row === undefined ? null : toJob(row);
  }

  configure(
    id: number,
    fields: {
      description: string;
      calculationMode: string;
      params: Record<string, ParameterValue>;
    },
  ): void {
    this.#db
      .prepare('UPDATE job SET description = ?, calculation_mode = ?, params = ? WHERE id = ?')
      .run(fields.description, fields.calculationMode, JSON.stringify(fields.params), id);
  }

  setParent(id: number, parentId: number): void {
    this.#db.prepare('UPDATE job SET hazard_calculation_id = ? WHERE id = ?').run(parentId, id);
  }

  /** Its queue job's id, once queued; the status is not touched (the job may have moved on). */
  queued(id: number, queueJobId: string): void {
    this.#db.prepare('UPDATE job SET queue_job_id = ? WHERE id = ?').run(queueJobId, id);
  }

  setStatus(
    id: number,
    status: CalcStatus,
    extra: { stopped?: boolean; sizeMb?: number } = {},
  ): void {
    this.#db
      .prepare(
        `UPDATE job SET status = ?, stop_time = CASE WHEN ? THEN ? ELSE stop_time END,
           size_mb = COALESCE(?, size_mb) WHERE id = ?`,
      )
      .run(status, extra.stopped ? 1 : 0, Date.now(), extra.sizeMb ?? null, id);
  }

  /** Jobs still submitted or executing (for the start-up check). */
  runningJobs(): CalcJob[] {
    return (
      this.#db
        .prepare("SELECT * FROM job WHERE status IN ('submitted', 'executing')")
        .all() as JobRow[]
    ).map(toJob);
  }

  list(filter: ListFilter): CalcJob[] {
    const where = ["status != 'deleted'"];
    const params: unknown[] = [];
    if (filter.calculationMode !== undefined) {
      where.push('calculation_mode = ?');
      params.push(filter.calculationMode);
    }
    if (filter.isRunning !== undefined) {
      where.push(
        filter.isRunning
          ? "status IN ('submitted', 'executing')"
          : "status NOT IN ('submitted', 'executing')",
      );
    }
    if (filter.startTime !== undefined) {
      where.push('start_time >= ?');
      params.push(filter.startTime.getTime());
    }
    if (filter.owners !== undefined) {
      where.push(`user_name IN (${filter.owners.map(() => '?').join(', ') || "''"})`);
      params.push(...filter.owners);
    }
    // Lists carry no parameters: not reading (and parsing) them keeps pages of 100 cheap.
    const sql = `SELECT ${LIST_COLUMNS} FROM job WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ? OFFSET ?`;
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      // Rows as arrays: about twice as fast as objects for a page of 100.
      statement = this.#db.prepare(sql).raw();
      this.#statements.set(sql, statement);
    }
    return (statement.all(...params, filter.limit, filter.offset) as unknown[][]).map(listRowToJob);
  }

  children(id: number): CalcJob[] {
    return (
      this.#db
        .prepare("SELECT * FROM job WHERE hazard_calculation_id = ? AND status != 'deleted'")
        .all(id) as JobRow[]
    ).map(toJob);
  }

  addLog(jobId: number, level: string, process: string, message: string): void {
    this.#db
      .prepare(
        'INSERT INTO log (job_id, timestamp, level, process, message) VALUES (?, ?, ?, ?, ?)',
      )
      .run(jobId, Date.now(), level, process, message);
  }

  logs(
    jobId: number,
    start: number,
    stop: number | null,
  ): { time: Date; level: string; process: string; message: string }[] {
    const rows = this.#db
      .prepare(
        'SELECT timestamp, level, process, message FROM log WHERE job_id = ? ORDER BY id LIMIT ? OFFSET ?',
      )
      .all(jobId, stop === null ? -1 : Math.max(0, stop - start), start) as {
      timestamp: number;
      level: string;
      process: string;
      message: string;
    }[];
    return rows.map((row) => ({
      time: new Date(row.timestamp),
      level: row.level,
      process: row.process,
      message: row.message,
    }));
  }

  deleteLogs(jobId: number): void {
    this.#db.prepare('DELETE FROM log WHERE job_id = ?').run(jobId);
  }

  logCount(jobId: number): number {
    return (
      this.#db.prepare('SELECT COUNT(*) AS n FROM log WHERE job_id = ?').get(jobId) as { n: number }
    ).n;
  }

  lastCritical(jobId: number): string | null {
    const row = this.#db
      .prepare(
        "SELECT message FROM log WHERE job_id = ? AND level = 'CRITICAL' ORDER BY id DESC LIMIT 1",
      )
      .get(jobId) as { message: string } | undefined;
    return row?.message ?? null;
  }

  addOutputs(
    jobId: number,
    outputs: { name: string; key: string; sizeMb: number; files: ProducedOutput['files'] }[],
  ): void {
    const insert = this.#db.prepare(
      'INSERT INTO output (oq_job_id, display_name, ds_key, size_mb, files) VALUES (?, ?, ?, ?, ?)',
    );
    this.#db.transaction(() => {
      if (
        (
          this.#db.prepare('SELECT COUNT(*) AS n FROM output WHERE oq_job_id = ?').get(jobId) as {
            n: number;
          }
        ).n > 0
      )
        return;
      for (const output of outputs)
        insert.run(jobId, output.name, output.key, output.sizeMb, JSON.stringify(output.files));
    })();
  }

  outputs(jobId: number): CalcOutput[] {
    return (
      this.#db
        .prepare('SELECT * FROM output WHERE oq_job_id = ? ORDER BY id')
        .all(jobId) as OutputRow[]
    ).map(toOutput);
  }

  output(id: number): CalcOutput | null {
    const row = this.#db.prepare('SELECT * FROM output WHERE id = ?').get(id) as
      OutputRow | undefined;
    return row === undefined ? null : toOutput(row);
  }

  close(): void {
    this.#db.close();
  }
}

interface OutputRow {
  id: number;
  oq_job_id: number;
  display_name: string;
  ds_key: string;
  size_mb: number | null;
  files: string;
}

function toOutput(row: OutputRow): CalcOutput {
  return {
    id: row.id,
    jobId: row.oq_job_id,
    name: row.display_name,
    key: row.ds_key,
    sizeMb: row.size_mb,
    files: JSON.parse(row.files) as ProducedOutput['files'],
  };
}

/** A row of LIST_COLUMNS, in that order. */
function listRowToJob(row: unknown[]): CalcJob {
  const [id, description, owner, mode, parent, status, start, stop, dir, size, , queueJobId] =
    row as [
      number,
      string,
      string,
      string,
      number | null,
      CalcStatus,
      number,
      number | null,
      string,
      number | null,
      null,
      string | null,
    ];
  return {
    id,
    description,
    owner,
    calculationMode: mode,
    parentId: parent,
    status,
    startTime: new Date(start),
    stopTime: stop === null ? null : new Date(stop),
    dir,
    sizeMb: size,
    params: null,
    queueJobId,
  };
}

function toJob(row: JobRow): CalcJob {
  return {
    id: row.id,
    description: row.description,
    owner: row.user_name,
    calculationMode: row.calculation_mode,
    parentId: row.hazard_calculation_id,
    status: row.status,
    startTime: new Date(row.start_time),
    stopTime: row.stop_time === null ? null : new Date(row.stop_time),
    dir: row.ds_calc_dir,
    sizeMb: row.size_mb,
    params: row.params === null ? null : (JSON.parse(row.params) as Record<string, ParameterValue>),
    queueJobId: row.queue_job_id,
  };
}
