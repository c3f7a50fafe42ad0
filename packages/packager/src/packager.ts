import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  inlineJob,
  openServiceQueue,
  type JobContext,
  type QueueLogger,
  type RedisBackendOptions,
  type ServiceQueue,
  type SettledJob,
} from '@geoworks/job-queue';
import { NotFoundError, type SerializedError } from '@geoworks/errors';
import type { Mailer } from '@geoworks/mailer';
import { buildPackage, type BuildSettings, type DwcSettings } from './build.js';
import { checkResolvedHost } from './addresses.js';
import { publicOnly, type AllowedHosts } from './http.js';
import {
  checkEmailTemplates,
  composeDownloadEmail,
  DEFAULT_EMAIL_TEMPLATES,
  type EmailTemplates,
} from './notify.js';
import { loadOrCreateKey, SecretBox } from './keys.js';
import { EmailSpool, type EmailRetryOptions } from './mail-spool.js';
import { StatsStore, type EmailState, type EmailStatus } from './stats.js';
import { PackageStore, type StoredPackage } from './store.js';
import {
  cacheParameters,
  parseTask,
  requestedRecords,
  type PackageTask,
  type TaskKind,
} from './tasks.js';

export const DEFAULT_SUCCESS_MESSAGE =
  'The resource will be emailed to you shortly. This may take a little longer if our servers are busy, so please be patient!';

export interface PackagerOptions {
  /** Folder for the zips, the statistics and the job database (unless given apart). */
  dataDir: string;
  /** Zips; default `<dataDir>/packages`. */
  storeDir?: string;
  /** Statistics database; default `<dataDir>/stats.sqlite`. */
  statsFile?: string;
  /**
   * Run the jobs through Redis instead of the embedded `<dataDir>/jobs.sqlite`: several
   * machines share the work (with a shared `storeDir`).
   */
  redis?: Omit<RedisBackendOptions, 'kind' | 'retentionSeconds'>;
  /** Jobs run at once on the `fast` queue. Default 2. */
  fastWorkers?: number;
  /** Jobs run at once on the `slow` queue. Default 1. */
  slowWorkers?: number;
  /** Requests asking for more records than this, or for all, go to `slow` (`SLOW_REQUEST`). Default 50,000. */
  slowRequest?: number;
  /** `CACHE_TIME`. Default 1 day. */
  cacheTimeMs?: number;
  /** How long download links work. Default 7 days. */
  retentionMs?: number;
  /** Longest a job may run before it is stopped. Default 6 hours. */
  jobTimeoutMs?: number;
  /** Hosts `api_url` and `resource_url` may name; see `AllowedHosts`. */
  allowedHosts?: AllowedHosts;
  /**
   * Let hosts the allow-list does not name reach loopback, private and link-local addresses
   * (development against a CKAN on the same machine). Default false.
   */
  allowPrivateAddresses?: boolean;
  /**
   * Base of the download links, e.g. `https://packager.example.org/downloads/`; a function
   * when it is known only later (a server listening on a port chosen by the system).
   */
  downloadBaseUrl: string | (() => string);
  mailer: Mailer;
  /** Retries of emails the mail server did not take (see `EmailSpool`). */
  emailRetries?: EmailRetryOptions;
  emailFrom?: string;
  templates?: Partial<EmailTemplates>;
  anonymizeEmails?: boolean;
  /** Message returned when a request is queued (`SUCCESS_MESSAGE`). */
  successMessage?: string;
  build?: Omit<BuildSettings, 'tempDir' | 'allowedHosts' | 'allowPrivateAddresses' | 'dwc'>;
  dwc: DwcSettings;
  logger?: QueueLogger;
  /**
   * How often accepted requests are checked against the queue (on Redis, a restart without
   * its data forgets them); a forgotten one is logged as an error at the next check. Default 15 s.
   */
  lostJobCheckMs?: number;
}

/** What `submit` tells the client. */
export interface Submission {
  jobId: string;
  queue: 'fast' | 'slow';
  /** True when a fresh zip for the same parameters exists: only the email is left to send. */
  cached: boolean;
  message: string;
}

/** What a finished job records. */
export interface PackageJobResult {
  zipFileName: string;
  downloadUrl: string;
  /** Rows (datastore) or bytes (file) in the zip; null when it was served from the cache. */
  count: number | null;
  cached: boolean;
  size: number;
  /** Where the email stood when the job ended: sent, or pending another try, or failed. */
  email: EmailStatus;
}

