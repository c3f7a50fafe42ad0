import { databasePath, FluxApi, FluxStore } from '@geoworks/flux-loader';
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
  const routes = fluxRoutes(new FluxApi(store));
  const app = createApp({ logger, corsOrigins: config.corsOrigins });
  app.use(routes.router);
  app.use(notFoundHandler(), errorHandler({ logger, format: formatError }));
  let handle: ServerHandle;
  try {
    handle = await listen(app, { port: config.port, host: config.host, logger });
  } catch (error) {
    store.close();
    throw error;
  }
  handle.onStop(() => store.close());
  logger.info({ url: handle.url, database }, 'flux-server ready');
  return Object.assign(handle, { store });
}
