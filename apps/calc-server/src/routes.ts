import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Request, RequestHandler, Response } from 'express';
import { ZipArchive } from 'archiver';
import {
  JobSubmitError,
  onSameFileSystem,
  validateXml,
  type Actor,
  type CalcEngine,
} from '@geoworks/calc-engine';
import { InvalidInputError, NotFoundError } from '@geoworks/errors';
import {
  type Api,
  binaryResponse,
  createApi,
  jsonResponse,
  receiveUploads,
  textResponse,
} from '@geoworks/service-kit';
import type { Auth } from './auth.js';
import { jobInfo, listItem, logRow, parseSlice } from './format.js';

export const ENGINE_VERSION = '3.23.0+geoworks.0.1.0';

export interface RouteOptions {
  engine: CalcEngine;
  auth: Auth;
  mode: 'PUBLIC' | 'READ_ONLY';
  lockdown: boolean;
  defaultUser: string;
  incomingDir: string;
  dataDir: string;
  maxUploadBytes: number;
}

// Decimal integers only: service-kit sends any other spelling (`1e0`, `0x1`) on to a 404.
const idParameter = {
  name: 'id',
  in: 'path' as const,
  required: true,
  schema: { type: 'integer', minimum: 0 },
  description: 'Job id',
};

/** Routes that read or change the job queue answer 503 while its Redis cannot be reached. */
const QUEUE_UNAVAILABLE = {
  '503': jsonResponse('The job queue is unavailable (Redis down); retry after Retry-After'),
};

/** Routes that receive uploads cut the ones that come slower than the minimum rate. */
const SLOW_UPLOAD = {
  '408': jsonResponse('The upload came slower than the minimum rate, and was cut'),
};

/** Write routes do not exist in READ_ONLY mode. */
const READ_ONLY = { '404': jsonResponse('Not available in READ_ONLY mode') };

/** The `:id` of the path, already checked against idParameter. */
function jobId(req: Request): number {
  return Number(req.params.id);
}

