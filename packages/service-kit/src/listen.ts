import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidInputError } from '@geoworks/errors';
import type { Logger } from 'pino';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits.js';

export interface ListenOptions {
  /** 0 picks a free port (tests); the handle tells which. */
  port: number;
  /** Interface to bind; default all interfaces. */
  host?: string;
  logger?: Logger;
  /** How long `stop()` lets in-flight requests finish before closing them. Default 10 s. */
  stopTimeoutMs?: number;
  /** Longest wait for a request's headers (408, closed). Default 30 s. */
  headersTimeoutMs?: number;
  /**
   * Longest time to receive a whole request, body included (408, closed); default 5 minutes,
   * which a large upload on a slow link can exceed. 0 means no limit.
   */
  requestTimeoutMs?: number;
  /** How long a keep-alive connection may wait for its next request. Default 5 s. */
  idleTimeoutMs?: number;
}

/** Something to release when the server stops: a queue, a database, a temporary directory. */
export type Closer = () => unknown;

export interface ServerHandle {
  readonly server: Server;
  /** `http://host:port/` with the real port; loopback when bound to all interfaces. */
  readonly url: string;
  readonly port: number;
  /** Registers a closer; closers run after the last request, the last registered first. */
  onStop(closer: Closer): void;
  /**
   * Stops accepting connections, closes idle keep-alive connections, lets in-flight requests
   * finish for up to `timeoutMs` and then closes them, then runs the closers. A failing closer
   * is logged and does not stop the others; if any failed, the promise rejects (with an
   * `AggregateError`) once all have run. Calling it again returns the same promise.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

/** Starts `app` on an HTTP server and resolves once it is listening. */
export async function listen(app: RequestListener, options: ListenOptions): Promise<ServerHandle> {
  const logger = options.logger;
  const inFlight = new Set<ServerResponse>();
  let stopping: Promise<void> | undefined;

  const timeouts = checkedTimeouts(options);
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.idleTimeoutMs,
      // Node looks for late headers and bodies this often (30 s by default): often enough
      // for the shortest timeout to be kept to within a quarter of it.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(
          30_000,
          Math.floor(
            Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs || Infinity) / 4,
          ),
        ),
      ),
    },
    (req, res) => {
      inFlight.add(res);
      res.once('close', () => {
        inFlight.delete(res);
        // Its keep-alive connection is idle now; while stopping, that means it can go.
        if (stopping !== undefined) setImmediate(() => server.closeIdleConnections());
      });
      if (stopping !== undefined) res.setHeader('Connection', 'close');
      app(req, res);
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  const url = `http://${urlHost(address)}:${address.port}/`;
  const closers: Closer[] = [];
  logger?.info({ url }, 'listening');

  const stop = async (timeoutMs: number): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Responses not started yet tell their client not to reuse the connection.
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    const timer = setTimeout(() => {
      logger?.warn(
        { inFlight: inFlight.size, timeoutMs },
        'requests still running at the stop timeout; closing their connections',
      );
      server.closeAllConnections();
    }, timeoutMs);
    await closed;
    clearTimeout(timer);

    const failures: unknown[] = [];
    for (const closer of [...closers].reverse()) {
      try {
        await closer();
      } catch (error) {
        logger?.error({ err: error }, 'a shutdown step failed');
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, `${failures.length} shutdown step(s) failed`);
    }
    logger?.info({ url }, 'stopped');
  };

  return {
    server,
    url,
    port: address.port,
    onStop: (closer) => {
      closers.push(closer);
    },
    stop: (stopOptions = {}) => {
      stopping ??= stop(stopOptions.timeoutMs ?? options.stopTimeoutMs ?? 10_000);
      return stopping;
    },
  };
}

function checkedTimeouts(options: ListenOptions): HttpLimits {
  const timeouts = {
    headersTimeoutMs: options.headersTimeoutMs ?? DEFAULT_HTTP_LIMITS.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_HTTP_LIMITS.requestTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_HTTP_LIMITS.idleTimeoutMs,
  };
  const problems = Object.entries(timeouts)
    .filter(
      ([name, value]) =>
        !(Number.isSafeInteger(value) && value >= (name === 'requestTimeoutMs' ? 0 : 1)),
    )
    .map(([name, value]) => `${name} must be a whole number of milliseconds, not ${value}`);
  if (timeouts.requestTimeoutMs > 0 && timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) {
    problems.push(
      `headersTimeoutMs (${timeouts.headersTimeoutMs}) must not be longer than requestTimeoutMs (${timeouts.requestTimeoutMs})`,
    );
  }
  if (problems.length > 0)
    throw new InvalidInputError(`listen: ${problems.join('; ')}`, { code: 'BAD_TIMEOUTS' });
  return timeouts;
}

function urlHost(address: AddressInfo): string {
  // Bound to every interface: loopback reaches it (IPv4 works on a dual-stack `::` socket too).
  if (address.address === '::' || address.address === '0.0.0.0') return '127.0.0.1';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}
