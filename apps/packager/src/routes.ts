import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { deserializeError, UnauthorizedError } from '@geoworks/errors';
import { parseStatsQuery, type Packager, type TaskKind } from '@geoworks/packager';
import {
  type Api,
  createApi,
  type FormattedError,
  httpStatusFor,
  jsonResponse,
  type PublicError,
} from '@geoworks/service-kit';

export interface RouteOptions {
  packager: Packager;
  secret: string;
}

const formBody = (
  properties: Record<string, { type: string; description?: string }>,
  required: string[],
) => {
  const schema = {
    type: 'object',
    properties: { secret: { type: 'string' }, ...properties },
    required: ['secret', ...required],
  };
  return {
    required: true,
    content: {
      'application/x-www-form-urlencoded': { schema },
      'application/json': { schema },
    },
  };
};

const TASK_FIELDS = {
  resource_id: { type: 'string' },
  email: { type: 'string', description: 'Where the download link is sent' },
  key: { type: 'string', description: 'CKAN API key, sent as Authorization' },
  doi: { type: 'string' },
};
const DATASTORE_FIELDS = {
  ...TASK_FIELDS,
  api_url: { type: 'string', description: 'The CKAN datastore_search action URL' },
  filters: { type: 'string', description: 'JSON object, as datastore_search expects' },
  q: { type: 'string' },
  plain: { type: 'string' },
  language: { type: 'string' },
  limit: { type: 'integer' },
  offset: { type: 'integer' },
  fields: { type: 'string' },
  sort: { type: 'string' },
};

// The ckanpackager wire names of our error kinds.
const ERROR_NAMES: Record<number, string> = {
  400: 'BadRequestError',
  401: 'NotAuthorizedError',
  403: 'ForbiddenError',
  404: 'NotFoundError',
  413: 'RequestTooLargeError',
  415: 'UnsupportedMediaTypeError',
  503: 'ServiceUnavailableError',
};

function errorName(status: number): string {
  return ERROR_NAMES[status] ?? (status >= 500 ? 'InternalServerError' : 'RequestError');
}

/** ckanpackager's error body: `{"status": "failed", "error": <name>, "message": ...}`. */
export function formatError(
  _error: unknown,
  status: number,
  _req: Request,
  view: PublicError,
): FormattedError {
  return { body: { status: 'failed', error: errorName(status), message: view.message } };
}

/** A request's status in the wire style of the other answers (snake_case, ckanpackager's error names). */
async function requestStatusBody(
  packager: Packager,
  jobId: string,
): Promise<Record<string, unknown>> {
  const request = await packager.requestStatus(jobId);
  const failure = request.error === null ? null : deserializeError(request.error);
  const status = failure === null ? undefined : httpStatusFor(failure);
  const email = request.email;
  return {
    job_id: request.jobId,
    status: request.status,
    queue: request.queue,
    resource_id: request.resourceId,
    error:
      request.error === null
        ? null
        : { error: errorName(status!), status, message: request.error.message },
    email_status: email?.status ?? null,
    email_attempts: email?.attempts ?? 0,
    email_error: email?.error ?? null,
    email_next_attempt:
      email?.nextAttemptAt == null ? null : new Date(email.nextAttemptAt).toISOString(),
  };
}

