import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { UploadLimits } from './http-limits.js';
import { requestLogger } from './logger.js';
import { uploadLimits } from './uploads.js';

export interface CreateAppOptions {
  logger: Logger;
  /** Largest JSON or URL-encoded body, in bytes; a larger one is a 413. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Origins whose browser pages may call the service (`*` for any). Default none: no CORS. */
  corsOrigins?: readonly string[];
  /** What `receiveUploads` enforces for this app's uploads; default `DEFAULT_UPLOAD_LIMITS`. */
  uploadLimits?: Partial<UploadLimits>;
}

/**
 * An Express app with what every service starts with: no `X-Powered-By`, `requestLogger`, CORS
 * when asked, JSON and URL-encoded body parsers with a size limit, and one set of upload limits
 * (uploads at once, minimum rate) for its `receiveUploads` calls. Add routes, then
 * `notFoundHandler()` and `errorHandler()` last.
 */
export function createApp(options: CreateAppOptions): Express {
  const limit = options.bodyLimitBytes ?? 1024 * 1024;
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogger(options.logger));
  app.use(uploadLimits(options.uploadLimits));
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    app.use(cors(options.corsOrigins));
  }
  app.use(express.json({ limit }));
  app.use(express.urlencoded({ extended: false, limit }));
  return app;
}

const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';

/** Simple CORS without credentials: enough for browser clients of public services. */
function cors(origins: readonly string[]): RequestHandler {
  const anyOrigin = origins.includes('*');
  return (req, res, next) => {
    // The answer depends on the Origin header, so caches must keep one copy per origin.
    if (!anyOrigin) res.vary('Origin');
    const origin = req.headers.origin;
    // `*` holds whoever asks: said on every answer, as a cache may serve it to any origin.
    if (!anyOrigin && (origin === undefined || !origins.includes(origin))) {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin!);
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id');
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'];
    if (!preflight) {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    const headers = req.headers['access-control-request-headers'];
    if (headers !== undefined) res.setHeader('Access-Control-Allow-Headers', headers);
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}