/** One request's progress: its job, then the email with its link. */
export interface RequestStatus {
  jobId: string;
  /** The job: `queued`, `running`, `finished` (the zip is ready), `failed` or `aborted`. */
  status: 'queued' | 'running' | 'finished' | 'failed' | 'aborted';
  queue: string;
  resourceId: string;
  /** Why the job failed (serialised), when it did. */
  error: SerializedError | null;
  /** Once the zip is ready; known on the machine that ran the job. */
  email?: EmailState;
}

export interface PackagerStatus {
  worker_count: number;
  /** Jobs queued or running, over both queues. */
  queue_length: number;
  /** Requests done, successful or failed, since the statistics began. */
  processed_requests: number;
  queues: Record<'fast' | 'slow', { workers: number; queued: number; running: number }>;
  /** Emails waiting for another try, and emails given up (see `/statistics/requests`). */
  emails: { pending: number; failed: number };
}

interface PackageJobPayload {
  /** The task without its API key... */
  task: PackageTask;
  /** ...which travels sealed (see SecretBox), so the job store holds no usable key. */
  sealedKey?: string;
}

const HOUR_MS = 60 * 60 * 1000;

/** The packager's one job type; its handler runs in the service process (I/O-bound work). */
function packagerJobs(timeoutMs: number) {
  return {
    package: inlineJob<PackageJobPayload, PackageJobResult>({
      queue: 'slow',
      timeoutMs,
      attempts: 1,
    }),
  };
}

type PackagerJobs = ReturnType<typeof packagerJobs>;

/**
 * The packaging service: checks requests, queues them on `fast` or `slow`, builds zips
 * (or reuses a cached one), emails the link and keeps statistics.
 */
export class Packager {
  readonly store: PackageStore;
  readonly stats: StatsStore;
  queue!: ServiceQueue<PackagerJobs>;
  /** The emails with download links, until the mail server takes them. */
  readonly emails: EmailSpool;
  private readonly options: PackagerOptions;
  private readonly templates: EmailTemplates;
  private readonly workers: { fast: number; slow: number };
  private readonly building = new Map<string, Promise<{ stored: StoredPackage; count: number }>>();
  private readonly tempDir: string;
  private readonly secrets: SecretBox;
  private cleanupTimer: NodeJS.Timeout | undefined;

  private constructor(
    options: PackagerOptions,
    parts: {
      store: PackageStore;
      stats: StatsStore;
      templates: EmailTemplates;
      tempDir: string;
      secrets: SecretBox;
      emails: EmailSpool;
    },
  ) {
    this.options = options;
    this.store = parts.store;
    this.stats = parts.stats;
    this.emails = parts.emails;
    this.templates = parts.templates;
    this.tempDir = parts.tempDir;
    this.secrets = parts.secrets;
    this.workers = { fast: options.fastWorkers ?? 2, slow: options.slowWorkers ?? 1 };
  }

