import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidInputError, isGeoworksError, NotFoundError } from '@geoworks/errors';
import {
  JobNotFoundError,
  openServiceQueue,
  type LogLevel,
  type ServiceQueue,
  type SettledJob,
} from '@geoworks/job-queue';
import { npyFromJson, writeNpz, type NpyArray } from '@geoworks/npz';
import { extractArchive } from './archive.js';
import type { Actor, CalcEngineOptions, LogRow, SubmitRequest } from './engine-types.js';
import { JobSubmitError } from './engine-types.js';
import { CalculationPermissionError, JobConfigError, UnknownCalculationError } from './errors.js';
import { exportDownload, type ExportDownload } from './exports.js';
import type { CalculationPayload } from './handlers.js';
import { calcJobs, type CalcJobs } from './jobs.js';
import type { CalculationMode, ExportType, ParameterValue } from './modes/types.js';
import { iniDefaults, type JobLimits } from './params.js';
import { publicText, systemErrorText } from './public-text.js';
import { placeInputs, readJob } from './submission.js';
import { CalcStore, type CalcJob, type CalcOutput, type CalcStatus } from './store.js';

const LEVELS: Record<LogLevel, string> = {
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  critical: 'CRITICAL',
};

const RUNNING: readonly CalcStatus[] = ['submitted', 'executing'];

/**
 * An OpenQuake-style calculation engine: jobs from a job.ini and its inputs (or a job.zip),
 * run by calculation-mode plug-ins, each in its own process through the job queue, with its
 * log, its GeoPackage datastore, its exports and its npz extracts. The server process is the
 * only writer of calc.sqlite; results are recorded from the queue's events.
 */
export class CalcEngine {
  readonly #store: CalcStore;
  #queue!: ServiceQueue<CalcJobs>;
  readonly #modes: Map<string, CalculationMode>;
  readonly #dataDir: string;
  readonly #options: CalcEngineOptions;
  readonly #limits: JobLimits;
  /** Folders of ended jobs being removed (see whenIdle). */
  readonly #removals = new Set<Promise<void>>();

  private constructor(store: CalcStore, options: CalcEngineOptions, limits: JobLimits) {
    this.#store = store;
    this.#options = options;
    this.#dataDir = resolve(options.dataDir);
    this.#limits = limits;
    this.#modes = new Map(options.modes.map((mode) => [mode.name, mode]));
  }

