import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import {
  ConflictError,
  deserializeError,
  InvalidInputError,
  NotFoundError,
  UnavailableError,
} from '@geoworks/errors';
import type { VectorFormat } from '@geoworks/geo-intersect';
import {
  createJobQueue,
  defineJobType,
  JobLostError,
  JobNotFoundError,
  watchLostJobs,
  type Job,
  type JobQueue,
  type LostJobWatch,
  type QueueLogger,
  type RedisBackendOptions,
} from '@geoworks/job-queue';
import type { ZonalRule } from '@geoworks/raster-stats';
import { siblingModule } from '@geoworks/workers';
import { Catalog, type CatalogSummary, type FileRecord } from './catalog.js';
import { displayName, safeDatasetName } from './names.js';
import type {
  InspectPayload,
  Inspection,
  IntersectionJobResult,
  IntersectionPayload,
  RasterStatsPayload,
  RemainingPayload,
} from './handlers.js';

export interface PandarusServiceOptions {
  /** Everything lives here: catalog.sqlite, jobs.sqlite, uploads/, intersections/, ... */
  dataDir: string;
  /** Worker processes per intersection (PANDARUS_CPUS); default: the number of CPUs. */
  cpus?: number;
  /** Vector output of intersections (PANDARUS_EXPORT_FORMAT); default GeoJSON. */
  exportFormat?: VectorFormat;
  /** Raster statistics rule; default `coverage`, what pandarus_remote 1.1 returned. */
  rasterRule?: ZonalRule;
  /** bzip2 the JSON results, as pandarus_remote does; default true. */
  compress?: boolean;
  /** Calculations at once; default 1. */
  concurrency?: number;
  /** Run jobs through Redis (workers on other machines) instead of the embedded queue. */
  redis?: Omit<RedisBackendOptions, 'kind'>;
  /**
   * How often queued and running jobs are checked against the queue (on Redis, a restart
   * without its data forgets them); a forgotten job fails at the next check. Default 15 s.
   */
  lostJobCheckMs?: number;
  logger?: QueueLogger;
}

/** The answer of an upload, as pandarus_remote 1.1 gives it. */
export interface UploadResult {
  filename: string;
  sha256: string;
}

/** The form fields of an upload. */
export interface UploadFields {
  name: string;
  sha256: string;
  band: string;
  layer: string;
  field: string;
}

/** An uploaded file as service-kit's receiveUploads gives it (already on disk, hashed). */
export interface ReceivedFile {
  path: string;
  sha256: string;
}

export type CalculationKind = 'intersection' | 'remaining' | 'rasterstats';

const HOUR = 3_600_000;
const handlers = siblingModule(import.meta.url, 'handlers');

const jobTypes = [
  defineJobType({
    type: 'inspect',
    queue: 'fast',
    isolation: 'process',
    module: handlers,
    exportName: 'inspectDataset',
    timeoutMs: 10 * 60_000,
  }),
  defineJobType({
    type: 'intersection',
    queue: 'slow',
    isolation: 'process',
    module: handlers,
    exportName: 'computeIntersection',
    timeoutMs: 4 * HOUR,
  }),
  defineJobType({
    type: 'remaining',
    queue: 'slow',
    isolation: 'process',
    module: handlers,
    exportName: 'computeRemaining',
    timeoutMs: HOUR / 2,
  }),
  defineJobType({
    type: 'rasterstats',
    queue: 'slow',
    isolation: 'process',
    module: handlers,
    exportName: 'computeRasterStats',
    timeoutMs: HOUR / 2,
  }),
];

/**
 * pandarus_remote's use cases over a catalog and a job queue: uploads are inspected in a
 * worker process and registered; calculations run as deduplicated background jobs whose
 * results enter the catalog once complete (the service process is the catalog's only writer).
 */
export class PandarusService {
  readonly #catalog: Catalog;
  readonly #queue: JobQueue;
  readonly #dirs: Record<
    'uploads' | 'incoming' | 'intersections' | 'remaining' | 'rasterstats',
    string
  >;
  readonly #options: Required<
    Pick<PandarusServiceOptions, 'cpus' | 'exportFormat' | 'rasterRule' | 'compress'>
  >;
  readonly #logger: QueueLogger | undefined;
  readonly #lostJobs: LostJobWatch;

