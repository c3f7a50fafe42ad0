import { InvalidInputError, NotFoundError } from '@geoworks/errors';
import {
  type Api,
  binaryResponse,
  jsonResponse,
  sendDownload,
  textResponse,
} from '@geoworks/service-kit';
import { jobInfo, listItem, logRow, outputItem, parseSlice } from '../format.js';
import {
  actorOf,
  baseUrl,
  type CalcRouteOptions,
  idParameter,
  NOT_YOURS,
  QUEUE_UNAVAILABLE,
} from './shared.js';

/** OpenQuake's /v1 routes that read jobs: lists, logs, outputs and their downloads. */
export function jobRoutes(api: Api, { engine }: Pick<CalcRouteOptions, 'engine'>): void {
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
      const { calculation_mode, is_running, start_time, limit, offset } = req.query;
      const filter = {
        calculationMode: calculation_mode,
        isRunning: is_running,
        startTime: start_time,
      };
      const jobs = engine.list({ ...filter, limit, offset }, actorOf(req));
      res.json(jobs.map((job) => listItem(engine, job, baseUrl(req))));
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
      ...NOT_YOURS,
      '404': textResponse('Nothing to export for export_type=X'),
    },
    // HEAD shares the GET handler (Express answers HEAD with GET routes, without a body).
    handler: async (req, res) => {
      const download = engine.exportDownload(req.params.id, req.query.export_type, actorOf(req));
      const source = 'path' in download ? download.path : download.open;
      await sendDownload(res, source, {
        name: download.name,
        type: download.mediaType,
        ranges: false,
      });
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id/status',
    summary: 'One list item',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('The list item'),
      ...NOT_YOURS,
      '404': jsonResponse('Unknown job'),
    },
    handler: (req, res) => {
      res.json(listItem(engine, engine.job(req.params.id, actorOf(req)), baseUrl(req)));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id',
    summary: 'Owner, status and times of a job',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('{user_name, status, start_time, stop_time, is_running}'),
      ...NOT_YOURS,
      '404': jsonResponse('Unknown job'),
    },
    handler: (req, res) => {
      res.json(jobInfo(engine, engine.job(req.params.id, actorOf(req))));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id/traceback',
    summary: 'The last CRITICAL log message, as lines',
    parameters: [idParameter],
    responses: {
      '200': jsonResponse('Lines; [] when the job did not fail'),
      ...NOT_YOURS,
      '404': jsonResponse('Unknown job'),
      ...QUEUE_UNAVAILABLE,
    },
    handler: async (req, res) => {
      res.json(await engine.traceback(req.params.id, actorOf(req)));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id/log/size',
    summary: 'Number of log rows so far',
    parameters: [idParameter],
    responses: { '200': jsonResponse('A bare integer'), ...NOT_YOURS, ...QUEUE_UNAVAILABLE },
    handler: async (req, res) => {
      res.json(await engine.logSize(req.params.id, actorOf(req)));
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id/log/:slice',
    openApiPath: '/v1/calc/{id}/log/{start}:{stop}',
    summary: 'Log rows start (inclusive) to stop (exclusive); empty bounds: from 0, to the end',
    parameters: [
      idParameter,
      { name: 'start', in: 'path', schema: { type: 'string' }, description: 'First row, or empty' },
      {
        name: 'stop',
        in: 'path',
        schema: { type: 'string' },
        description: 'Row to stop before, or empty',
      },
    ],
    responses: {
      '200': jsonResponse('[[timestamp, level, process, message], ...]; [] for an unknown job'),
      '400': jsonResponse('The slice is not <start>:<stop>'),
      ...QUEUE_UNAVAILABLE,
      ...NOT_YOURS,
    },
    handler: async (req, res) => {
      const slice = parseSlice(req.params.slice);
      if (slice === null)
        throw new InvalidInputError('The log slice must be <start>:<stop>, with optional bounds');
      res.json(
        (await engine.logs(req.params.id, slice.start, slice.stop, actorOf(req))).map(logRow),
      );
    },
  });

  for (const path of ['/v1/calc/:id/results', '/v1/calc/:id/result/list'] as const) {
    api.route({
      method: 'get',
      path,
      summary: 'Outputs of a job',
      parameters: [idParameter],
      responses: {
        '200': jsonResponse('[{id, name, type, outtypes, url, size_mb}]'),
        ...NOT_YOURS,
        '404': jsonResponse('No outputs'),
      },
      handler: (req, res) => {
        const outputs = engine.results(req.params.id, actorOf(req));
        if (outputs.length === 0) throw new NotFoundError(`Job ${req.params.id} has no outputs`);
        res.json(outputs.map((output) => outputItem(output, baseUrl(req))));
      },
    });
  }

  api.route({
    method: 'get',
    path: '/v1/calc/:id/extract/:what',
    summary:
      'An object as .npz (oqparam: the parameters as JSON under `json`; an output: its table under `array`)',
    parameters: [idParameter, { name: 'what', in: 'path', schema: { type: 'string' } }],
    responses: {
      '200': binaryResponse('A .npz file'),
      ...NOT_YOURS,
      '404': jsonResponse('Unknown job or object'),
    },
    handler: async (req, res) => {
      const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
      const npz = await engine.extract(req.params.id, req.params.what, query, actorOf(req));
      await sendDownload(res, npz, { name: `${req.params.what}.npz` });
    },
  });

  api.route({
    method: 'get',
    path: '/v1/calc/:id/datastore',
    summary: "The job's datastore (a GeoPackage), once the job is complete",
    parameters: [idParameter],
    responses: {
      '200': binaryResponse('calc_<id>.gpkg'),
      ...NOT_YOURS,
      '404': jsonResponse('Unknown job, or not complete'),
    },
    handler: async (req, res) => {
      const path = engine.datastore(req.params.id, actorOf(req));
      await sendDownload(res, path, { name: `calc_${req.params.id}.gpkg`, ranges: false });
    },
  });
}
