import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { createApp, type CreateAppOptions } from './app.js';
import {
  errorHandler,
  notFoundHandler,
  type ErrorFormatter,
  type StatusByKind,
} from './http-errors.js';
import type { HttpLimits, UploadLimits } from './http-limits.js';
import { listen, type Closer, type ListenOptions, type ServerHandle } from './listen.js';

export interface ServeAppOptions
  extends Omit<CreateAppOptions, 'logger'>, Omit<ListenOptions, 'logger'> {
  logger: Logger;
  /**
   * Timeouts and upload limits, as `httpLimits(config)` gives them from the `httpConfig` and
   * `uploadConfig` settings; what is not given keeps its default (`DEFAULT_HTTP_LIMITS`,
   * `DEFAULT_UPLOAD_LIMITS`). What is given directly (`requestTimeoutMs`, `uploadLimits`) wins.
   */
  limits?: Partial<HttpLimits & UploadLimits>;
  /** The service's middleware and routers, mounted in this order. */
  handlers: readonly RequestHandler[];
  /** How errors look on the wire; default the JSON error object (see `errorHandler`). */
  formatError?: ErrorFormatter;
  /** The app's statuses for some error kinds (see `StatusByKind`). */
  statusByKind?: StatusByKind;
  /**
   * What the service opened (queues, databases, mailers): released when the server stops, the
   * last first, and at once when the server cannot listen (a port in use), so that a failed
   * start leaves nothing running.
   */
  closers?: readonly Closer[];
}

/**
 * What every service's start does once its resources are open: `createApp`, the handlers,
 * `notFoundHandler` and `errorHandler`, then `listen`, with the closers tied to `stop()`.
 */
export async function serveApp(options: ServeAppOptions): Promise<ServerHandle> {
  const { logger, handlers, formatError, closers = [], limits = {} } = options;
  const { maxConcurrentUploads, minBytesPerSecond, rateWindowMs } = limits;
  const app = createApp({
    logger,
    ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
    ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }),
    uploadLimits: {
      ...definedOnly({ maxConcurrentUploads, minBytesPerSecond, rateWindowMs }),
      ...options.uploadLimits,
    },
  });
  for (const handler of handlers) app.use(handler);
  app.use(
    notFoundHandler(),
    errorHandler({
      logger,
      ...(formatError === undefined ? {} : { format: formatError }),
      ...(options.statusByKind === undefined ? {} : { statusByKind: options.statusByKind }),
    }),
  );
  let handle: ServerHandle;
  try {
    handle = await listen(app, {
      port: options.port,
      logger,
      ...definedOnly({
        host: options.host,
        stopTimeoutMs: options.stopTimeoutMs,
        headersTimeoutMs: options.headersTimeoutMs ?? limits.headersTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs ?? limits.requestTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs ?? limits.idleTimeoutMs,
      }),
    });
  } catch (error) {
    for (const closer of [...closers].reverse()) {
      try {
        await closer();
      } catch (closeError) {
        logger.error({ err: closeError }, 'a shutdown step failed after a failed start');
      }
    }
    throw error;
  }
  for (const closer of closers) handle.onStop(closer);
  return handle;
}

/** `object` without its undefined properties (options are exact: absent, not undefined). */
function definedOnly<T extends object>(object: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
