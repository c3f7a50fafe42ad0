import { onSameFileSystem, validateXml } from '@geoworks/calc-engine';
import { type Api, jsonResponse, textResponse, type UploadedFile } from '@geoworks/service-kit';
import {
  actorOf,
  type CalcRouteOptions,
  ENGINE_VERSION,
  formBody,
  idParameter,
  NOT_YOURS,
  QUEUE_UNAVAILABLE,
  READ_ONLY,
  SLOW_UPLOAD,
  writable as writableIn,
} from './shared.js';

/** OpenQuake's /v1 routes that run, check, abort and remove jobs, and describe the server. */
export function runRoutes(api: Api, options: CalcRouteOptions): void {
  const { engine } = options;
  const writable = writableIn(options.mode);

  api.route({
    method: 'post',
    path: '/v1/calc/:id/abort',
    summary: 'Abort a running job (SIGINT to its process); answers {error} or {success}',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('{"success": "Killing job N"} or {"error": ...}'),
      ...NOT_YOURS,
      ...READ_ONLY,
      ...QUEUE_UNAVAILABLE,
    },
    handler: [
      writable,
      async (req, res) => {
        res.json(await engine.abort(req.params.id, actorOf(req)));
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
        res.json(await engine.remove(req.params.id, actorOf(req)));
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
            description: 'Without `archive`, every file sent (any field) is an input',
            properties: {
              archive: { type: 'string', format: 'binary' },
              job_ini: {
                type: 'string',
                description: 'Which .ini to run (default: job.ini, else the first)',
              },
              hazard_job_id: { type: 'integer', minimum: 0, description: 'The parent job' },
            },
          },
        },
      },
    },
    uploads: { ...options.uploads, maxFiles: 1000, maxFields: 20 },
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
        const { archive, job_ini: jobIni, hazard_job_id: parentId = null } = req.body;
        const inputs =
          archive === undefined ? { files: submitted(req.files) } : { archive: archive.path };
        const submit = {
          owner: actorOf(req)?.name ?? options.defaultUser,
          ...inputs,
          jobIni,
          parentId,
        };
        const { jobId } = await engine.submit({ ...submit, actor: actorOf(req) });
        res.json({ status: 'created', job_id: jobId });
      },
    ],
  });

  api.route({
    method: 'post',
    path: '/v1/calc/validate_zip',
    summary: 'Would this job.zip run?',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['archive'],
            properties: { archive: { type: 'string', format: 'binary' } },
          },
        },
      },
    },
    uploads: { ...options.uploads, maxFiles: 5, maxFields: 10 },
    responses: {
      '200': jsonResponse('{valid, error_msg, error_line}'),
      '400': textResponse('Missing archive file'),
      ...SLOW_UPLOAD,
      ...READ_ONLY,
    },
    handler: [
      writable,
      async (req, res) => {
        res.json(await engine.validateArchive(req.body.archive.path));
      },
    ],
  });

  api.route({
    method: 'post',
    path: '/v1/valid/',
    summary: 'Is this XML well-formed NRML? Errors carry their line',
    requestBody: formBody({ xml_text: { type: 'string' } }, ['xml_text']),
    responses: {
      '200': jsonResponse('{valid, error_msg, error_line}'),
      '400': textResponse('Please provide the "xml_text" parameter'),
    },
    handler: (req, res) => {
      res.json(validateXml(req.body.xml_text));
    },
  });

  api.route({
    method: 'post',
    path: '/v1/on_same_fs',
    summary:
      "Does the server see this file with the same first 32 bytes (adler32)? Only files under the server's data directory are looked at",
    requestBody: formBody(
      {
        filename: { type: 'string', default: '' },
        checksum: { type: 'integer', minimum: 0, description: 'Adler-32 of its first 32 bytes' },
      },
      ['checksum'],
    ),
    responses: { '200': jsonResponse('{"success": boolean}') },
    handler: async (req, res) => {
      const { filename, checksum } = req.body;
      res.json({ success: await onSameFileSystem(filename, checksum, options.dataDir) });
    },
  });

  const constant = (path: string, summary: string, answer: string, body: string | []) =>
    api.route({
      method: 'get',
      path,
      summary,
      responses: { '200': Array.isArray(body) ? jsonResponse(answer) : textResponse(answer) },
      handler: (_req, res) =>
        void (Array.isArray(body) ? res.json(body) : res.type('text/plain').send(body)),
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
  constant('/v1/engine_version', 'The server version', 'The version', ENGINE_VERSION);
  constant(
    '/v1/engine_latest_version',
    'A newer version, if known',
    'None: this server does not look for updates',
    'None',
  );
  constant(
    '/v1/available_gsims',
    'Ground-motion models: none, since this server has no hazard module',
    '[]',
    [],
  );
}

/** The files of a run without an archive: the job.ini and its inputs, by their own names. */
function submitted(files: readonly UploadedFile[]) {
  return files.map((file) => ({ name: file.originalName, path: file.path }));
}
