import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMailer } from '@geoworks/mailer';
import { loadDwcSettings, loadEmailTemplates, Packager, type Clock } from '@geoworks/packager';
import {
  ConfigError,
  createLogger,
  loadConfig,
  mailTransportOptions,
  httpLimits,
  serveApp,
  withServiceDataDir,
  type Logger,
  type ServerHandle,
} from '@geoworks/service-kit';
import { configSchema } from './config.js';
import { formatError, packagerRoutes } from './routes.js';

export { configSchema } from './config.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** The clock and timers of email retries (tests move one by hand instead of waiting). */
  clock?: Clock;
}

/** Starts the packager service; `stop()` lets running packages finish (or hands them back) and closes the databases. */
export async function start(
  options: StartOptions = {},
): Promise<ServerHandle & { packager: Packager; secret: string }> {
  const env = withServiceDataDir(options.env ?? process.env, 'PACKAGER_DATA_DIR', 'packager');
  const config = loadConfig(configSchema, env);
  const production = env.NODE_ENV === 'production';
  const problems = [];
  if (production && config.secret === undefined) {
    problems.push({
      variable: 'PACKAGER_SECRET',
      message: 'PACKAGER_SECRET must be set in production',
    });
  }
  if (production && config.allowedHosts.length === 0) {
    problems.push({
      variable: 'PACKAGER_ALLOWED_HOSTS',
      message:
        'PACKAGER_ALLOWED_HOSTS must name the CKAN hosts in production (or be * to allow any host)',
    });
  }
  if (config.retention < config.cacheTime) {
    problems.push({
      variable: 'PACKAGER_RETENTION',
      message:
        'PACKAGER_RETENTION must be at least PACKAGER_CACHE_TIME, or cached links would expire early',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'packager' });
  await mkdir(config.dataDir, { recursive: true });
  const secret = config.secret ?? (await developmentSecret(config.dataDir, logger));
  const mailer = createMailer({
    from: config.mailFrom,
    logger,
    ...mailTransportOptions(config, join(config.dataDir, 'outbox')),
  });
  let publicUrl = config.publicUrl;
  const packager = await Packager.open({
    dataDir: config.dataDir,
    ...(config.storeDir === undefined ? {} : { storeDir: config.storeDir }),
    ...(config.redisUrl === undefined
      ? {}
      : { redis: { url: config.redisUrl, namespace: 'packager' } }),
    lostJobCheckMs: config.lostJobCheck,
    fastWorkers: config.fastWorkers,
    slowWorkers: config.slowWorkers,
    slowRequest: config.slowRequest,
    cacheTimeMs: config.cacheTime,
    retentionMs: config.retention,
    jobTimeoutMs: config.jobTimeout,
    allowedHosts: config.allowedHosts,
    allowPrivateAddresses: config.allowPrivateHosts,
    // Known once listening when no public URL is configured (port 0 in tests).
    downloadBaseUrl: () => new URL('downloads/', publicUrl ?? 'http://localhost/').href,
    mailer,
    emailRetries: {
      maxAttempts: config.mailAttempts,
      maxAgeMs: config.mailMaxAge,
      retryDelayMs: config.mailRetryDelay,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    },
    emailFrom: config.mailFrom,
    templates: await loadEmailTemplates(config.templatesDir),
    anonymizeEmails: config.anonymizeEmails,
    ...(config.successMessage === undefined ? {} : { successMessage: config.successMessage }),
    build: {
      pageSize: config.pageSize,
      ckanTimeoutMs: config.ckanTimeout,
      urlTimeoutMs: config.urlTimeout,
      retries: config.retries,
      maxUrlBytes: config.maxUrlSize,
      zipLevel: config.zipLevel,
    },
    dwc: await loadDwcSettings(config.dwcConfig),
    logger,
  });
  const handle = await serveApp({
    logger,
    port: config.port,
    host: config.host,
    limits: httpLimits(config),
    bodyLimitBytes: 2 * 1024 * 1024,
    handlers: [packagerRoutes({ packager, secret }).router],
    formatError,
    closers: [() => mailer.close(), () => packager.close({ graceMs: 10_000 })],
  });
  publicUrl ??= `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : hostForUrl(config.host)}:${handle.port}/`;
  logger.info(
    { url: handle.url, publicUrl, dataDir: config.dataDir, mail: mailer.transport },
    'packager ready',
  );
  return Object.assign(handle, { packager, secret });
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

// Development without PACKAGER_SECRET: one random secret per data folder, kept in a file the
// operator (and the `ckanpackager` CLI, through -s) can read.
async function developmentSecret(dataDir: string, logger: Logger): Promise<string> {
  const file = join(dataDir, 'secret');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing !== '') return existing;
  } catch {
    // First start.
  }
  const secret = randomBytes(18).toString('base64url');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  logger.warn({ file }, 'PACKAGER_SECRET is not set: using a random secret kept in this file');
  return secret;
}
