import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Accounts } from '@geoworks/accounts';
import { BUILT_IN_MODES, CalcEngine, type CalculationMode } from '@geoworks/calc-engine';
import { createMailer } from '@geoworks/mailer';
import {
  createLogger,
  loadConfig,
  mailTransportOptions,
  httpLimits,
  serveApp,
  withServiceDataDir,
  type Logger,
  type ServerHandle,
} from '@geoworks/service-kit';
import { accountsAuth, resolveActor } from './auth.js';
import { configSchema } from './config.js';
import { formatError } from './errors.js';
import { calcServerApi } from './routes/index.js';

export { configSchema } from './config.js';
export { ENGINE_VERSION } from './routes/index.js';

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
  const env = withServiceDataDir(options.env ?? process.env, 'CALC_SERVER_DATA_DIR', 'calc-server');
  const config = loadConfig(configSchema, env);
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'calc-server' });
  const incomingDir = join(config.dataDir, 'incoming');
  await mkdir(incomingDir, { recursive: true });
  const engine = await CalcEngine.open({
    dataDir: config.dataDir,
    modes: [...BUILT_IN_MODES, ...(options.extraModes ?? [])],
    concurrency: config.concurrency,
    maxWorkersPerJob: config.maxWorkersPerJob,
    maxWorkers: config.maxWorkers,
    ...(config.redisUrl === undefined
      ? {}
      : { redis: { url: config.redisUrl, namespace: 'calc-server' } }),
    lostJobCheckMs: config.lostJobCheck,
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
    loginThrottle: {
      maxFailuresPerUser: config.loginMaxFailures,
      maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
      windowMs: config.loginWindow,
    },
  });
  const auth = accountsAuth(accounts);
  const handle = await serveApp({
    logger,
    port: config.port,
    host: config.host,
    limits: httpLimits(config),
    corsOrigins: ['*'],
    handlers: [
      resolveActor(auth, config.lockdown),
      calcServerApi({
        engine,
        auth,
        mode: config.mode,
        defaultUser: config.defaultUser,
        uploads: { dir: incomingDir, maxFileBytes: config.maxUpload },
        dataDir: config.dataDir,
      }).router,
    ],
    formatError,
    closers: [() => engine.close(), () => accounts.close()],
  });
  logger.info(
    { url: handle.url, dataDir: config.dataDir, mode: config.mode, lockdown: config.lockdown },
    'calc-server ready',
  );
  return Object.assign(handle, { engine, accounts });
}
