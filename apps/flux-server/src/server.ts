import { join } from 'node:path';
import { FluxService } from '@geoworks/flux-service';
import { FluxStore } from '@geoworks/flux-store';
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
import { fluxRoutes } from './routes.js';
import { formatError } from './wire.js';

export { configSchema } from './config.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** Starts flux-server on the flux database (shared with `flux-manage`, read without restarts). */
export async function start(
  options: StartOptions = {},
): Promise<ServerHandle & { store: FluxStore }> {
  const given = options.env ?? process.env;
  // flux-manage takes a blank FLUX_DB for an unset one: both must open the same file.
  const blank = given.FLUX_DB?.trim() === '';
  const env = withServiceDataDir(
    blank ? { ...given, FLUX_DB: undefined } : given,
    'FLUX_DB',
    join('flux', 'flux.sqlite'),
  );
  const config = loadConfig(configSchema, env);
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'flux-server' });
  const database = config.database;
  const store = FluxStore.open(database, { maxQueryValues: config.maxAggregateValues });
  const handle = await serveApp({
    logger,
    port: config.port,
    host: config.host,
    limits: httpLimits(config),
    corsOrigins: config.corsOrigins,
    handlers: [fluxRoutes(new FluxService(store)).router],
    formatError,
    closers: [() => store.close()],
  });
  logger.info({ url: handle.url, database }, 'flux-server ready');
  return Object.assign(handle, { store });
}
