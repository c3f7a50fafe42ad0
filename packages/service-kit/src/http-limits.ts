/**
 * How long a client may take, and how many uploads run at once: what keeps slow or idle
 * clients (slow-loris) from holding a service's connections, disk and memory.
 */
export interface HttpLimits {
  /** Longest wait for a request's headers; Node then answers 408 and closes. */
  headersTimeoutMs: number;
  /** Longest wait for a whole request, body included (408 and closed); 0: no limit. */
  requestTimeoutMs: number;
  /** How long a keep-alive connection may wait for its next request. */
  idleTimeoutMs: number;
}

/** What `receiveUploads` enforces, for all the uploads of one service. */
export interface UploadLimits {
  /** Uploads received at once; one more is answered 503 with Retry-After. */
  maxConcurrentUploads: number;
  /**
   * An upload body that brings fewer bytes than this per second over a whole `rateWindowMs`
   * is cut: 408, its partial files deleted, the connection closed. 0: no minimum.
   */
  minBytesPerSecond: number;
  rateWindowMs: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 5 * 60_000,
  idleTimeoutMs: 5_000,
};

export const DEFAULT_UPLOAD_LIMITS: Readonly<UploadLimits> = {
  maxConcurrentUploads: 8,
  minBytesPerSecond: 1024,
  rateWindowMs: 30_000,
};

/**
 * The header, request and idle timeouts of a service, as environment variables
 * `<PREFIX>_HEADERS_TIMEOUT`, `<PREFIX>_REQUEST_TIMEOUT` and `<PREFIX>_IDLE_TIMEOUT`, to spread
 * into its `defineConfig` schema; `httpLimits(config)` turns the values into `serveApp`'s
 * `limits`. A service taking large uploads raises `requestTimeout` (the default is Node's 5m).
 */
export function httpConfig(prefix: string, defaults: { requestTimeout?: string } = {}) {
  return {
    headersTimeout: {
      env: `${prefix}_HEADERS_TIMEOUT`,
      type: 'duration',
      default: '30s',
      min: '1ms',
      description: 'Longest wait for the headers of a request (then 408, connection closed)',
    },
    requestTimeout: {
      env: `${prefix}_REQUEST_TIMEOUT`,
      type: 'duration',
      default: defaults.requestTimeout ?? '5m',
      min: '0ms',
      description:
        'Longest wait for a whole request, body included (then 408, connection closed); 0ms: none',
    },
    idleTimeout: {
      env: `${prefix}_IDLE_TIMEOUT`,
      type: 'duration',
      default: '5s',
      min: '1ms',
      description: 'How long a keep-alive connection may wait for its next request',
    },
  } as const;
}

/**
 * The upload limits of a service taking files, as `<PREFIX>_CONCURRENT_UPLOADS`,
 * `<PREFIX>_UPLOAD_MIN_RATE` and `<PREFIX>_UPLOAD_RATE_WINDOW`, for its `defineConfig` schema.
 */
export function uploadConfig(prefix: string) {
  return {
    concurrentUploads: {
      env: `${prefix}_CONCURRENT_UPLOADS`,
      type: 'integer',
      default: 8,
      min: 1,
      max: 10_000,
      description: 'Uploads received at once; one more is answered 503 with Retry-After',
    },
    uploadMinRate: {
      env: `${prefix}_UPLOAD_MIN_RATE`,
      type: 'bytes',
      default: '1KiB',
      description:
        'Bytes per second an upload must bring over each rate window, else it is cut (408, partial files deleted); 0: no minimum',
    },
    uploadRateWindow: {
      env: `${prefix}_UPLOAD_RATE_WINDOW`,
      type: 'duration',
      default: '30s',
      min: '10ms',
      description: 'The window the upload rate is measured over',
    },
  } as const;
}

/** `serveApp`'s `limits` from the values of `httpConfig` and `uploadConfig` fields. */
export function httpLimits(config: {
  readonly headersTimeout?: number;
  readonly requestTimeout?: number;
  readonly idleTimeout?: number;
  readonly concurrentUploads?: number;
  readonly uploadMinRate?: number;
  readonly uploadRateWindow?: number;
}): Partial<HttpLimits & UploadLimits> {
  const pairs: [keyof (HttpLimits & UploadLimits), number | undefined][] = [
    ['headersTimeoutMs', config.headersTimeout],
    ['requestTimeoutMs', config.requestTimeout],
    ['idleTimeoutMs', config.idleTimeout],
    ['maxConcurrentUploads', config.concurrentUploads],
    ['minBytesPerSecond', config.uploadMinRate],
    ['rateWindowMs', config.uploadRateWindow],
  ];
  return Object.fromEntries(pairs.filter(([, value]) => value !== undefined));
}
