import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { UnauthorizedError } from '@geoworks/errors';
import { EMAIL_STATUSES, parseStatsQuery, type Packager, type TaskKind } from '@geoworks/packager';
import {
  type Api,
  createApi,
  jsonResponse,
  type JsonSchema,
  sendDownload,
} from '@geoworks/service-kit';
import { count, DATASTORE_FIELDS, formBody, TASK_FIELDS, text } from './schemas.js';
import { describeProblem, requestStatusBody } from './wire.js';

export { formatError } from './wire.js';

export interface RouteOptions {
  packager: Packager;
  secret: string;
}

/** The secret as posted, before the body is read against the route's schema. */
function postedSecret(req: Request): unknown {
  return req.body !== null && typeof req.body === 'object'
    ? (req.body as Record<string, unknown>).secret
    : undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Every route but the downloads needs `secret`, compared in constant time. */
function requireSecret(secret: string): RequestHandler {
  const expected = digest(secret);
  return (req, _res, next) => {
    const given = postedSecret(req);
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
    describeProblem,
    // The CKAN extension posts every parameter, empty ones as "".
    emptyFields: 'absent',
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
    fields: Record<string, JsonSchema>,
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
          const submission = await packager.submit(kind, req.body as Record<string, unknown>);
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
      format: text('format', 'csv, tsv or xlsx'),
    },
    ['resource_id', 'email', 'api_url'],
  );
  packageRoute(
    '/package_dwc_archive',
    'dwc',
    'Package datastore rows as a Darwin Core Archive',
    {
      ...DATASTORE_FIELDS,
      eml: text('eml', 'The EML template'),
      for_gbif: { type: 'boolean' },
    },
    ['resource_id', 'email', 'api_url'],
  );
  packageRoute(
    '/package_url',
    'url',
    'Package a file',
    {
      ...TASK_FIELDS,
      resource_url: text('resource_url'),
    },
    ['resource_id', 'email', 'resource_url'],
  );

  api.route({
    method: 'post',
    path: '/statistics',
    summary: 'Requests, errors and distinct emails per resource; `*` is the grand total',
    requestBody: formBody({ resource_id: text('resource_id') }, []),
    responses: {
      '200': jsonResponse('{"status": true, "totals": {...}}'),
      '400': jsonResponse('A parameter is bad'),
      ...WRONG_SECRET,
    },
    handler: [
      auth,
      (req, res) => {
        const { resourceId } = parseStatsQuery(req.body as Record<string, unknown>);
        res.json({ status: true, totals: packager.stats.totals(resourceId) });
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
          offset: count,
          // At most 10000 entries a page: the statistics store says so.
          limit: { ...count, description: 'Entries in the page, at most 10000' },
          resource_id: text('resource_id'),
          email: text('email'),
          ...(list === 'requests' ? { email_status: { enum: EMAIL_STATUSES } } : {}),
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
          const query = parseStatsQuery(req.body as Record<string, unknown>);
          const entries = await packager.stats[list](query);
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
      '416': jsonResponse('A byte range beyond the end of the zip'),
      '404': jsonResponse('Unknown or expired'),
    },
    handler: async (req, res) => {
      const stored = await packager.download(req.params.name);
      const headers = { Expires: stored.expiresAt.toUTCString() };
      await sendDownload(res, stored.path, { name: stored.name, type: 'application/zip', headers });
    },
  });

  return api;
}
