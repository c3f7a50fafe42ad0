import { databasePath, FluxApi, FluxStore } from '@geoworks/flux-loader';
import {
  createLogger,
  loadConfig,
  httpLimits,
  serveApp,
  type Logger,
  type ServerHandle,
} from '@geoworks/service-kit';
import { configSchema } from './config.js';
import { fluxRoutes, formatError } from './routes.js';

export { configSchema } from './config.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** Starts flux-server on the flux database (shared with `flux-manage`, read without restarts). */
export async function start(
  options: StartOptions = {},
): Promise<ServerHandle & { store: FluxStore }> {
  const env = options.env ?? process.env;
  const config = loadConfig(configSchema, env);
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'flux-server' });
  const database = databasePath(env, config.database);
  const store = FluxStore.open(database, { maxQueryValues: config.maxAggregateValues });
  const handle = await serveApp({
    logger,
    port: config.port,
    host: config.host,
    limits: httpLimits(config),
    corsOrigins: config.corsOrigins,
    handlers: [fluxRoutes(new FluxApi(store)).router],
    formatError,
    closers: [() => store.close()],
  });
  logger.info({ url: handle.url, database }, 'flux-server ready');
  return Object.assign(handle, { store });
}
