import { basename } from 'node:path';
import { NotFoundError } from '@geoworks/errors';
import type { CalculationKind, PandarusService } from '@geoworks/pandarus-service';
import {
  type Api,
  createApi,
  type InputProblem,
  sendDownload,
  textResponse,
} from '@geoworks/service-kit';

/** The greeting brightway2-regional's `check_alive` expects a 200 for. */
export const GREETING = 'pandarus_remote web service, version (1, 1).';

/** With the Redis queue only: Redis cannot be reached; `Retry-After` says when to try again. */
const QUEUE_UNAVAILABLE = textResponse('The job queue is unavailable (Redis down); retry later');

/** A form of two dataset hashes, both required. */
const form = <const A extends string, const B extends string>([a, b]: readonly [A, B]) => {
  const hash = { type: 'string', description: 'sha256 of a dataset' } as const;
  return {
    required: true,
    content: {
      'application/x-www-form-urlencoded': {
        schema: {
          type: 'object',
          required: [a, b],
          properties: { [a]: hash, [b]: hash } as Record<A | B, typeof hash>,
        },
      },
    },
  } as const;
};

const attachment = {
  description: 'The file, as an attachment',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
};

/** A missing form field is Flask's 400, in pandarus_remote's words. */
function describeProblem(problem: InputProblem): string | undefined {
  if (problem.problem === 'missing') return `Missing form field: ${problem.name}`;
  if (problem.name === 'band' && problem.problem === 'invalid')
    return `band must be a positive integer or empty, not ${JSON.stringify(problem.value)}`;
  return undefined;
}

/** The two hashes of a calculation's form, as the client may pad them. */
function hashes(body: Record<string, string>, [a, b]: readonly [string, string]): [string, string] {
  return [body[a]!.trim(), body[b]!.trim()];
}

/** pandarus_remote 1.1's routes, every one with its OpenAPI description. */
export function pandarusRoutes(service: PandarusService, options: { maxUploadBytes: number }): Api {
  const api = createApi({
    documentPath: '/openapi.json',
    title: 'pandarus-remote',
    version: '1.1.0',
    description:
      'pandarus_remote 1.1 compatible geoprocessing service: upload vector and raster datasets, calculate intersections, remaining areas and raster statistics in the background, download the results.',
    describeProblem,
  });

  api.route({
    method: 'get',
    path: '/',
    summary: 'Ping',
    responses: { '200': textResponse(GREETING) },
    handler: (_req, res) => {
      res.type('text/plain').send(GREETING);
    },
  });

  api.route({
    method: 'get',
    path: '/catalog',
    summary: 'Datasets and results on the server',
    description:
      'files as [name, sha256, kind] rows; intersections, remaining and rasterstats as hash pairs.',
    responses: {
      '200': {
        description: 'The catalog',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
    },
    handler: (_req, res) => {
      res.json(service.catalog());
    },
  });

  api.route({
    method: 'post',
    path: '/upload',
    summary: 'Upload a vector or raster dataset',
    description:
      'Form fields name, sha256, band, layer and field are all required (pass "" when not relevant); the file goes in `file`. A shapefile is uploaded as a zip of the .shp and its sidecars.',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['name', 'sha256', 'band', 'layer', 'field', 'file'],
            properties: {
              name: { type: 'string' },
              sha256: { type: 'string' },
              band: {
                type: 'string',
                pattern: '^\\s*([1-9]\\d*)?\\s*$',
                description: 'Raster band (from 1), or empty',
              },
              layer: { type: 'string' },
              field: { type: 'string' },
              file: { type: 'string', format: 'binary' },
            },
          },
        },
      },
    },
    uploads: {
      dir: service.incomingDir,
      maxFileBytes: options.maxUploadBytes,
      maxFiles: 1,
      maxFields: 20,
    },
    responses: {
      '200': {
        description: '{filename, sha256}',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      '400': textResponse('A form field is missing'),
      '406': textResponse('The hash does not match, or the file is not a usable dataset'),
      '409': textResponse('A dataset with this hash already exists'),
      '408': textResponse('The upload came slower than the minimum rate, and was cut'),
      '413': textResponse('The file is over the size limit'),
      '503': QUEUE_UNAVAILABLE,
    },
    // Refused or not, nothing received stays in the incoming folder (service-kit deletes it).
    handler: async (req, res) => {
      res.json(await service.upload(req.body, req.body.file));
    },
  });

  const calculations: [
    string,
    CalculationKind,
    (a: string, b: string) => Promise<string>,
    [string, string],
  ][] = [
    [
      '/calculate-intersection',
      'intersection',
      (a, b) => service.requestIntersection(a, b),
      ['first', 'second'],
    ],
    [
      '/calculate-remaining',
      'remaining',
      (a, b) => service.requestRemaining(a, b),
      ['first', 'second'],
    ],
    [
      '/calculate-rasterstats',
      'rasterstats',
      (a, b) => service.requestRasterStats(a, b),
      ['vector', 'raster'],
    ],
  ];
  for (const [path, kind, request, names] of calculations) {
    api.route({
      method: 'post',
      path,
      summary: `Calculate ${kind} in the background`,
      description:
        'Answers the job status URL path to poll. Asking again while the job is queued or running gives the same job.',
      requestBody: form(names),
      responses: {
        '200': textResponse('/status/<job_id>'),
        '400': textResponse('A form field is missing'),
        '404': textResponse('A dataset (or, for remaining, the intersection) is not on the server'),
        '406': textResponse('The datasets are the same, or not of the right kind'),
        '409': textResponse('Already calculated'),
        '503': QUEUE_UNAVAILABLE,
      },
      handler: async (req, res) => {
        const jobId = await request(...hashes(req.body, names));
        res.type('text/plain').send(`/status/${jobId}`);
      },
    });
  }

  api.route({
    method: 'get',
    path: '/status/:id',
    summary: 'Status of a calculation job',
    description:
      'A bare word: queued, started, finished or failed. Ask with `Accept: application/json` for `{status, error}`.',
    responses: {
      '200': textResponse('The status word'),
      '404': textResponse('No such job'),
      '503': QUEUE_UNAVAILABLE,
    },
    handler: async (req, res) => {
      const status = await service.status(req.params.id);
      if (status === null) throw new NotFoundError('No such job', { code: 'NO_SUCH_JOB' });
      const json = req.accepts(['text/plain', 'application/json']) === 'application/json';
      if (json && req.get('accept')?.includes('json')) res.json(status);
      else res.type('text/plain').send(status.status);
    },
  });

  const downloads: [string, CalculationKind | 'intersection-file', [string, string]][] = [
    ['/intersection', 'intersection', ['first', 'second']],
    ['/intersection-file', 'intersection-file', ['first', 'second']],
    ['/remaining', 'remaining', ['first', 'second']],
    ['/rasterstats', 'rasterstats', ['vector', 'raster']],
  ];
  for (const [path, kind, names] of downloads) {
    api.route({
      method: 'post',
      path,
      summary:
        kind === 'intersection-file'
          ? 'Download the intersected geometries (vector file)'
          : `Download the ${kind} result (JSON, bz2 unless configured otherwise)`,
      requestBody: form(names),
      responses: {
        '200': attachment,
        '400': textResponse('A form field is missing'),
        '404': textResponse('Not calculated'),
      },
      handler: async (req, res) => {
        // As brightway2-regional reads it: its own name, octet-stream, never a Content-Encoding.
        const path = service.resultFile(kind, ...hashes(req.body, names));
        await sendDownload(res, path, { name: basename(path) });
      },
    });
  }

  return api;
}