function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** The OpenQuake engine server's routes, each with its OpenAPI description. */
export function calcRoutes(options: RouteOptions): Api {
  const { engine, auth } = options;
  const api = createApi({
    documentPath: '/openapi.json',
    title: 'calc-server',
    version: ENGINE_VERSION,
    description:
      'An OpenQuake engine server compatible REST API whose calculations are geoworks computations: intersection, remaining_areas and raster_stats.',
  });

  /** Who makes the request: the session's user, or the default user when lockdown is off. */
  const actorOf = (req: Request): Actor | undefined => (req as Request & { actor?: Actor }).actor;
  const ownerOf = (req: Request) => actorOf(req)?.name ?? options.defaultUser;

  /** In READ_ONLY mode the write routes do not exist (404), as OpenQuake's URL conf. */
  const writable: RequestHandler = (_req, _res, next) => {
    if (options.mode === 'READ_ONLY') next(new NotFoundError('Not available in READ_ONLY mode'));
    else next();
  };

  api.route({
    method: 'get',
    path: '/v1/calc/list',
    summary: 'Calculations, newest first',
    parameters: [
      { name: 'calculation_mode', in: 'query', schema: { type: 'string' } },
      { name: 'is_running', in: 'query', schema: { type: 'boolean' } },
      {
        name: 'start_time',
        in: 'query',
        schema: { type: 'string', format: 'date-time' },
        description: 'Jobs started at or after',
      },
      {
        name: 'limit',
        in: 'query',
        schema: { type: 'integer', default: 100, minimum: 0, maximum: 100_000 },
      },
      { name: 'offset', in: 'query', schema: { type: 'integer', default: 0, minimum: 0 } },
    ],
    responses: { '200': jsonResponse('List items'), '400': jsonResponse('A bad filter') },
    handler: (req, res) => {
      // Single values of the declared types: service-kit checked them against the declaration.
      const query = req.query as Record<string, string | undefined>;
      const limit = Number(query.limit ?? 100);
      const offset = Number(query.offset ?? 0);
      let startTime: Date | undefined;
      if (query.start_time !== undefined) {
        startTime = new Date(query.start_time);
        if (Number.isNaN(startTime.getTime()))
          throw new InvalidInputError(`start_time must be an ISO date, not "${query.start_time}"`);
      }
      const isRunning =
        query.is_running === undefined ? undefined : /^(true|1)$/i.test(query.is_running);
      const jobs = engine.list(
        {
          ...(query.calculation_mode === undefined
            ? {}
            : { calculationMode: query.calculation_mode }),
          ...(isRunning === undefined ? {} : { isRunning }),
          ...(startTime === undefined ? {} : { startTime }),
          limit,
          offset,
        },
        actorOf(req),
      );
      const base = baseUrl(req);
      res.json(jobs.map((job) => listItem(engine, job, base)));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/result/:id',
    summary: 'Download an output in an export type',
    parameters: [
      { ...idParameter, description: 'Output id' },
      {
        name: 'export_type',
        in: 'query',
        required: true,
        // Not an enum: an unknown type is OpenQuake's 404 "Nothing to export", not a 400.
        schema: { type: 'string' },
        description: "One of the output's outtypes: json, csv, geojson or gpkg",
      },
    ],
    responses: {
      '200': binaryResponse('The export (zipped when several files)'),
      '403': jsonResponse('Not yours'),
      '404': textResponse('Nothing to export for export_type=X'),
    },
    handler: async (req, res) => {
      const outputId = jobId(req);
      const exportType = String(req.query.export_type);
      const { output, files } = engine.exportFiles(outputId, exportType, actorOf(req));
      const name = `output-${output.id}-${output.key}`;
      if (files.length === 1) {
        const file = files[0]!;
        await sendFile(req, res, file, `${name}.${exportType}`);
      } else {
        res.setHeader('Content-Type', 'application/zip');
        res.setHeader('Content-Disposition', `attachment; filename=${name}.zip`);
        if (req.method === 'HEAD') {
          res.end();
          return;
        }
        const archive = new ZipArchive();
        archive.pipe(res);
        for (const file of files) archive.file(file, { name: basename(file) });
        await archive.finalize();
      }
    },
  });
  // HEAD shares the GET handler (Express answers HEAD with GET routes, without a body).

  api.route({
    method: 'get',
    path: '/v1/calc/:id/status',
    summary: 'One list item',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('The list item'),
      '403': jsonResponse('Not yours'),
      '404': jsonResponse('Unknown job'),
    },
    handler: (req, res) => {
      res.json(listItem(engine, engine.job(jobId(req), actorOf(req)), baseUrl(req)));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id',
    summary: 'Owner, status and times of a job',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('{user_name, status, start_time, stop_time, is_running}'),
      '403': jsonResponse('Not yours'),
      '404': jsonResponse('Unknown job'),
    },
    handler: (req, res) => {
      res.json(jobInfo(engine, engine.job(jobId(req), actorOf(req))));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id/traceback',
    summary: 'The last CRITICAL log message, as lines',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('Lines; [] when the job did not fail'),
      '403': jsonResponse('Not yours'),
      '404': jsonResponse('Unknown job'),
      ...QUEUE_UNAVAILABLE,
    },
    handler: async (req, res) => {
      res.json(await engine.traceback(jobId(req), actorOf(req)));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id/log/size',
    summary: 'Number of log rows so far',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('A bare integer'),
      '403': jsonResponse('Not yours'),
      ...QUEUE_UNAVAILABLE,
    },
    handler: async (req, res) => {
      res.json(await engine.logSize(jobId(req), actorOf(req)));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id/log/:slice',
    openApiPath: '/v1/calc/{id}/log/{start}:{stop}',
    summary: 'Log rows start (inclusive) to stop (exclusive); empty bounds: from 0, to the end',
    parameters: [
      idParameter,
      {
        name: 'start',
        in: 'path',
        required: true,
        schema: { type: 'string' },
        description: 'First row, or empty',
      },
      {
        name: 'stop',
        in: 'path',
        required: true,
        schema: { type: 'string' },
        description: 'Row to stop before, or empty',
      },
    ],
    responses: {
      '200': jsonResponse('[[timestamp, level, process, message], ...]; [] for an unknown job'),
      '400': jsonResponse('The slice is not <start>:<stop>'),
      ...QUEUE_UNAVAILABLE,
      '403': jsonResponse('Not yours'),
    },
    handler: async (req, res) => {
      const slice = parseSlice(String(req.params.slice));
      if (slice === null)
        throw new InvalidInputError('The log slice must be <start>:<stop>, with optional bounds');
      res.json((await engine.logs(jobId(req), slice.start, slice.stop, actorOf(req))).map(logRow));
    },
  });

  for (const path of ['/v1/calc/:id/results', '/v1/calc/:id/result/list']) {
    api.route({
      method: 'get',
      path,
      summary: 'Outputs of a job',
      parameters: [idParameter],
      responses: {
        '200': jsonResponse('[{id, name, type, outtypes, url, size_mb}]'),
        '403': jsonResponse('Not yours'),
        '404': jsonResponse('No outputs'),
      },
      handler: (req, res) => {
        const id = jobId(req);
        const outputs = engine.results(id, actorOf(req));
        if (outputs.length === 0) throw new NotFoundError(`Job ${id} has no outputs`);
        const base = baseUrl(req);
        res.json(
          outputs.map((output) => ({
            id: output.id,
            name: output.name,
            type: output.key,
            outtypes: output.exportTypes,
            url: `${base}/v1/calc/result/${output.id}`,
            size_mb: output.sizeMb,
          })),
        );
      },
    });
  }

  api.route({
    method: 'get',
    path: '/v1/calc/:id/extract/:what',
    summary:
      'An object as .npz (oqparam: the parameters as JSON under `json`; an output: its table under `array`)',
    parameters: [
      idParameter,
      { name: 'what', in: 'path', required: true, schema: { type: 'string' } },
    ],
    responses: {
      '200': binaryResponse('A .npz file'),
      '403': jsonResponse('Not yours'),
      '404': jsonResponse('Unknown job or object'),
    },
    handler: async (req, res) => {
      const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
      const npz = await engine.extract(jobId(req), String(req.params.what), query, actorOf(req));
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Disposition', `attachment; filename=${String(req.params.what)}.npz`);
      res.setHeader('Content-Length', String(npz.length));
      res.end(req.method === 'HEAD' ? undefined : npz);
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id/datastore',
    summary: "The job's datastore (a GeoPackage), once the job is complete",
    parameters: [idParameter],
    responses: {
      '200': binaryResponse('calc_<id>.gpkg'),
      '403': jsonResponse('Not yours'),
      '404': jsonResponse('Unknown job, or not complete'),
    },
    handler: async (req, res) => {
      const id = jobId(req);
      await sendFile(req, res, engine.datastore(id, actorOf(req)), `calc_${id}.gpkg`);
    },
  });

  api.route({
    method: 'post',
    path: '/v1/calc/:id/abort',
    summary: 'Abort a running job (SIGINT to its process); answers {error} or {success}',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('{"success": "Killing job N"} or {"error": ...}'),
      '403': jsonResponse('Not yours'),
      ...READ_ONLY,
      ...QUEUE_UNAVAILABLE,
    },
    handler: [
      writable,
      async (req, res) => {
        res.json(await engine.abort(jobId(req), actorOf(req)));
      },
    ],
  });

  api.route({
    method: 'post',
    path: '/v1/calc/:id/remove',
    summary: 'Remove a job and its files (refused while other jobs use it as parent)',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('{"success": "N"}'),
      '403': jsonResponse('{"error": ...}'),
      '404': jsonResponse('Unknown job, or READ_ONLY mode'),
      ...QUEUE_UNAVAILABLE,
    },
    handler: [
      writable,
      async (req, res) => {
        res.json(await engine.remove(jobId(req), actorOf(req)));
      },
    ],
  });

  api.route({
    method: 'post',
    path: '/v1/calc/run',
    summary: 'Run a calculation: a job.zip in `archive`, or the job.ini and its inputs',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: {
              archive: { type: 'string', format: 'binary' },
              job_ini: {
                type: 'string',
                description: 'Which .ini to run (default: job.ini, else the first)',
              },
              hazard_job_id: { type: 'integer', description: 'The parent job' },
            },
          },
        },
      },
    },
    responses: {
      '200': jsonResponse('{"status": "created", "job_id": N}'),
      ...SLOW_UPLOAD,
      ...READ_ONLY,
      '500': jsonResponse('{"traceback": [...], "job_id": N}'),
      ...QUEUE_UNAVAILABLE,
    },
    handler: [
      writable,
      async (req, res) => {
        const { fields, files } = await receiveUploads(req, {
          dir: options.incomingDir,
          maxFileBytes: options.maxUploadBytes,
          maxFiles: 1000,
          maxFields: 20,
        });
        try {
          const parentText =
            typeof fields.hazard_job_id === 'string' ? fields.hazard_job_id.trim() : '';
          const parentId = parentText === '' ? null : Number(parentText);
          if (parentId !== null && !(/^\d+$/.test(parentText) && Number.isSafeInteger(parentId)))
            throw new InvalidInputError(
              `hazard_job_id must be a job id (a decimal integer), not ${JSON.stringify(parentText)}`,
            );
          const archive = files.find((file) => file.field === 'archive');
          const jobIni =
            typeof fields.job_ini === 'string' && fields.job_ini !== ''
              ? fields.job_ini
              : undefined;
          const { jobId: id } = await engine.submit({
            owner: ownerOf(req),
            ...(archive === undefined
              ? { files: files.map((file) => ({ name: file.originalName, path: file.path })) }
              : { archive: archive.path }),
            ...(jobIni === undefined ? {} : { jobIni }),
            parentId,
            ...(actorOf(req) === undefined ? {} : { actor: actorOf(req) }),
          });
          res.json({ status: 'created', job_id: id });
        } catch (error) {
          if (!(error instanceof JobSubmitError)) throw error;
          res.status(500).json({ traceback: error.traceback, job_id: error.jobId });
        } finally {
          await Promise.all(files.map((file) => rm(file.path, { force: true })));
        }
      },
    ],
  });

  api.route({
    method: 'post',
    path: '/v1/calc/validate_zip',
    summary: 'Would this job.zip run?',
    responses: {
      '200': jsonResponse('{valid, error_msg, error_line}'),
      '400': textResponse('Missing archive file'),
      ...SLOW_UPLOAD,
      ...READ_ONLY,
    },
    handler: [
      writable,
      async (req, res) => {
        const { files } = await receiveUploads(req, {
          dir: options.incomingDir,
          maxFileBytes: options.maxUploadBytes,
          maxFiles: 5,
          maxFields: 10,
        });
        try {
          const archive = files.find((file) => file.field === 'archive');
          if (archive === undefined) {
            res.status(400).type('text/plain').send('Missing archive file');
            return;
          }
          res.json(await engine.validateArchive(archive.path));
        } finally {
          await Promise.all(files.map((file) => rm(file.path, { force: true })));
        }
      },
    ],
  });

  api.route({
    method: 'post',
    path: '/v1/valid/',
    summary: 'Is this XML well-formed NRML? Errors carry their line',
    responses: {
      '200': jsonResponse('{valid, error_msg, error_line}'),
      '400': textResponse('Please provide the "xml_text" parameter'),
    },
    handler: (req, res) => {
      const xml = formField(req, 'xml_text');
      if (xml === undefined) {
        res.status(400).type('text/plain').send('Please provide the "xml_text" parameter');
        return;
      }
      res.json(validateXml(xml));
    },
  });

  api.route({
    method: 'post',
    path: '/v1/on_same_fs',
    summary:
      "Does the server see this file with the same first 32 bytes (adler32)? Only files under the server's data directory are looked at",
    responses: { '200': jsonResponse('{"success": boolean}') },
    handler: async (req, res) => {
      const filename = formField(req, 'filename') ?? '';
      const checksum = Number(formField(req, 'checksum'));
      res.json({ success: await onSameFileSystem(filename, checksum, options.dataDir) });
    },
  });

  api.route({
    method: 'get',
    path: '/v1/ini_defaults',
    summary: 'Default values of job.ini parameters, across calculation modes',
    responses: { '200': jsonResponse('{param: default}') },
    handler: (_req, res) => {
      res.json(engine.iniDefaults());
    },
  });

  api.route({
    method: 'get',
    path: '/v1/engine_version',
    summary: 'The server version',
    responses: { '200': textResponse('The version') },
    handler: (_req, res) => {
      res.type('text/plain').send(ENGINE_VERSION);
    },
  });

  api.route({
    method: 'get',
    path: '/v1/engine_latest_version',
    summary: 'A newer version, if known',
    responses: { '200': textResponse('None: this server does not look for updates') },
    handler: (_req, res) => {
      res.type('text/plain').send('None');
    },
  });

  api.route({
    method: 'get',
    path: '/v1/available_gsims',
    summary: 'Ground-motion models: none, since this server has no hazard module',
    responses: { '200': jsonResponse('[]') },
    handler: (_req, res) => {
      res.json([]);
    },
  });

  // ---- accounts ---------------------------------------------------------------------------

  api.route({
    method: 'post',
    path: '/accounts/ajax_login/',
    summary: 'Log in (username, password): a session cookie',
    responses: {
      '200': textResponse('Successful login'),
      '403': textResponse('Invalid login / Disabled account'),
      '429': jsonResponse('Too many failed logins for the user or from the address (Retry-After)'),
    },
    handler: async (req, res) => {
      const outcome = await auth.login(
        formField(req, 'username') ?? '',
        formField(req, 'password') ?? '',
        req.ip,
      );
      if (outcome.kind !== 'ok') {
        res
          .status(403)
          .type('text/plain')
          .send(outcome.kind === 'disabled' ? 'Disabled account' : 'Invalid login');
        return;
      }
      res.cookie('sessionid', outcome.token, { httpOnly: true, sameSite: 'lax', path: '/' });
      res.type('text/plain').send('Successful login');
    },
  });

  api.route({
    method: 'post',
    path: '/accounts/ajax_logout/',
    summary: 'Log out',
    responses: { '200': textResponse('Successful logout') },
    handler: async (req, res) => {
      const token = sessionToken(req);
      if (token !== null) await auth.logout(token);
      res.clearCookie('sessionid', { path: '/' });
      res.type('text/plain').send('Successful logout');
    },
  });

  api.route({
    method: 'get',
    path: '/reset_password/',
    summary: 'A form asking for the email address to send a reset link to',
    responses: { '200': { description: 'HTML form' } },
    handler: (_req, res) => {
      res
        .type('text/html')
        .send(
          page(
            'Reset your password',
            '<form method="post"><label>Email <input type="email" name="email" required></label> <button>Send me a reset link</button></form>',
          ),
        );
    },
  });

  api.route({
    method: 'post',
    path: '/reset_password/',
    summary: 'Send a reset link to the email address (the same answer whether it is known or not)',
    responses: { '200': { description: 'HTML page' } },
    handler: async (req, res) => {
      const email = formField(req, 'email') ?? '';
      await auth.requestReset(email, baseUrl(req));
      res
        .type('text/html')
        .send(
          page(
            'Check your email',
            '<p>If this address belongs to an account, a link to set a new password is on its way.</p>',
          ),
        );
    },
  });

  api.route({
    method: 'get',
    path: '/reset_password/:token/',
    summary: 'A form to set a new password',
    responses: { '200': { description: 'HTML form' } },
    handler: (_req, res) => {
      res
        .type('text/html')
        .send(
          page(
            'Set a new password',
            '<form method="post"><label>New password <input type="password" name="password" minlength="8" required></label> <button>Set it</button></form>',
          ),
        );
    },
  });

  api.route({
    method: 'post',
    path: '/reset_password/:token/',
    summary: 'Set the new password (the token is used once)',
    responses: {
      '200': { description: 'HTML page' },
      '400': textResponse('Invalid or expired link, or a weak password'),
    },
    handler: async (req, res) => {
      const password = formField(req, 'password') ?? '';
      await auth.resetPassword(String(req.params.token), password);
      res
        .type('text/html')
        .send(page('Password changed', '<p>Your password is set. You can log in with it now.</p>'));
    },
  });

  return api;
}

/**
 * A field of a form (or JSON) body: undefined when absent, a 400 when given twice (the parser
 * makes that an array) or as anything but text.
 */
function formField(req: Request, name: string): string | undefined {
  const value = ((req.body ?? {}) as Record<string, unknown>)[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new InvalidInputError(
    Array.isArray(value)
      ? `Form field "${name}" is given ${value.length} times: give it once`
      : `Form field "${name}" must be text`,
    { code: 'BAD_PARAMETER', details: { parameter: name } },
  );
}

/** The session token from the `sessionid` cookie; null when there is none that can be read. */
export function sessionToken(req: Request): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name !== 'sessionid') continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      // Not percent-encoding (`%ZZ`): no session, as for any other token that is not ours.
      return null;
    }
  }
  return null;
}

async function sendFile(req: Request, res: Response, path: string, name: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new NotFoundError(`Nothing to download: ${name} does not exist`);
  }
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Disposition', `attachment; filename=${name}`);
  res.setHeader('Content-Length', String(size));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolvePromise, reject) => {
    const stream = createReadStream(path);
    stream.on('error', reject);
    res.on('close', () => {
      stream.destroy();
      resolvePromise();
    });
    stream.pipe(res);
  });
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}
