import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Accounts } from '@geoworks/accounts';
import { BUILT_IN_MODES, CalcEngine, type CalculationMode } from '@geoworks/calc-engine';
import { createMailer } from '@geoworks/mailer';
import {
  createApp,
  createLogger,
  errorHandler,
  listen,
  loadConfig,
  mailTransportOptions,
  notFoundHandler,
  type Logger,
  type ServerHandle,
} from '@geoworks/service-kit';
import { accountsAuth, resolveActor } from './auth.js';
import { configSchema } from './config.js';
import { calcRoutes } from './routes.js';

export { configSchema } from './config.js';
export { ENGINE_VERSION } from './routes.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Calculation modes besides the built-in ones (plug-ins of an embedding application). */
  extraModes?: readonly CalculationMode[];
}

/** Starts the calculation server; `stop()` hands running jobs back and closes the databases. */
export async function start(
  options: StartOptions = {},
): Promise<ServerHandle & { engine: CalcEngine; accounts: Accounts }> {
  const env = { ...(options.env ?? process.env) };
  if (env.CALC_SERVER_DATA_DIR === undefined && env.GEOWORKS_DATA_DIR !== undefined) {
    env.CALC_SERVER_DATA_DIR = join(env.GEOWORKS_DATA_DIR, 'calc-server');
  }
  const config = loadConfig(configSchema, env);
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'calc-server' });
  const incomingDir = join(config.dataDir, 'incoming');
  await mkdir(incomingDir, { recursive: true });
  const engine = await CalcEngine.open({
    dataDir: config.dataDir,
    modes: [...BUILT_IN_MODES, ...(options.extraModes ?? [])],
    concurrency: config.concurrency,
    ...(config.redisUrl === undefined
      ? {}
      : { redis: { url: config.redisUrl, namespace: 'calc-server' } }),
    logger,
  });
  const mailer = createMailer({
    from: config.mailFrom,
    ...mailTransportOptions(config, join(config.dataDir, 'outbox')),
  });
  const accounts = await Accounts.open({
    file: join(config.dataDir, 'accounts.sqlite'),
    mailer,
    publicUrl: (config.publicUrl ?? `http://localhost:${config.port}`).replace(/\/$/, ''),
  });
  const auth = accountsAuth(accounts);
  const app = createApp({ logger, corsOrigins: ['*'] });
  app.use(resolveActor(auth, config.lockdown));
  app.use(
    calcRoutes({
      engine,
      auth,
      mode: config.mode,
      lockdown: config.lockdown,
      defaultUser: config.defaultUser,
      incomingDir,
      dataDir: config.dataDir,
      maxUploadBytes: config.maxUpload,
    }).router,
  );
  // OpenQuake's error bodies are JSON {"error": message}.
  const format = (_error: unknown, _status: number, _req: unknown, view: { message: string }) => ({
    body: { error: view.message },
  });
  app.use(notFoundHandler(), errorHandler({ logger, format }));
  const handle = await listen(app, {
    port: config.port,
    host: config.host,
    logger,
    requestTimeoutMs: 0,
  });
  handle.onStop(() => engine.close());
  handle.onStop(() => accounts.close());
  logger.info(
    { url: handle.url, dataDir: config.dataDir, mode: config.mode, lockdown: config.lockdown },
    'calc-server ready',
  );
  return Object.assign(handle, { engine, accounts });
}
