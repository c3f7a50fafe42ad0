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
  JobNotFoundError,
  openServiceQueue,
  type Job,
  type QueueLogger,
  type RedisBackendOptions,
  type ServiceQueue,
  type SettledJob,
} from '@geoworks/job-queue';
import type { ZonalRule } from '@geoworks/raster-stats';
import { Catalog, type CatalogSummary, type FileRecord } from './catalog.js';
import { pandarusJobs, type PandarusJobs } from './jobs.js';
import { displayName, safeDatasetName } from './names.js';
import type {
  InspectPayload,
  Inspection,
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
  redis?: Omit<RedisBackendOptions, 'kind' | 'retentionSeconds'>;
  /** Ended jobs are forgotten after this (their results stay in the catalog); default 7 days. */
  retentionSeconds?: number;
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

/**
 * pandarus_remote's use cases over a catalog and a job queue: uploads are inspected in a
 * worker process and registered; calculations run as deduplicated background jobs whose
 * results enter the catalog once complete (the service process is the catalog's only writer).
 */
export class PandarusService {
  readonly #catalog: Catalog;
  #queue!: ServiceQueue<PandarusJobs>;
  readonly #dirs: Record<
    'uploads' | 'incoming' | 'intersections' | 'remaining' | 'rasterstats',
    string
  >;
  readonly #options: Required<
    Pick<PandarusServiceOptions, 'cpus' | 'exportFormat' | 'rasterRule' | 'compress'>
  >;

  private constructor(catalog: Catalog, dataDir: string, options: PandarusServiceOptions) {
    this.#catalog = catalog;
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
  }

  static async open(options: PandarusServiceOptions): Promise<PandarusService> {
    mkdirSync(options.dataDir, { recursive: true });
    const catalog = new Catalog(join(options.dataDir, 'catalog.sqlite'));
    const service = new PandarusService(catalog, options.dataDir, options);
    // Opening catches up with the jobs that ended (or were lost) while nobody listened.
    service.#queue = await openServiceQueue({
      dataDir: options.dataDir,
      ...(options.redis === undefined ? {} : { redis: options.redis }),
      ...(options.retentionSeconds === undefined
        ? {}
        : { retentionSeconds: options.retentionSeconds }),
      jobs: pandarusJobs,
      queues: { fast: { concurrency: 2 }, slow: { concurrency: options.concurrency ?? 1 } },
      ledger: { database: catalog.database, record: (job) => service.#record(job) },
      ...(options.lostJobCheckMs === undefined ? {} : { lostJobCheckMs: options.lostJobCheckMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
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
        const inspection = await this.#inspect({ path, name, layer, band, field });
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

  /** Inspects an upload in a worker process and waits for it, turning a refusal into a 406. */
  async #inspect(payload: InspectPayload): Promise<Inspection> {
    const id = await this.#queue.enqueue('inspect', payload);
    let job: Job;
    try {
      job = await this.#queue.wait(id);
    } catch (error) {
      if (!(error instanceof JobNotFoundError)) throw error;
      throw new UnavailableError(
        'The job queue lost the inspection of the upload (its Redis state is gone); send it again',
        { code: 'JOB_LOST', details: { retryAfterSeconds: 5 } },
      );
    }
    if (job.status === 'finished') return job.result as Inspection;
    const error = job.error;
    // The input was refused: the caller gets the refusal itself (kind, code and message).
    if (error?.kind === 'invalid-input') throw deserializeError(error);
    throw new Error(`inspect job ${id} ${job.status}: ${error?.message ?? 'no error recorded'}`);
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
      firstSha256: first.sha256,
      secondSha256: second.sha256,
      first: datasetInput(first),
      second: datasetInput(second),
      outDir: this.#dirs.intersections,
      cpus: this.#options.cpus,
      format: this.#options.exportFormat,
      compress: this.#options.compress,
    };
    return this.#queue.enqueue('intersection', payload, {
      key: `intersection:${first.sha256}:${second.sha256}`,
    });
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
      firstSha256: firstSha,
      secondSha256: secondSha,
      source: datasetInput(first),
      intersectionPath: intersection.vectorPath,
      outDir: this.#dirs.remaining,
      compress: this.#options.compress,
    };
    return this.#queue.enqueue('remaining', payload, {
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
      vectorSha256: vectorSha,
      rasterSha256: rasterSha,
      vector: datasetInput(vector),
      raster: { path: raster.path, band: raster.band ?? 1 },
      outDir: this.#dirs.rasterstats,
      rule: this.#options.rasterRule,
      compress: this.#options.compress,
    };
    return this.#queue.enqueue('rasterstats', payload, {
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
    // The queue's view while it has the job (its end recorded first); the service's own once
    // the queue forgot it (after its retention, or lost with Redis's data: failed, saying so).
    const job = await this.#queue.get(jobId);
    const entry = this.#queue.entry(jobId);
    const status = job?.status ?? entry?.status;
    if (status === undefined || (job?.type ?? entry?.type) === 'inspect') return null;
    const error = job === null ? entry?.error : job.error;
    // An aborted job ends like a failed one for clients that only know rq's words.
    return { status: status === 'aborted' ? 'failed' : status, error: error?.message ?? null };
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
    await this.#queue.close();
    this.#catalog.close();
  }

  // ---- recording results ------------------------------------------------------------------

  /**
   * Enters a finished calculation in the catalog. Called once per job, in a transaction of the
   * catalog's database (the queue's ledger), so a result is never half entered; a failed job
   * leaves no entry (its status carries the error).
   */
  #record(job: SettledJob<PandarusJobs>): void {
    if (job.status !== 'finished') return;
    if (job.type === 'intersection') {
      const { firstSha256, secondSha256 } = job.payload;
      const result = job.result;
      // As pandarus_remote: the intersection, its vector output as a new dataset, and the new
      // dataset's intersections with both inputs, all at once.
      this.#catalog.addFile({
        sha256: result.vectorSha256,
        name: basename(result.vectorPath),
        storedName: basename(result.vectorPath),
        path: result.vectorPath,
        kind: 'vector',
        field: 'id',
        layer: null,
        band: null,
        geometryType: this.#catalog.file(firstSha256)?.geometryType ?? null,
      });
      this.#catalog.addIntersection({
        firstSha256,
        secondSha256,
        dataPath: result.dataPath,
        vectorPath: result.vectorPath,
      });
      for (const [input, dataPath] of [
        [firstSha256, result.derived.firstPath],
        [secondSha256, result.derived.secondPath],
      ] as const) {
        this.#catalog.addIntersection({
          firstSha256: result.vectorSha256,
          secondSha256: input,
          dataPath,
          vectorPath: result.vectorPath,
        });
      }
    } else if (job.type === 'remaining') {
      this.#catalog.addRemaining(
        job.payload.firstSha256,
        job.payload.secondSha256,
        job.result.path,
      );
    } else if (job.type === 'rasterstats') {
      const { vectorSha256, rasterSha256 } = job.payload;
      this.#catalog.addRasterStats(vectorSha256, rasterSha256, job.result.path);
    }
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