  static async open(options: CalcEngineOptions): Promise<CalcEngine> {
    // Checked first: nothing is opened for options that cannot work.
    const limits = jobLimits(options);
    await mkdir(options.dataDir, { recursive: true });
    const store = new CalcStore(join(options.dataDir, 'calc.sqlite'));
    const engine = new CalcEngine(store, options, limits);
    // Opening catches up with the jobs that ended (or were lost) while the server was down.
    engine.#queue = await openServiceQueue({
      dataDir: options.dataDir,
      ...(options.redis === undefined ? {} : { redis: options.redis }),
      retentionSeconds: options.retentionSeconds ?? Number.POSITIVE_INFINITY,
      jobs: calcJobs(options.timeoutMs ?? 24 * 3_600_000),
      queues: { calculations: { concurrency: options.concurrency ?? 1 } },
      ledger: {
        database: store.database,
        record: (job) => engine.#recordEnd(job),
        started: (_id, job) => engine.#started((job.payload as CalculationPayload).jobId),
      },
      abortGraceMs: options.abortGraceMs ?? 3000,
      maxLogLinesPerJob: options.maxLogLines ?? 2_000_000,
      ...(options.lostJobCheckMs === undefined ? {} : { lostJobCheckMs: options.lostJobCheckMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    // Submitted without reaching the queue: the server stopped in between.
    for (const job of store.runningJobs()) {
      if (job.queueJobId === null) store.setStatus(job.id, 'failed', { stopped: true });
    }
    await engine.#removeEndedFolders();
    return engine;
  }

  get modes(): CalculationMode[] {
    return [...this.#modes.values()];
  }

  iniDefaults(): Record<string, ParameterValue> {
    return iniDefaults(this.modes);
  }

  // ---- running --------------------------------------------------------------------------

  /**
   * OpenQuake's POST /v1/calc/run: the job row exists first; anything wrong after that fails
   * the job with a CRITICAL log row and throws JobSubmitError (HTTP 500 with the traceback).
   */
  async submit(request: SubmitRequest): Promise<{ jobId: number }> {
    const parentId = request.parentId ?? null;
    const job = this.#store.createJob(request.owner, (id) => join(this.#dataDir, `calc_${id}`));
    try {
      await mkdir(job.dir, { recursive: true });
      await placeInputs(request, job.dir, this.#options.archiveLimits);
      const { mode, description, params } = await readJob(
        job.dir,
        request.jobIni,
        this.#modes,
        this.#limits,
      );
      const parent = this.#checkParent(mode, parentId, request.actor);
      this.#store.configure(job.id, { description, calculationMode: mode.name, params });
      if (parent !== null) this.#store.setParent(job.id, parent.id);
      const payload: CalculationPayload = {
        jobId: job.id,
        modeModule: mode.module,
        modeExport: mode.exportName,
        jobDir: job.dir,
        datastorePath: this.datastorePath(job.id),
        params,
        parent:
          parent === null
            ? null
            : {
                id: parent.id,
                mode: parent.calculationMode,
                dir: parent.dir,
                datastorePath: this.datastorePath(parent.id),
                params: parent.params ?? {},
                outputs: this.#store
                  .outputs(parent.id)
                  .map(({ key, name, files }) => ({ key, name, files })),
              },
      };
      // Submitted before it is queued: its start and end may be reported before enqueue returns.
      this.#store.setStatus(job.id, 'submitted');
      const queueJobId = await this.#queue.enqueue('calculation', payload);
      this.#store.queued(job.id, queueJobId);
      return { jobId: job.id };
    } catch (error) {
      if (isGeoworksError(error) && error.kind === 'unavailable') {
        // The queue cannot take it now (Redis down): nothing ran, so nothing is kept; the
        // client is told to come back (503) instead of finding a failed job it never ran.
        this.#store.setStatus(job.id, 'deleted');
        await rm(job.dir, { recursive: true, force: true });
        throw error;
      }
      // The client reads what went wrong; the server log gets the stack.
      const message = this.#publicError(error, job.dir);
      this.#options.logger?.error({ jobId: job.id, err: error }, `job ${job.id} could not start`);
      this.#store.addLog(job.id, 'CRITICAL', `pid-${process.pid}`, message);
      this.#store.setStatus(job.id, 'failed', { stopped: true });
      this.#removeFolder(job.dir);
      throw new JobSubmitError(job.id, message.split('\n')[0] ?? message, message.split('\n'));
    }
  }

  /**
   * An error as a client may read it: a system error's description (its message ends with
   * server paths), any other error's message (geoworks errors are written for clients), with
   * paths under the data directory made relative either way.
   */
  #publicError(error: unknown, jobDir: string): string {
    const text = systemErrorText(error) ?? (error instanceof Error ? error.message : String(error));
    return publicText(text, [jobDir, this.#dataDir]);
  }

  /** Removes a job folder in the background (whenIdle waits); a failure is logged. */
  #removeFolder(dir: string): void {
    const removal = rm(dir, { recursive: true, force: true })
      .catch((error: unknown) => {
        this.#options.logger?.warn({ dir, err: error }, 'a job folder could not be removed');
      })
      .finally(() => this.#removals.delete(removal));
    this.#removals.add(removal);
  }

  /** At start-up: folders that failed, aborted or removed jobs left behind (a crash, a restart). */
  async #removeEndedFolders(): Promise<void> {
    for (const entry of await readdir(this.#dataDir, { withFileTypes: true })) {
      const id = /^calc_(\d+)$/.exec(entry.name)?.[1];
      if (!entry.isDirectory() || id === undefined) continue;
      const status = this.#store.job(Number(id))?.status;
      if (status === 'failed' || status === 'aborted' || status === 'deleted')
        this.#removeFolder(join(this.#dataDir, entry.name));
    }
    await this.whenIdle();
  }

  /** Resolves once the folders of the jobs that have ended so far are removed. */
  async whenIdle(): Promise<void> {
    while (this.#removals.size > 0) await Promise.all(this.#removals);
  }

  /** POST /v1/calc/validate_zip: would this archive run? Nothing is kept. */
  async validateArchive(
    archive: string,
    jobIni?: string,
  ): Promise<{ valid: boolean; error_msg: string | null; error_line: null }> {
    const dir = await mkdtemp(join(tmpdir(), 'calc-validate-'));
    try {
      await extractArchive(archive, dir, this.#options.archiveLimits);
      await readJob(dir, jobIni, this.#modes, this.#limits);
      return { valid: true, error_msg: null, error_line: null };
    } catch (error) {
      if (error instanceof JobConfigError)
        return { valid: false, error_msg: error.message, error_line: null };
      throw error;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  #checkParent(mode: CalculationMode, parentId: number | null, actor?: Actor): CalcJob | null {
    if (mode.parentModes === undefined) {
      if (parentId !== null)
        throw new JobConfigError(
          `calculation_mode ${mode.name} takes no hazard_job_id`,
          'UNEXPECTED_PARENT',
        );
      return null;
    }
    if (parentId === null) {
      throw new JobConfigError(
        `calculation_mode ${mode.name} needs hazard_job_id: a ${mode.parentModes.join(' or ')} job`,
        'MISSING_PARENT',
      );
    }
    const parent = this.#visibleJob(parentId, actor);
    if (parent === null)
      throw new JobConfigError(`hazard_job_id: unknown job ${parentId}`, 'UNKNOWN_PARENT');
    if (!mode.parentModes.includes(parent.calculationMode)) {
      throw new JobConfigError(
        `hazard_job_id: job ${parentId} is a ${parent.calculationMode} job, not ${mode.parentModes.join(' or ')}`,
        'BAD_PARENT',
      );
    }
    if (parent.status !== 'complete')
      throw new JobConfigError(
        `hazard_job_id: job ${parentId} is ${parent.status}, not complete`,
        'BAD_PARENT',
      );
    return parent;
  }

  // ---- following the queue ---------------------------------------------------------------

  #started(id: number): void {
    const job = this.#store.job(id);
    if (job?.status === 'submitted') this.#store.setStatus(id, 'executing');
  }

  /**
   * A calculation's end, recorded once (its event, a check, the start-up catch-up), in a
   * transaction of calc.sqlite. A failed or aborted job has no results to serve: its inputs and
   * partial outputs go. A job the queue lost gets the reason in its own log (the queue's log
   * went with it).
   */
  #recordEnd(ended: SettledJob<CalcJobs>): void {
    const job = this.#store.job(ended.payload.jobId);
    if (job === null || !this.isRunning(job)) return;
    if (ended.status === 'finished') {
      const result = ended.result;
      this.#store.addOutputs(
        job.id,
        result.outputs.map((output) => ({
          ...output,
          sizeMb: result.outputSizes[output.key] ?? 0,
        })),
      );
      this.#store.setStatus(job.id, 'complete', { stopped: true, sizeMb: result.sizeMb });
      return;
    }
    if (ended.error.code === 'JOB_LOST')
      this.#store.addLog(job.id, 'CRITICAL', `pid-${process.pid}`, ended.error.message);
    if (ended.status === 'failed')
      this.#options.logger?.error({ jobId: job.id, err: ended.error }, `job ${job.id} failed`);
    this.#store.setStatus(job.id, ended.status, { stopped: true });
    this.#removeFolder(job.dir);
  }

  // ---- reading ----------------------------------------------------------------------------

  /** A job the actor may see, or UnknownCalculationError / CalculationPermissionError. */
  job(id: number, actor?: Actor): CalcJob {
    const job = this.#visibleJob(id, actor);
    if (job === null) throw new UnknownCalculationError(id);
    return job;
  }

  /**
   * The one access rule of every per-job request: null for an unknown or removed job, else
   * the job if `actor` may `see` it (its groups' jobs), `abort` or `remove` it (its own jobs),
   * else CalculationPermissionError. Without an actor (no lockdown) everything is allowed.
   */
  #visibleJob(
    id: number,
    actor?: Actor,
    action: 'see' | 'abort' | 'remove' = 'see',
  ): CalcJob | null {
    const job = this.#store.job(id);
    if (job === null || job.status === 'deleted') return null;
    const allowed =
      actor === undefined ||
      actor.superuser ||
      (action === 'see'
        ? actor.visibleOwners === undefined || actor.visibleOwners.includes(job.owner)
        : actor.name === job.owner);
    if (!allowed) {
      throw new CalculationPermissionError(
        `User ${actor.name} has no permission to ${action} job ${id}`,
      );
    }
    return job;
  }

  list(
    filter: {
      calculationMode?: string;
      isRunning?: boolean;
      startTime?: Date;
      limit?: number;
      offset?: number;
    },
    actor?: Actor,
  ): CalcJob[] {
    return this.#store.list({
      ...filter,
      limit: filter.limit ?? 100,
      offset: filter.offset ?? 0,
      ...(actor === undefined || actor.superuser || actor.visibleOwners === undefined
        ? {}
        : { owners: actor.visibleOwners }),
    });
  }

  isRunning(job: CalcJob): boolean {
    return RUNNING.includes(job.status);
  }

  /**
   * Where a job's log lives: the queue's while it has the job, else the engine's own rows
   * (jobs refused at submit, and jobs the queue lost, whose queue log went with them).
   */
  async #fromLog<T>(
    job: CalcJob,
    fromQueue: (queueJobId: string) => Promise<T>,
    fromStore: () => T,
  ): Promise<T> {
    if (job.queueJobId === null) return fromStore();
    try {
      return await fromQueue(job.queueJobId);
    } catch (error) {
      if (error instanceof JobNotFoundError) return fromStore();
      throw error;
    }
  }

  /** Log rows `start` (inclusive) to `stop` (exclusive, null: to the end); [] for no job. */
  async logs(id: number, start: number, stop: number | null, actor?: Actor): Promise<LogRow[]> {
    const job = this.#visibleJob(id, actor);
    if (job === null) return [];
    const rows = await this.#fromLog(
      job,
      async (queueJobId) => {
        const lines = await this.#queue.logs(queueJobId, {
          start,
          ...(stop === null ? {} : { end: stop }),
        });
        return lines.map((line) => ({
          time: line.time,
          level: LEVELS[line.level],
          process: line.source,
          message: line.message,
        }));
      },
      () => this.#store.logs(id, start, stop),
    );
    return rows.map((row) => ({
      ...row,
      message: publicText(row.message, [job.dir, this.#dataDir]),
    }));
  }

  async logSize(id: number, actor?: Actor): Promise<number> {
    const job = this.#visibleJob(id, actor);
    if (job === null) return 0;
    return this.#fromLog(
      job,
      (queueJobId) => this.#queue.logCount(queueJobId),
      () => this.#store.logCount(id),
    );
  }

