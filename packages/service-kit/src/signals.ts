import type { Logger } from 'pino';
import { ConfigError } from '@geoworks/config';
import type { ServerHandle } from './listen.js';

export interface ShutdownSignalOptions {
  logger?: Logger;
  /** Passed to each `stop()`: how long in-flight requests may run on. Default 10 s. */
  timeoutMs?: number;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * On SIGTERM or SIGINT, stops every handle and exits: 0 when all stopped cleanly, 1 when a
 * closer failed. A second signal exits 1 at once (an operator pressing Ctrl-C twice means it),
 * and so does a shutdown still running after twice `timeoutMs` (a closer that never returns).
 * A service started with an IPC channel also stops when that channel closes.
 * Returns a function that removes the handlers.
 */
export function handleShutdownSignals(
  handles: readonly ServerHandle[],
  options: ShutdownSignalOptions = {},
): () => void {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let shuttingDown = false;

  const onSignal = (signal: NodeJS.Signals | 'disconnect') => {
    if (shuttingDown) {
      logger?.warn({ signal }, 'second signal during shutdown; exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    logger?.info({ signal }, 'shutting down');
    const watchdog = setTimeout(() => {
      logger?.error({ timeoutMs: 2 * timeoutMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, 2 * timeoutMs);
    watchdog.unref();
    void Promise.allSettled(handles.map((handle) => handle.stop({ timeoutMs }))).then((results) => {
      const failed = results.some((result) => result.status === 'rejected');
      logger?.info({ failed }, 'shutdown complete');
      process.exit(failed ? 1 : 0);
    });
  };

  // Started by a supervisor with an IPC channel (tools/start.mjs): if the supervisor dies
  // without a word, the channel closes and this service stops rather than live on orphaned.
  const onDisconnect = () => onSignal('disconnect');
  for (const signal of SIGNALS) process.on(signal, onSignal);
  if (process.send !== undefined) process.on('disconnect', onDisconnect);
  return () => {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('disconnect', onDisconnect);
  };
}

/**
 * A service's `main`: starts it, stops it cleanly on SIGTERM/SIGINT (see
 * `handleShutdownSignals`), and exits 2 with the message when the configuration is unusable
 * (so an operator sees every bad variable at once, without a stack trace).
 */
export async function runService(start: () => Promise<ServerHandle>): Promise<void> {
  // A signal during start-up must not kill the process the default way (no clean stop): it is
  // remembered, and acted on as soon as the service is up and the real handlers are in place.
  let early: NodeJS.Signals | undefined;
  const remember = (signal: NodeJS.Signals) => {
    early ??= signal;
  };
  for (const signal of SIGNALS) process.on(signal, remember);
  try {
    const handle = await start();
    handleShutdownSignals([handle]);
    if (early !== undefined) process.emit(early, early);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  } finally {
    for (const signal of SIGNALS) process.off(signal, remember);
  }
}