  static async open(options: PackagerOptions): Promise<Packager> {
    const dataDir = resolve(options.dataDir);
    const templates = { ...DEFAULT_EMAIL_TEMPLATES, ...options.templates };
    checkEmailTemplates(templates);
    const tempDir = join(dataDir, 'tmp');
    await mkdir(tempDir, { recursive: true });
    const store = await PackageStore.open({
      dir: options.storeDir ?? join(dataDir, 'packages'),
      ...(options.cacheTimeMs === undefined ? {} : { cacheTimeMs: options.cacheTimeMs }),
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
    });
    const stats = await StatsStore.open({
      file: options.statsFile ?? join(dataDir, 'stats.sqlite'),
      anonymizeEmails: options.anonymizeEmails ?? false,
    });
    const emails = new EmailSpool(stats, options.mailer, options.emailRetries, options.logger);
    // Kept with the zips: machines sharing the store (Redis setups) share the key.
    const secrets = new SecretBox(await loadOrCreateKey(store.dir, '.payload-key'));
    const packager = new Packager(options, { store, stats, templates, tempDir, secrets, emails });
    // Last, as it starts taking jobs at once; the handler is the packager's. Opening catches
    // up with the jobs that ended (or were lost) while the service was down.
    packager.queue = await openServiceQueue({
      dataDir,
      ...(options.redis === undefined ? {} : { redis: options.redis }),
      jobs: packagerJobs(options.jobTimeoutMs ?? 6 * HOUR_MS),
      inlineHandlers: { package: (payload, context) => packager.runJob(payload, context) },
      queues: {
        fast: { concurrency: options.fastWorkers ?? 2 },
        slow: { concurrency: options.slowWorkers ?? 1 },
      },
      ledger: { database: stats.database, record: (job) => packager.recordEnd(job) },
      ...(options.lostJobCheckMs === undefined ? {} : { lostJobCheckMs: options.lostJobCheckMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    // Emails a previous run could not deliver are due again.
    emails.start();
    await packager.cleanUp().catch(() => undefined);
    packager.cleanupTimer = setInterval(
      () => void packager.cleanUp().catch(() => undefined),
      HOUR_MS,
    );
    packager.cleanupTimer.unref();
    return packager;
  }

  /**
   * Checks a request and queues it; `BadTaskParameterError`, `HostNotAllowedError` or
   * `PrivateAddressError` when it cannot be.
   */
  async submit(kind: TaskKind, parameters: Readonly<Record<string, unknown>>): Promise<Submission> {
    const { allowedHosts, allowPrivateAddresses } = this.options;
    const task = parseTask(kind, parameters, allowedHosts, allowPrivateAddresses);
    const url = new URL(task.kind === 'url' ? task.resourceUrl : task.apiUrl);
    if (publicOnly(url, allowedHosts, allowPrivateAddresses)) {
      await checkResolvedHost(url, task.kind === 'url' ? 'resource_url' : 'api_url');
    }
    const name = this.zipName(task);
    const cached = (await this.store.findFresh(name)) !== undefined;
    const records = requestedRecords(task);
    const slowRequest = this.options.slowRequest ?? 50_000;
    const fast = cached || task.kind === 'url' || (records !== undefined && records <= slowRequest);
    const queue = fast ? 'fast' : 'slow';
    const { key, ...withoutKey } = task;
    const payload: PackageJobPayload = {
      task: withoutKey,
      ...(key === undefined ? {} : { sealedKey: this.secrets.seal(key) }),
    };
    const jobId = await this.queue.enqueue('package', payload, { queue });
    return {
      jobId,
      queue,
      cached,
      message: this.options.successMessage ?? DEFAULT_SUCCESS_MESSAGE,
    };
  }

  /** Workers and queue lengths (`/status`). */
  async status(): Promise<PackagerStatus> {
    const queues = await this.queue.stats();
    const of = (name: 'fast' | 'slow') => {
      const found = queues.find((queue) => queue.name === name);
      return {
        workers: found?.concurrency ?? this.workers[name],
        queued: found?.queued ?? 0,
        running: found?.started ?? 0,
      };
    };
    const fast = of('fast');
    const slow = of('slow');
    const totals = this.stats.totals('*')['*'] ?? { requests: 0, errors: 0 };
    return {
      worker_count: fast.workers + slow.workers,
      queue_length: fast.queued + fast.running + slow.queued + slow.running,
      processed_requests: totals.requests + totals.errors,
      queues: { fast, slow },
      emails: this.stats.emailCounts(),
    };
  }

  /** Where one request stands (`NotFoundError` for an unknown job id). */
  async requestStatus(jobId: string): Promise<RequestStatus> {
    // The queue's view while it has the job; the service's own once the queue forgot it
    // (after its retention, or lost with Redis's data: failed, saying so).
    const job = await this.queue.get(jobId);
    const entry = this.queue.entry(jobId);
    if (job === null && entry === null) {
      throw new NotFoundError(`No package request ${jobId}`, { code: 'REQUEST_NOT_FOUND' });
    }
    const payload = (job?.payload ?? entry?.payload) as PackageJobPayload;
    const status = job?.status ?? entry!.status;
    const email = this.emails.state(jobId);
    return {
      jobId,
      status: status === 'started' ? 'running' : status,
      queue: job?.queue ?? 'unknown',
      resourceId: payload.task.resourceId,
      error: job === null ? entry!.error : job.error,
      ...(email === undefined ? {} : { email }),
    };
  }

  /**
   * A job's end, once, in a transaction of the statistics database. The job itself logs its
   * request or its error; only a job the queue lost, which never ran to its end, is logged
   * here, so that the error list tells about it.
   */
  private recordEnd(job: SettledJob<PackagerJobs>): void {
    if (job.status !== 'failed' || job.error.code !== 'JOB_LOST') return;
    const { task } = job.payload;
    this.stats.logErrorNow({
      email: task.email,
      resourceId: task.resourceId,
      message: job.error.message,
    });
  }

  /** Deletes every cached zip (`/clear_caches`); returns how many. */
  clearCaches(): Promise<number> {
    return this.store.clear();
  }

  /** The zip behind a download link; `NotFoundError` once it has expired. */
  download(name: string): Promise<StoredPackage> {
    return this.store.download(name);
  }

  /** Removes expired zips and leftovers of dead builds (also run hourly). */
  cleanUp(): Promise<{ zips: number; partials: number }> {
    return this.store.cleanUp();
  }

  /** Stops taking jobs (running ones get `graceMs` to finish) and closes the databases. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    clearInterval(this.cleanupTimer);
    await this.queue.close(options);
    // After the jobs, whose last step is an email; what is not sent stays for the next start.
    await this.emails.close();
    this.stats.close();
  }

  private zipName(task: PackageTask): string {
    return this.store.fileName(task.resourceId, PackageStore.cacheKey(cacheParameters(task)));
  }

  private async runJob(payload: PackageJobPayload, context: JobContext): Promise<PackageJobResult> {
    const task: PackageTask =
      payload.sealedKey === undefined
        ? payload.task
        : { ...payload.task, key: this.secrets.open(payload.sealedKey) };
    const name = this.zipName(task);
    try {
      let stored = await this.store.findFresh(name);
      let count: number | null = null;
      const cached = stored !== undefined;
      if (stored === undefined) {
        context.log.info(`Building ${name}`);
        const built = await this.buildOnce(name, task, context);
        stored = built.stored;
        count = built.count;
        context.log.info(
          `Built ${name}: ${count} ${task.kind === 'url' ? 'bytes' : 'records'}, ${stored.size} bytes zipped`,
        );
      } else {
        context.log.info(`Reusing ${name}, built ${stored.createdAt.toISOString()}`);
      }
      const base = this.options.downloadBaseUrl;
      const downloadUrl = new URL(
        encodeURIComponent(name),
        typeof base === 'string' ? base : base(),
      ).href;
      const sourceUrl = new URL(task.kind === 'url' ? task.resourceUrl : task.apiUrl);
      const message = composeDownloadEmail(
        this.templates,
        {
          to: task.email,
          resourceId: task.resourceId,
          zipFileName: name,
          downloadUrl,
          ckanHost: sourceUrl.host,
          expiresAt: stored.expiresAt,
          doi: task.doi,
        },
        this.options.emailFrom,
      );
      // The zip is ready: the request is logged with its email spooled in one step, then the
      // email is tried. A mail server that refuses or cannot be reached does not fail the
      // job: the spool tries again later and the request's email state tells how it went.
      const requestId = await this.stats.logRequest({
        email: task.email,
        resourceId: task.resourceId,
        jobId: context.jobId,
        ...(count === null ? {} : { count }),
        spool: {
          message: JSON.stringify(message),
          createdAt: this.emails.now(),
          expiresAt: stored.expiresAt.getTime(),
        },
      });
      await this.emails.deliver(requestId);
      const email = this.emails.state(context.jobId);
      if (email?.status === 'sent') context.log.info(`Emailed the link to ${task.email}`);
      else if (email?.status === 'failed')
        context.log.error(`Could not email the link to ${task.email}: ${email.error}`);
      else
        context.log.warn(
          `Could not email the link to ${task.email} yet (${email?.error}); trying again at ${
            email?.nextAttemptAt == null ? 'once due' : new Date(email.nextAttemptAt).toISOString()
          }`,
        );
      context.progress(100);
      return {
        zipFileName: name,
        downloadUrl,
        count,
        cached,
        size: stored.size,
        email: email?.status ?? 'pending',
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      context.log.error(message);
      await this.stats
        .logError({ email: task.email, resourceId: task.resourceId, message })
        .catch(() => undefined);
      throw error;
    }
  }

  // Two identical requests at once build one zip: the second waits for the first.
  private buildOnce(
    name: string,
    task: PackageTask,
    context: JobContext,
  ): Promise<{ stored: StoredPackage; count: number }> {
    const running = this.building.get(name);
    if (running !== undefined) return running;
    const settings: BuildSettings = {
      ...this.options.build,
      tempDir: this.tempDir,
      allowedHosts: this.options.allowedHosts,
      allowPrivateAddresses: this.options.allowPrivateAddresses ?? false,
      dwc: this.options.dwc,
    };
    let count = 0;
    const build = this.store
      .publish(name, async (tempPath) => {
        const result = await buildPackage(task, tempPath, settings, {
          signal: context.signal,
          progress: (percent) => context.progress(percent),
          log: (line) => context.log.warn(line),
        });
        count = result.count;
      })
      .then((stored) => ({ stored, count }))
      .finally(() => this.building.delete(name));
    this.building.set(name, build);
    return build;
  }
}