  private constructor(
    catalog: Catalog,
    queue: JobQueue,
    dataDir: string,
    options: PandarusServiceOptions,
  ) {
    this.#catalog = catalog;
    this.#queue = queue;
    this.#logger = options.logger;
    this.#dirs = {
      uploads: join(dataDir, 'uploads'),
      incoming: join(dataDir, 'uploads', 'incoming'),
      intersections: join(dataDir, 'intersections'),
      remaining: join(dataDir, 'remaining'),
      rasterstats: join(dataDir, 'rasterstats'),
    };
    for (const dir of Object.values(this.#dirs)) mkdirSync(dir, { recursive: true });
    this.#options = {
      cpus: options.cpus ?? availableParallelism(),
      exportFormat: options.exportFormat ?? 'GeoJSON',
      rasterRule: options.rasterRule ?? 'coverage',
      compress: options.compress ?? true,
    };
    queue.on('started', (job) => catalog.updateJob(job.id, 'started'));
    queue.on('finished', (job) => this.#record(job));
    const failed = (job: Job) => catalog.updateJob(job.id, 'failed', job.error?.message ?? null);
    queue.on('failed', failed);
    queue.on('aborted', failed);
    this.#lostJobs = watchLostJobs(queue, {
      liveJobs: () => catalog.liveJobIds(),
      onLost: (id) => this.#lost(id),
      // An end whose event came before the job was recorded (or while nobody listened).
      onEnded: (job) => (job.status === 'finished' ? this.#record(job) : failed(job)),
      intervalMs: options.lostJobCheckMs ?? 15_000,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  }

  static async open(options: PandarusServiceOptions): Promise<PandarusService> {
    mkdirSync(options.dataDir, { recursive: true });
    const catalog = new Catalog(join(options.dataDir, 'catalog.sqlite'));
    const queue = await createJobQueue({
      backend:
        options.redis === undefined
          ? { kind: 'sqlite', file: join(options.dataDir, 'jobs.sqlite') }
          : { kind: 'redis', ...options.redis },
      jobTypes,
      queues: { fast: { concurrency: 2 }, slow: { concurrency: options.concurrency ?? 1 } },
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const service = new PandarusService(catalog, queue, options.dataDir, options);
    // Jobs that ended (or were lost) while the service was not listening: only the ones it
    // still waits for are asked about, not every finished job the queue keeps.
    await service.#lostJobs.check();
    return service;
  }

  /** Where uploads are received before they are checked. */
  get incomingDir(): string {
    return this.#dirs.incoming;
  }

  // ---- uploads --------------------------------------------------------------------------

  /**
   * Registers an uploaded file: an `InvalidInputError` when the hash does not match or it is
   * not a usable vector or raster dataset, a `ConflictError` when a dataset with this hash is
   * already there. The file is moved
   * under the data directory, or deleted when refused.
   */
  async upload(fields: UploadFields, file: ReceivedFile): Promise<UploadResult> {
    try {
      const sha256 = fields.sha256.trim().toLowerCase();
      if (sha256 !== file.sha256) {
        throw new InvalidInputError(
          `The sha256 given (${fields.sha256}) does not match the file's (${file.sha256})`,
          {
            code: 'HASH_MISMATCH',
          },
        );
      }
      if (this.#catalog.file(sha256) !== null)
        throw new ConflictError(`A dataset with sha256 ${sha256} already exists`);
      const band = parseBand(fields.band);
      const layer = fields.layer === '' ? null : fields.layer;
      const field = fields.field === '' ? null : fields.field;
      // The client's name is shown in the catalog and messages: only its cleaned last segment.
      const name = displayName(fields.name);
      const storedName = `${randomUUID().replaceAll('-', '')}.${safeDatasetName(name)}`;
      const path = join(this.#dirs.uploads, storedName);
      await rename(file.path, path);
      try {
        const inspection = await this.#run<Inspection>('inspect', {
          path,
          name,
          layer,
          band,
          field,
        } satisfies InspectPayload);
        const added = this.#catalog.addFile({
          sha256,
          name,
          storedName,
          path,
          kind: inspection.kind,
          field,
          layer,
          band,
          geometryType: inspection.geometryType,
        });
        if (!added) throw new ConflictError(`A dataset with sha256 ${sha256} already exists`);
        return { filename: storedName, sha256 };
      } catch (error) {
        await rm(path, { force: true });
        throw error;
      }
    } finally {
      await rm(file.path, { force: true });
    }
  }

  /** Runs a job and waits for its result, turning its failure back into the error. */
  async #run<T>(type: string, payload: unknown): Promise<T> {
    const id = await this.#queue.enqueue(type, payload);
    let job: Job;
    try {
      job = await this.#queue.wait(id);
    } catch (error) {
      if (!(error instanceof JobNotFoundError)) throw error;
      throw new UnavailableError(
        `The job queue lost the ${type} job (its Redis state is gone); send the request again`,
        { code: 'JOB_LOST', details: { retryAfterSeconds: 5 } },
      );
    }
    if (job.status === 'finished') return job.result as T;
    const error = job.error;
    // The input was refused: the caller gets the refusal itself (kind, code and message).
    if (error?.kind === 'invalid-input') throw deserializeError(error);
    throw new Error(`${type} job ${id} ${job.status}: ${error?.message ?? 'no error recorded'}`);
  }

  // ---- calculations -----------------------------------------------------------------------

  /** Starts (or finds, if it is already queued or running) an intersection; returns its job id. */
  async requestIntersection(firstSha: string, secondSha: string): Promise<string> {
    const [first, second] = this.#files(firstSha, secondSha);
    if (first.sha256 === second.sha256)
      throw new InvalidInputError('The two datasets are the same file', { code: 'SAME_DATASET' });
    requireVector(first, 'first');
    requireVector(second, 'second');
    if (second.geometryType !== 'polygon') {
      throw new InvalidInputError(
        'The second dataset must hold Polygon or MultiPolygon geometries',
        { code: 'NOT_POLYGONS' },
      );
    }
    if (this.#catalog.intersection(first.sha256, second.sha256) !== null) {
      throw new ConflictError('This intersection has already been calculated');
    }
    const payload: IntersectionPayload = {
      first: datasetInput(first),
      second: datasetInput(second),
      outDir: this.#dirs.intersections,
      cpus: this.#options.cpus,
      format: this.#options.exportFormat,
      compress: this.#options.compress,
    };
    return this.#enqueueTracked('intersection', payload, {
      key: `intersection:${first.sha256}:${second.sha256}`,
    });
  }

  /** Queues a calculation and remembers it, so its end is known even if the queue forgets it. */
  async #enqueueTracked(type: CalculationKind, payload: unknown, options: { key: string }) {
    const id = await this.#queue.enqueue(type, payload, options);
    this.#catalog.trackJob(id, type);
    return id;
  }

  async requestRemaining(firstSha: string, secondSha: string): Promise<string> {
    const [first] = this.#files(firstSha, secondSha);
    const intersection = this.#catalog.intersection(firstSha, secondSha);
    if (intersection === null)
      throw new NotFoundError('The intersection of these datasets has not been calculated');
    if (this.#catalog.remaining(firstSha, secondSha) !== null) {
      throw new ConflictError('These remaining areas have already been calculated');
    }
    requireVector(first, 'first');
    const payload: RemainingPayload = {
      source: datasetInput(first),
      intersectionPath: intersection.vectorPath,
      outDir: this.#dirs.remaining,
      compress: this.#options.compress,
    };
    return this.#enqueueTracked('remaining', payload, {
      key: `remaining:${firstSha}:${secondSha}`,
    });
  }

  async requestRasterStats(vectorSha: string, rasterSha: string): Promise<string> {
    const [vector, raster] = this.#files(vectorSha, rasterSha);
    requireVector(vector, 'vector');
    if (vector.geometryType === 'line')
      throw new InvalidInputError('Raster statistics need polygons or points', {
        code: 'NOT_POLYGONS_OR_POINTS',
      });
    if (raster.kind !== 'raster')
      throw new InvalidInputError('The raster dataset is not a raster', { code: 'NOT_A_RASTER' });
    if (this.#catalog.rasterStats(vectorSha, rasterSha) !== null) {
      throw new ConflictError('These raster statistics have already been calculated');
    }
    const payload: RasterStatsPayload = {
      vector: datasetInput(vector),
      raster: { path: raster.path, band: raster.band ?? 1 },
      outDir: this.#dirs.rasterstats,
      rule: this.#options.rasterRule,
      compress: this.#options.compress,
    };
    return this.#enqueueTracked('rasterstats', payload, {
      key: `rasterstats:${vectorSha}:${rasterSha}`,
    });
  }

  /**
   * A calculation job's status as a bare word (queued, started, finished, failed), with its
   * error when it failed; null for an unknown id. A finished job's result is in the catalog
   * before `finished` is answered.
   */
  async status(jobId: string): Promise<{
    status: 'queued' | 'started' | 'finished' | 'failed';
    error: string | null;
  } | null> {
    const job = await this.#queue.get(jobId);
    if (job !== null) {
      if (job.type === 'inspect') return null;
      if (job.status === 'finished') this.#record(job);
      // An aborted job ends like a failed one for clients that only know rq's words.
      const status = job.status === 'aborted' ? 'failed' : job.status;
      return { status, error: job.error?.message ?? null };
    }
    // The queue forgot it: removed after its retention, or lost with Redis's data.
    if (this.#catalog.job(jobId) === null) return null;
    this.#lost(jobId);
    const record = this.#catalog.job(jobId)!;
    return { status: record.status, error: record.error };
  }

  /** A job the queue no longer knows: unless it had ended, it never will. */
  #lost(id: string): void {
    const record = this.#catalog.job(id);
    if (record === null || (record.status !== 'queued' && record.status !== 'started')) return;
    const error = new JobLostError(id, record.status);
    this.#logger?.warn({ jobId: id }, error.message);
    this.#catalog.updateJob(id, 'failed', error.message);
  }

  /** The file of a calculated result; NotFoundError when it has not been calculated. */
  resultFile(kind: CalculationKind | 'intersection-file', first: string, second: string): string {
    if (kind === 'intersection' || kind === 'intersection-file') {
      const intersection = this.#catalog.intersection(first, second);
      if (intersection === null)
        throw new NotFoundError('This intersection has not been calculated');
      return kind === 'intersection' ? intersection.dataPath : intersection.vectorPath;
    }
    const path =
      kind === 'remaining'
        ? this.#catalog.remaining(first, second)
        : this.#catalog.rasterStats(first, second);
    if (path === null)
      throw new NotFoundError(
        `These ${kind === 'remaining' ? 'remaining areas' : 'raster statistics'} have not been calculated`,
      );
    return path;
  }

  catalog(): CatalogSummary {
    return this.#catalog.summary();
  }

  async close(): Promise<void> {
    this.#lostJobs.stop();
    await this.#queue.close();
    this.#catalog.close();
  }

  // ---- recording results ------------------------------------------------------------------

  /** Enters a finished job's result in the catalog; idempotent. */
  #record(job: Job): void {
    try {
      if (job.type === 'intersection') {
        const payload = job.payload as IntersectionPayload;
        const result = job.result as IntersectionJobResult;
        const firstSha = this.#shaOf(payload.first.path);
        const secondSha = this.#shaOf(payload.second.path);
        if (firstSha === null || secondSha === null) return;
        // As pandarus_remote: the intersection, its vector output as a new dataset, and the
        // new dataset's intersections with both inputs, all at once.
        this.#catalog.transaction(() => {
          this.#catalog.addFile({
            sha256: result.vectorSha256,
            name: basename(result.vectorPath),
            storedName: basename(result.vectorPath),
            path: result.vectorPath,
            kind: 'vector',
            field: 'id',
            layer: null,
            band: null,
            geometryType: this.#catalog.file(firstSha)?.geometryType ?? null,
          });
          this.#catalog.addIntersection({
            firstSha256: firstSha,
            secondSha256: secondSha,
            dataPath: result.dataPath,
            vectorPath: result.vectorPath,
          });
          this.#catalog.addIntersection({
            firstSha256: result.vectorSha256,
            secondSha256: firstSha,
            dataPath: result.derived.firstPath,
            vectorPath: result.vectorPath,
          });
          this.#catalog.addIntersection({
            firstSha256: result.vectorSha256,
            secondSha256: secondSha,
            dataPath: result.derived.secondPath,
            vectorPath: result.vectorPath,
          });
        });
      } else if (job.type === 'remaining') {
        const [, firstSha, secondSha] = (job.key ?? '').split(':');
        if (firstSha && secondSha)
          this.#catalog.addRemaining(firstSha, secondSha, (job.result as { path: string }).path);
      } else if (job.type === 'rasterstats') {
        const [, vectorSha, rasterSha] = (job.key ?? '').split(':');
        if (vectorSha && rasterSha)
          this.#catalog.addRasterStats(vectorSha, rasterSha, (job.result as { path: string }).path);
      }
      this.#catalog.updateJob(job.id, 'finished');
    } catch (error) {
      this.#logger?.error(
        { err: error, jobId: job.id },
        'could not record a finished job in the catalog',
      );
    }
  }

  #shaOf(path: string): string | null {
    // Stored names are unique, so the path identifies the dataset.
    return this.#catalog.shaByPath(path);
  }

  #files(a: string, b: string): [FileRecord, FileRecord] {
    const first = this.#catalog.file(a);
    const second = this.#catalog.file(b);
    const missing = [first === null ? a : null, second === null ? b : null].filter(
      (sha) => sha !== null,
    );
    if (first === null || second === null)
      throw new NotFoundError(`No dataset with sha256 ${missing.join(', ')}`);
    return [first, second];
  }
}

function requireVector(file: FileRecord, role: string): void {
  if (file.kind !== 'vector')
    throw new InvalidInputError(`The ${role} dataset is not a vector dataset`, {
      code: 'NOT_A_VECTOR',
    });
  if (file.field === null) {
    throw new InvalidInputError(`The ${role} dataset was uploaded without an identifying field`, {
      code: 'NO_IDENTIFYING_FIELD',
    });
  }
}

function datasetInput(file: FileRecord) {
  return {
    path: file.path,
    field: file.field ?? 'id',
    ...(file.layer === null ? {} : { layer: file.layer }),
  };
}

function parseBand(band: string): number | null {
  if (band.trim() === '') return null;
  const value = Number(band);
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidInputError(`band must be a positive integer or empty, not "${band}"`);
  return value;
}