  /**
   * The last CRITICAL message, as lines ([] when there is none): the error's own lines, as
   * for logs without stack frames or server paths.
   */
  async traceback(id: number, actor?: Actor): Promise<string[]> {
    const job = this.job(id, actor);
    const message = await this.#fromLog(
      job,
      async (queueJobId) => {
        const count = await this.#queue.logCount(queueJobId);
        // Failures are logged last: look at the tail only, however long the log.
        const tail = await this.#queue.logs(queueJobId, { start: Math.max(0, count - 500) });
        return tail.reverse().find((line) => line.level === 'critical')?.message;
      },
      () => this.#store.lastCritical(id) ?? undefined,
    );
    return message === undefined ? [] : publicText(message, [job.dir, this.#dataDir]).split('\n');
  }

  results(id: number, actor?: Actor): (CalcOutput & { exportTypes: ExportType[] })[] {
    this.job(id, actor);
    return this.#store
      .outputs(id)
      .map((output) => ({ ...output, exportTypes: Object.keys(output.files) as ExportType[] }));
  }

  /** The files of one output in one export type; NotFound text as OpenQuake answers it. */
  exportFiles(
    outputId: number,
    exportType: string,
    actor?: Actor,
  ): { output: CalcOutput; job: CalcJob; files: string[] } {
    const output = this.#store.output(outputId);
    if (output === null) throw new UnknownCalculationError(outputId);
    const job = this.job(output.jobId, actor);
    const files = output.files[exportType as ExportType];
    if (files === undefined || files.length === 0) {
      throw new NotFoundError(`Nothing to export for export_type=${exportType}`, {
        code: 'NOTHING_TO_EXPORT',
      });
    }
    return { output, job, files: files.map((file) => join(job.dir, file)) };
  }

  /** An output's export to download: its one file, or its files as a zip stream. */
  exportDownload(outputId: number, exportType: string, actor?: Actor): ExportDownload {
    const { output, files } = this.exportFiles(outputId, exportType, actor);
    return exportDownload(output, exportType, files);
  }

  datastorePath(id: number): string {
    return join(this.#dataDir, `calc_${id}`, `calc_${id}.gpkg`);
  }

  /** The datastore of a complete job the actor may see; NotFoundError for any other job. */
  datastore(id: number, actor?: Actor): string {
    const job = this.job(id, actor);
    if (job.status !== 'complete')
      throw new NotFoundError(`Job ${id} has no datastore: it is ${job.status}, not complete`, {
        code: 'NO_DATASTORE',
      });
    return this.datastorePath(id);
  }

  /**
   * `extract/<what>` as an npz: `oqparam` holds the job parameters as JSON bytes under `json`;
   * an output key gives its table under `array`.
   */
  async extract(id: number, what: string, query: URLSearchParams, actor?: Actor): Promise<Buffer> {
    const job = this.job(id, actor);
    let entries: Record<string, NpyArray> | null = null;
    if (what === 'oqparam') {
      // Input files as the job.ini names them, relative to the job, not where the server keeps them.
      const params = Object.fromEntries(
        Object.entries(job.params ?? {}).map(([key, value]) => [
          key,
          typeof value === 'string' ? publicText(value, [job.dir, this.#dataDir]) : value,
        ]),
      );
      entries = {
        json: npyFromJson({
          ...params,
          calculation_mode: job.calculationMode,
          description: job.description,
          hazard_calculation_id: job.parentId,
        }),
      };
    } else {
      const mode = this.#modes.get(job.calculationMode);
      if (job.status === 'complete' && mode?.extract !== undefined) {
        entries = await mode.extract(what, query, {
          datastorePath: this.datastorePath(id),
          params: job.params ?? {},
        });
      }
    }
    if (entries === null)
      throw new NotFoundError(`Cannot extract "${what}" from job ${id}`, {
        code: 'NOT_EXTRACTABLE',
      });
    return writeNpz(entries);
  }

  // ---- changing ---------------------------------------------------------------------------

  /**
   * POST /v1/calc/:id/abort. OpenQuake's answers: `{error}` (with 200) for an unknown job, 403
   * for another user's job, `{error}` for a finished one, else SIGINT to the job's process and
   * `{success}`. Ownership is checked before the status, so another user learns nothing about
   * the job, running or not.
   */
  async abort(id: number, actor?: Actor): Promise<{ error: string } | { success: string }> {
    const job = this.#visibleJob(id, actor, 'abort');
    if (job === null) return { error: `Unknown job ${id}` };
    if (!this.isRunning(job)) return { error: `Job ${id} is not running` };
    if (job.queueJobId === null) return { error: `PID for job ${id} not found in the database` };
    try {
      // Its end (aborted, or already ended) is recorded by the queue's ledger, also when the
      // queue had lost it: what the server lists as running can always be aborted.
      await this.#queue.abort(job.queueJobId, `aborted by ${actor?.name ?? 'request'}`);
    } catch (error) {
      if (!(error instanceof JobNotFoundError)) throw error;
      // Unknown to the queue and its ledger alike (queued before the ledger existed).
      this.#store.setStatus(id, 'aborted', { stopped: true });
      this.#removeFolder(job.dir);
    }
    return { success: `Killing job ${id}` };
  }

  /** POST /v1/calc/:id/remove: soft delete and remove its files, unless other jobs use it. */
  async remove(id: number, actor?: Actor): Promise<{ success: string }> {
    const job = this.#visibleJob(id, actor, 'remove');
    if (job === null) throw new UnknownCalculationError(id);
    const children = this.#store.children(id);
    if (children.length > 0) {
      throw new CalculationPermissionError(
        `Job ${id} cannot be removed: job${children.length > 1 ? 's' : ''} ${children.map((child) => child.id).join(', ')} use${children.length > 1 ? '' : 's'} it as parent`,
      );
    }
    if (this.isRunning(job) && job.queueJobId !== null) {
      await this.#queue.abort(job.queueJobId, 'removed').catch((error: unknown) => {
        // A job the queue lost is not running anywhere it could be stopped from.
        if (!(error instanceof JobNotFoundError)) throw error;
      });
    }
    this.#store.setStatus(id, 'deleted');
    // A removed job has no status pages: its own log rows go with its folder.
    this.#store.deleteLogs(id);
    await rm(job.dir, { recursive: true, force: true });
    return { success: String(id) };
  }

  host(): string {
    return hostname();
  }

  async close(options: { graceMs?: number } = {}): Promise<void> {
    await this.#queue.close({ graceMs: options.graceMs ?? 0 });
    await this.whenIdle();
    this.#store.close();
  }
}

/** What one job may use: its share of the server's workers, within the per-job limit. */
function jobLimits(options: CalcEngineOptions): JobLimits {
  const count = (value: number | undefined, name: string, fallback: number, min: number) => {
    const result = value ?? fallback;
    if (!Number.isSafeInteger(result) || result < min)
      throw new InvalidInputError(`CalcEngine: ${name} must be an integer >= ${min}`);
    return result;
  };
  const concurrency = count(options.concurrency, 'concurrency', 1, 1);
  const perJob = count(options.maxWorkersPerJob, 'maxWorkersPerJob', 4, 0);
  const total = count(options.maxWorkers, 'maxWorkers', 8, 0);
  return { workersPerJob: Math.min(perJob, Math.floor(total / concurrency)) };
}
