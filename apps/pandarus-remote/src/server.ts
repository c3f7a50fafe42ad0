import { join } from 'node:path';
import { PandarusService } from '@geoworks/pandarus-service';
import {
  createApp,
  createLogger,
  errorHandler,
  listen,
  loadConfig,
  notFoundHandler,
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
  const env = { ...(options.env ?? process.env) };
  // Under `npm start` every service shares one data directory, each in its own folder.
  if (env.PANDARUS_REMOTE_DATA_DIR === undefined && env.GEOWORKS_DATA_DIR !== undefined) {
    env.PANDARUS_REMOTE_DATA_DIR = join(env.GEOWORKS_DATA_DIR, 'pandarus-remote');
  }
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
    logger,
  });
  const app = createApp({ logger });
  app.use(pandarusRoutes(service, { maxUploadBytes: config.maxUpload }).router);
  // Plain-text errors, as the Flask original answers (clients look at the status code only).
  const format = (_error: unknown, _status: number, _req: unknown, view: { message: string }) => ({
    body: `${view.message}\n`,
    contentType: 'text/plain; charset=utf-8',
  });
  app.use(notFoundHandler(), errorHandler({ logger, format }));
  const handle = await listen(app, {
    port: config.port,
    host: config.host,
    logger,
    requestTimeoutMs: 0,
  });
  handle.onStop(() => service.close());
  logger.info({ url: handle.url, dataDir: config.dataDir }, 'pandarus-remote ready');
  return Object.assign(handle, { service });
}
