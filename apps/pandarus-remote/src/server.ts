import { PandarusService } from '@geoworks/pandarus-service';
import {
  createLogger,
  loadConfig,
  httpLimits,
  serveApp,
  withServiceDataDir,
  type Logger,
  type ServerHandle,
} from '@geoworks/service-kit';
import { configSchema } from './config.js';
import { pandarusRoutes } from './routes.js';

export { configSchema } from './config.js';

export interface StartOptions {
  /** Environment to read the configuration from; default process.env. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/**
 * Starts the service: configuration from the environment, the catalog and job queue under the
 * data directory, HTTP on the configured port (0 in tests). `stop()` finishes in-flight
 * requests, hands running jobs back and closes the databases.
 */
export async function start(
  options: StartOptions = {},
): Promise<ServerHandle & { service: PandarusService }> {
  const env = withServiceDataDir(
    options.env ?? process.env,
    'PANDARUS_REMOTE_DATA_DIR',
    'pandarus-remote',
  );
  const config = loadConfig(configSchema, env);
  const logger =
    options.logger ?? createLogger({ level: config.logLevel, name: 'pandarus-remote' });
  const service = await PandarusService.open({
    dataDir: config.dataDir,
    ...(config.cpus === undefined ? {} : { cpus: config.cpus }),
    exportFormat: config.exportFormat,
    rasterRule: config.rasterRule,
    compress: config.compress,
    concurrency: config.concurrency,
    ...(config.redisUrl === undefined
      ? {}
      : { redis: { url: config.redisUrl, namespace: 'pandarus-remote' } }),
    lostJobCheckMs: config.lostJobCheck,
    logger,
  });
  const handle = await serveApp({
    logger,
    port: config.port,
    host: config.host,
    limits: httpLimits(config),
    handlers: [pandarusRoutes(service, { maxUploadBytes: config.maxUpload }).router],
    // pandarus_remote answers 406 for input it cannot use (a hash that does not match, a file
    // that is no dataset, datasets of the wrong kind); a malformed request stays a 400.
    statusByKind: { 'invalid-input': 406 },
    // Plain-text errors, as the Flask original answers (clients look at the status code only).
    formatError: (_error, _status, _req, view) => ({
      body: `${view.message}\n`,
      contentType: 'text/plain; charset=utf-8',
    }),
    closers: [() => service.close()],
  });
  logger.info({ url: handle.url, dataDir: config.dataDir }, 'pandarus-remote ready');
  return Object.assign(handle, { service });
}
