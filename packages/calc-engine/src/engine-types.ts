// What the engine takes and gives: its options, a submission, who asks, and the error of a
// refused run.
import type { QueueLogger, RedisBackendOptions } from '@geoworks/job-queue';
import type { ArchiveLimits } from './archive.js';
import type { CalculationMode } from './modes/types.js';

/** Who asks: access rules of OpenQuake's LOCKDOWN mode. */
export interface Actor {
  name: string;
  superuser: boolean;
  /** The users whose jobs this actor may see (its groups' members); undefined: everybody's. */
  visibleOwners?: readonly string[];
}

export interface CalcEngineOptions {
  /** calc.sqlite, jobs.sqlite and the calc_<id> job folders live here. */
  dataDir: string;
  modes: readonly CalculationMode[];
  /** Calculations at once; default 1. */
  concurrency?: number;
  /** Worker processes one job may start (its `cpus`); default 4. */
  maxWorkersPerJob?: number;
  /**
   * Worker processes of all running jobs together; default 8. Each job may use at most
   * `maxWorkers / concurrency` of them (rounded down), so full concurrency stays under it.
   */
  maxWorkers?: number;
  /** Time limit of one calculation; default 24 h. */
  timeoutMs?: number;
  archiveLimits?: ArchiveLimits;
  redis?: Omit<RedisBackendOptions, 'kind' | 'retentionSeconds'>;
  /**
   * Ended jobs leave the queue, with their logs, after this; default Infinity: as in
   * OpenQuake, a job's log stays as long as the job.
   */
  retentionSeconds?: number;
  logger?: QueueLogger;
  abortGraceMs?: number;
  /** Log rows kept per job; later ones are dropped (with a note). Default 2,000,000. */
  maxLogLines?: number;
  /**
   * How often running jobs are checked against the queue (on Redis, a restart without its
   * data forgets them); a forgotten job fails at the next check. Default 15 s.
   */
  lostJobCheckMs?: number;
}

/** An uploaded file, already on disk. */
export interface SubmittedFile {
  name: string;
  path: string;
}

export interface SubmitRequest {
  owner: string;
  /** Either the files themselves (job.ini and inputs)... */
  files?: SubmittedFile[];
  /** ...or a job.zip. */
  archive?: string;
  /** Which ini to run; default the first `*.ini`. */
  jobIni?: string;
  /** The parent job (`hazard_job_id`), which `actor` must be allowed to see. */
  parentId?: number | null;
  /** Who submits (lockdown); undefined: no access rules. */
  actor?: Actor;
}

/** A run that failed before it could start: its job exists, failed, with this traceback. */
export class JobSubmitError extends Error {
  readonly jobId: number;
  readonly traceback: string[];
  constructor(jobId: number, message: string, traceback: string[]) {
    super(message);
    this.name = 'JobSubmitError';
    this.jobId = jobId;
    this.traceback = traceback;
  }
}

export interface LogRow {
  time: Date;
  level: string;
  process: string;
  message: string;
}
