import type { Writable } from 'node:stream';

/** Job statuses of the engine's `job` table. */
export type JobStatus =
  'created' | 'submitted' | 'executing' | 'complete' | 'failed' | 'aborted' | 'deleted';

/** Statuses after which a job never changes again (besides being deleted). */
export const FINAL_STATUSES: readonly string[] = ['complete', 'failed', 'aborted', 'deleted'];

export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.includes(status);
}

export interface CalcEngineClientOptions {
  /** The server's base URL, e.g. `http://localhost:8800` (a path prefix is kept). */
  url: string;
  /** With a user name, the client logs in (`/accounts/ajax_login/`) before its first call. */
  username?: string;
  password?: string;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof globalThis.fetch;
  /** How long one request may take before it fails with EngineTimeoutError; 60 s by default. */
  timeoutMs?: number;
  /**
   * How many times an idempotent call (GET/HEAD) is retried after a network error or a
   * 502/503/504, with exponential backoff and jitter; 3 by default. Never for POSTs.
   */
  retries?: number;
  /** The first backoff delay (doubling after each retry, up to `retryMaxDelayMs`); 250 ms. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Sent with every request. */
  headers?: Record<string, string>;
  /**
   * How the client waits: request timeouts, retry backoffs and the pauses between `wait()`
   * polls. A timer by default. A test passes its own to see the delays asked for, or to hold
   * one and end it when it chooses, instead of letting real time pass. It must reject when
   * `signal` aborts (a timeout is disarmed that way when its request ends).
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What every call accepts. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
}

/** One calculation as `GET /v1/calc/list` and `GET /v1/calc/:id/status` describe it. */
export interface Calculation {
  id: number;
  /** `created`, `submitted`, `executing`, `complete`, `failed`, `aborted` (a JobStatus). */
  status: JobStatus | (string & {});
  calculationMode: string;
  description: string;
  owner: string | null;
  isRunning: boolean;
  abortable: boolean;
  parentId: number | null;
  sizeMb: number | null;
  /** The start time as the server wrote it, e.g. `2024-08-01, 12:00:00 UTC`. */
  startTimeText: string | null;
  /** The same time parsed, when it can be (a time without zone is taken as UTC). */
  startTime: Date | null;
  url: string | null;
  /** The item exactly as the server sent it, including fields this client does not know. */
  raw: Record<string, unknown>;
}

/** `GET /v1/calc/:id`. */
export interface CalculationInfo {
  userName: string | null;
  status: JobStatus | (string & {});
  isRunning: boolean;
  startTimeText: string | null;
  startTime: Date | null;
  stopTimeText: string | null;
  stopTime: Date | null;
  raw: Record<string, unknown>;
}

export interface ListOptions extends CallOptions {
  calculationMode?: string;
  isRunning?: boolean;
  /** Only calculations started at or after this time. */
  startTime?: Date | string;
  /** The server's default is 100. */
  limit?: number;
  /** Newer engines only. */
  offset?: number;
  /** Newer engines only, e.g. `start_time` and `desc`. */
  orderBy?: string;
  orderDir?: 'asc' | 'desc';
}

/** One row of a job's log. */
export interface LogRow {
  /** The row's position in the job's log (0 is the first row). */
  index: number;
  /** ISO time as the server wrote it (22 characters: `2024-08-01T12:00:00.12`). */
  timestamp: string;
  level: string;
  process: string;
  message: string;
}

export interface LogOptions extends CallOptions {
  /** First row (inclusive); 0 by default. */
  start?: number;
  /** Last row (exclusive); to the end by default. */
  stop?: number;
}

/** A file for `run`: a path on disk, or a name with its content. */
export type FileInput = string | { name: string; content: string | Uint8Array | Blob };

/** `run` with the files themselves: the job.ini and the inputs it names. */
export interface RunFilesInput {
  jobIni: FileInput;
  inputs?: FileInput[];
  /** The parent (hazard) calculation of a risk calculation. */
  hazardJobId?: number;
}

/** `run` with a job.zip holding the ini and its inputs. */
export interface RunArchiveInput {
  archive: string | Uint8Array | { name: string; content: Uint8Array | Blob };
  /** The ini's name inside the archive; the server picks the first `*.ini` otherwise. */
  jobIni?: string;
  hazardJobId?: number;
}

export type RunInput = RunFilesInput | RunArchiveInput;

export interface Validation {
  valid: boolean;
  errorMsg: string | null;
  errorLine: number | null;
}

/** One output of a calculation (`GET /v1/calc/:id/results`). */
export interface Output {
  id: number;
  name: string;
  type: string;
  /** Export types this output can be downloaded as (`csv`, `xml`, `npz`, ...). */
  outtypes: string[];
  url: string | null;
  sizeMb: number | null;
  raw: Record<string, unknown>;
}

export interface WaitOptions extends CallOptions {
  /** Called with every batch of new log rows; each row is delivered once, in order. */
  onLog?: (rows: LogRow[]) => void | Promise<void>;
  /** Called when the status changes (and once with the first status seen). */
  onStatus?: (calculation: Calculation) => void | Promise<void>;
  /** Time between polls; 2000 ms by default. */
  pollMs?: number;
  /** Give up (WaitTimeoutError) after this long; no limit by default. */
  timeoutMs?: number;
  /** The first log row to deliver; 0 by default (the whole log). */
  logStart?: number;
}

export interface SaveOptions extends CallOptions {
  /**
   * A file path, an existing directory (or a path ending in `/`) to save under the name the
   * server gives in Content-Disposition, or a Writable stream.
   */
  to: string | Writable;
  /** Whether to end a Writable `to` when done; true by default. */
  end?: boolean;
}

export interface DownloadOptions extends SaveOptions {
  /** The export format, one of the output's `outtypes` (e.g. `csv`). */
  exportType: string;
}

export interface SavedFile {
  /** Where the file was written; undefined when `to` was a stream. */
  path: string | undefined;
  /** The name from Content-Disposition (or a default). */
  filename: string;
  bytes: number;
  contentType: string | null;
}

/** Extraction queries: `{ kind: ['mean', 'rlz-0'], imt: 'PGA' }` or a query string. */
export type ExtractQuery =
  | string
  | URLSearchParams
  | Record<string, string | number | boolean | readonly (string | number | boolean)[]>;
