import { rm } from 'node:fs/promises';
import type { Request, Response } from 'express';
import { InvalidInputError } from '@geoworks/errors';
import type { CalculationKind, PandarusService } from '@geoworks/pandarus-service';
import { type Api, createApi, receiveUploads, textResponse } from '@geoworks/service-kit';

/** The greeting brightway2-regional's `check_alive` expects a 200 for. */
export const GREETING = 'pandarus_remote web service, version (1, 1).';

const UPLOAD_FIELDS = ['name', 'sha256', 'band', 'layer', 'field'] as const;

/** With the Redis queue only: Redis cannot be reached; `Retry-After` says when to try again. */
const QUEUE_UNAVAILABLE = textResponse('The job queue is unavailable (Redis down); retry later');

const form = (...names: string[]) => ({
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: {
        type: 'object',
        required: names,
        properties: Object.fromEntries(
          names.map((name) => [name, { type: 'string', description: 'sha256 of a dataset' }]),
        ),
      },
    },
  },
});

const attachment = {
  description: 'The file, as an attachment',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
};

/** Reads two form fields; a missing one is a 400, as Flask answers. */
function formPair(req: Request, [a, b]: readonly [string, string]): [string, string] {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const read = (name: string) => {
    const value = body[name];
    if (typeof value !== 'string') {
      throw new InvalidInputError(`Missing form field: ${name}`, { code: 'MISSING_FIELD' });
    }
    return value.trim();
  };
  return [read(a), read(b)];
}

/**
 * Sends a result file the way brightway2-regional reads it: `Content-Disposition` with an
 * unquoted file name, octet-stream, and never a Content-Encoding (the client reads the raw
 * socket).
 */
function sendAttachment(res: Response, path: string): Promise<void> {
  const name = path.split('/').pop()!;
  return new Promise((resolve, reject) => {
    res.sendFile(
      path,
      {
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Disposition': `attachment; filename=${name}`,
        },
        dotfiles: 'deny',
      },
      (error) => (error ? reject(error) : resolve()),
    );
  });
}

/** pandarus_remote 1.1's routes, every one with its OpenAPI description. */
export function pandarusRoutes(service: PandarusService, options: { maxUploadBytes: number }): Api {
  const api = createApi({
    documentPath: '/openapi.json',
    title: 'pandarus-remote',
    version: '1.1.0',
    description:
      'pandarus_remote 1.1 compatible geoprocessing service: upload vector and raster datasets, calculate intersections, remaining areas and raster statistics in the background, download the results.',
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
            required: [...UPLOAD_FIELDS, 'file'],
            properties: {
              name: { type: 'string' },
              sha256: { type: 'string' },
              band: { type: 'string' },
              layer: { type: 'string' },
              field: { type: 'string' },
              file: { type: 'string', format: 'binary' },
            },
          },
        },
      },
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
    handler: async (req, res) => {
      const { fields, files } = await receiveUploads(req, {
        dir: service.incomingDir,
        maxFileBytes: options.maxUploadBytes,
        maxFiles: 1,
        maxFields: 20,
      });
      const file = files.find((candidate) => candidate.field === 'file');
      try {
        const values = {} as Record<(typeof UPLOAD_FIELDS)[number], string>;
        for (const name of UPLOAD_FIELDS) {
          const value = fields[name];
          if (typeof value !== 'string')
            throw new InvalidInputError(`Missing form field: ${name}`, { code: 'MISSING_FIELD' });
          values[name] = value;
        }
        if (file === undefined)
          throw new InvalidInputError('Missing form field: file', { code: 'MISSING_FIELD' });
        res.json(await service.upload(values, file));
      } finally {
        // Refused or not, nothing received stays in the incoming folder.
        await Promise.all(files.map((received) => rm(received.path, { force: true })));
      }
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
      requestBody: form(...names),
      responses: {
        '200': textResponse('/status/<job_id>'),
        '400': textResponse('A form field is missing'),
        '404': textResponse('A dataset (or, for remaining, the intersection) is not on the server'),
        '406': textResponse('The datasets are the same, or not of the right kind'),
        '409': textResponse('Already calculated'),
        '503': QUEUE_UNAVAILABLE,
      },
      handler: async (req, res) => {
        const jobId = await request(...formPair(req, names));
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
      if (status === null) {
        res.status(404).type('text/plain').send('No such job');
        return;
      }
      if (
        req.accepts(['text/plain', 'application/json']) === 'application/json' &&
        req.get('accept')?.includes('json')
      ) {
        res.json(status);
        return;
      }
      res.type('text/plain').send(status.status);
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
      requestBody: form(...names),
      responses: {
        '200': attachment,
        '400': textResponse('A form field is missing'),
        '404': textResponse('Not calculated'),
      },
      handler: async (req, res) => {
        await sendAttachment(res, service.resultFile(kind, ...formPair(req, names)));
      },
    });
  }

  return api;
}
