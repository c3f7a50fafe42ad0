import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface ListenOptions {
  /** 0 picks a free port (tests); the handle tells which. */
  port: number;
  /** Interface to bind; default all interfaces. */
  host?: string;
  logger?: Logger;
  /** How long `stop()` lets in-flight requests finish before closing them. Default 10 s. */
  stopTimeoutMs?: number;
  /**
   * Longest time to receive a whole request, body included; Node's default is 5 minutes, which
   * a large upload on a slow link can exceed. 0 means no limit.
   */
  requestTimeoutMs?: number;
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

  const server = createServer((req, res) => {
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      // Its keep-alive connection is idle now; while stopping, that means it can go.
      if (stopping !== undefined) setImmediate(() => server.closeIdleConnections());
    });
    if (stopping !== undefined) res.setHeader('Connection', 'close');
    app(req, res);
  });
  if (options.requestTimeoutMs !== undefined) server.requestTimeout = options.requestTimeoutMs;
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

function urlHost(address: AddressInfo): string {
  // Bound to every interface: loopback reaches it (IPv4 works on a dual-stack `::` socket too).
  if (address.address === '::' || address.address === '0.0.0.0') return '127.0.0.1';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}