function body(req: Request): Record<string, unknown> {
  return req.body !== null && typeof req.body === 'object'
    ? (req.body as Record<string, unknown>)
    : {};
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Every route but the downloads needs `secret`, compared in constant time. */
function requireSecret(secret: string): RequestHandler {
  const expected = digest(secret);
  return (req, _res, next) => {
    const given = body(req).secret;
    const ok = typeof given === 'string' && timingSafeEqual(digest(given), expected);
    next(ok ? undefined : new UnauthorizedError('Wrong/missing secret', { code: 'WRONG_SECRET' }));
  };
}

/** ckanpackager's routes (all POST, form-encoded or JSON) and the downloads. */
export function packagerRoutes(options: RouteOptions): Api {
  const { packager } = options;
  const api = createApi({
    documentPath: '/openapi.json',
    title: 'packager',
    version: '0.1.0',
    description:
      'A ckanpackager-compatible service: packs CKAN datastore resources and files as ZIP files and emails the download link.',
  });
  const auth = requireSecret(options.secret);
  // Every route behind the secret answers 401 without it; those that use the job queue answer
  // 503 while its Redis (PACKAGER_REDIS_URL) cannot be reached.
  const WRONG_SECRET = { '401': jsonResponse('Wrong or missing secret') };
  const QUEUE_UNAVAILABLE = {
    '503': jsonResponse('The job queue is unavailable (Redis down); retry after Retry-After'),
  };

  for (const path of ['/', '/status'] as const) {
    api.route({
      method: 'post',
      path,
      summary: 'Workers, queue lengths and processed requests',
      requestBody: formBody({}, []),
      responses: {
        '200': jsonResponse('{worker_count, queue_length, processed_requests, queues}'),
        ...WRONG_SECRET,
        ...QUEUE_UNAVAILABLE,
      },
      handler: [
        auth,
        async (_req, res) => {
          res.json(await packager.status());
        },
      ],
    });
  }

  api.route({
    method: 'post',
    path: '/status/:job_id',
    summary: 'One request: its job, then the email with its link (pending, sent or failed)',
    requestBody: formBody({}, []),
    responses: {
      '200': jsonResponse(
        '{job_id, status, queue, resource_id, error, email_status, email_attempts, email_error, email_next_attempt}',
      ),
      ...WRONG_SECRET,
      '404': jsonResponse('Unknown job id'),
      ...QUEUE_UNAVAILABLE,
    },
    handler: [
      auth,
      async (req, res) => {
        res.json(await requestStatusBody(packager, req.params.job_id));
      },
    ],
  });

  api.route({
    method: 'post',
    path: '/clear_caches',
    summary: 'Delete every cached zip',
    requestBody: formBody({}, []),
    responses: {
      '200': jsonResponse('{"status": "success", "message": "Done."}'),
      ...WRONG_SECRET,
    },
    handler: [
      auth,
      async (_req, res) => {
        await packager.clearCaches();
        res.json({ status: 'success', message: 'Done.' });
      },
    ],
  });

  const packageRoute = (
    path: string,
    kind: TaskKind,
    summary: string,
    fields: Record<string, { type: string }>,
    required: string[],
  ) =>
    api.route({
      method: 'post',
      path,
      summary,
      requestBody: formBody(fields, required),
      responses: {
        '200': jsonResponse('{"status": "success", "message": ..., "job_id": ...}'),
        '400': jsonResponse('A parameter is missing or bad'),
        ...WRONG_SECRET,
        '403': jsonResponse('A URL names a host outside PACKAGER_ALLOWED_HOSTS'),
        ...QUEUE_UNAVAILABLE,
      },
      handler: [
        auth,
        async (req, res) => {
          const submission = await packager.submit(kind, body(req));
          res.json({ status: 'success', message: submission.message, job_id: submission.jobId });
        },
      ],
    });
  packageRoute(
    '/package_datastore',
    'datastore',
    'Package datastore rows as CSV, TSV or XLSX',
    {
      ...DATASTORE_FIELDS,
      format: { type: 'string' },
    },
    ['resource_id', 'email', 'api_url'],
  );
  packageRoute(
    '/package_dwc_archive',
    'dwc',
    'Package datastore rows as a Darwin Core Archive',
    {
      ...DATASTORE_FIELDS,
      eml: { type: 'string' },
      for_gbif: { type: 'string' },
    },
    ['resource_id', 'email', 'api_url'],
  );
  packageRoute(
    '/package_url',
    'url',
    'Package a file',
    {
      ...TASK_FIELDS,
      resource_url: { type: 'string' },
    },
    ['resource_id', 'email', 'resource_url'],
  );

  api.route({
    method: 'post',
    path: '/statistics',
    summary: 'Requests, errors and distinct emails per resource; `*` is the grand total',
    requestBody: formBody({ resource_id: { type: 'string' } }, []),
    responses: {
      '200': jsonResponse('{"status": true, "totals": {...}}'),
      '400': jsonResponse('A parameter is bad'),
      ...WRONG_SECRET,
    },
    handler: [
      auth,
      (req, res) => {
        res.json({
          status: true,
          totals: packager.stats.totals(parseStatsQuery(body(req)).resourceId),
        });
      },
    ],
  });

  for (const list of ['requests', 'errors'] as const) {
    api.route({
      method: 'post',
      path: `/statistics/${list}`,
      summary: list === 'requests' ? 'Successful requests, newest first' : 'Errors, newest first',
      requestBody: formBody(
        {
          offset: { type: 'integer' },
          limit: { type: 'integer' },
          resource_id: { type: 'string' },
          email: { type: 'string' },
          ...(list === 'requests'
            ? { email_status: { type: 'string', description: 'pending, sent or failed' } }
            : {}),
        },
        [],
      ),
      responses: {
        '200': jsonResponse(`{"success": true, "${list}": [...]}`),
        '400': jsonResponse('A parameter is bad'),
        ...WRONG_SECRET,
      },
      handler: [
        auth,
        async (req, res) => {
          const query = parseStatsQuery(body(req));
          const entries =
            list === 'requests'
              ? await packager.stats.requests(query)
              : await packager.stats.errors(query);
          res.json({ success: true, [list]: entries });
        },
      ],
    });
  }

  api.route({
    method: 'get',
    path: '/downloads/:name',
    summary: 'Download a finished zip (the emailed link); 404 once it has expired',
    parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
    responses: {
      '200': {
        description: 'The zip',
        content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
      },
      '206': { description: 'A byte range of the zip' },
      '404': jsonResponse('Unknown or expired'),
    },
    handler: async (req, res, next) => {
      const stored = await packager.download(req.params.name);
      res.attachment(stored.name);
      res.sendFile(
        stored.path,
        {
          headers: {
            'Content-Type': 'application/zip',
            'X-Content-Type-Options': 'nosniff',
            Expires: stored.expiresAt.toUTCString(),
          },
          acceptRanges: true,
          lastModified: true,
          cacheControl: false,
        },
        (error) => {
          if (error !== undefined && !res.headersSent) next(error);
        },
      );
    },
  });

  return api;
}
