import type { Request } from 'express';
import { NotImplementedError } from '@geoworks/errors';
import { SeriesNotSupportedError, type FluxService } from '@geoworks/flux-service';
import {
  type Api,
  binaryResponse,
  createApi,
  type FormattedError,
  jsonResponse,
  type PublicError,
  textResponse,
} from '@geoworks/service-kit';
import {
  parseMapQuery,
  parseSeriesQuery,
  parseScenarioQuery,
  parseTiffQuery,
  type MapRequest,
  type SeriesRequest,
} from './query.js';

const scenarioParameter = {
  name: 's',
  in: 'path' as const,
  required: true,
  description: 'Scenario (dataset) name',
};
const query = (name: string, description: string) => ({
  name,
  in: 'query' as const,
  description,
  schema: { type: 'string' },
});
const ERRORS = {
  '400': textResponse('Bad parameters'),
  '404': textResponse('Unknown scenario, time or cell'),
  '413': textResponse('The aggregation reads more values than FLUX_MAX_AGGREGATE_VALUES'),
  '501': textResponse('A combination of parameters this scenario cannot answer'),
};

/** flux-server answers errors as plain text. */
export function formatError(
  _error: unknown,
  _status: number,
  _req: Request,
  view: PublicError,
): FormattedError {
  return { body: view.message };
}

/** The flux-server routes, under /flux/api. */
export function fluxRoutes(flux: FluxService): Api {
  const api = createApi({
    documentPath: '/openapi.json',
    title: 'flux-server',
    version: '0.1.0',
    description:
      "The Carbon Data Explorer's flux API: scenarios, maps, aggregates, time series and regions of interest.",
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios.json',
    summary: 'The scenarios (datasets), or the metadata of one',
    parameters: [query('scenario', 'A scenario whose metadata document is wanted')],
    responses: {
      '200': jsonResponse('[{_id, title, gridded}] or a metadata document'),
      '404': ERRORS['404'],
    },
    handler: (req, res) => {
      const scenario = parseScenarioQuery(req.query);
      res.json(scenario === undefined ? flux.scenarios() : flux.scenario(scenario));
    },
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s.json',
    summary: "A scenario's metadata document",
    parameters: [scenarioParameter],
    responses: { '200': jsonResponse('Metadata with stats'), '404': ERRORS['404'] },
    handler: (req, res) => {
      res.json(flux.scenario(req.params.s));
    },
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s/grid.json',
    summary: 'The cells as a MultiPoint, in the order of every map',
    parameters: [scenarioParameter],
    responses: {
      '200': jsonResponse('{type: "MultiPoint", _id, coordinates}'),
      '404': ERRORS['404'],
      '501': ERRORS['501'],
    },
    handler: (req, res) => {
      res.json(flux.grid(req.params.s));
    },
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s/xy.json',
    summary: 'A map at a time, a map aggregated over [start, end), or point retrievals in a range',
    parameters: [
      scenarioParameter,
      query('time', 'ISO 8601 time of a map'),
      query('start', 'ISO 8601 start (inclusive)'),
      query('end', 'ISO 8601 end (exclusive for maps, inclusive for points)'),
      query('aggregate', 'positive, negative, net, mean, min or max'),
      query('verbose', 'GeoJSON features instead of bare values'),
    ],
    responses: { '200': jsonResponse('{timestamp, features, properties}'), ...ERRORS },
    handler: (req, res) => {
      const name = req.params.s;
      res.json(mapAnswer(flux, name, parseMapQuery(req.query, flux.kind(name))));
    },
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s/xy.tif',
    summary: 'The map at a time as a GeoTIFF (EPSG:4326, Float32, NaN nodata)',
    parameters: [scenarioParameter, query('time', 'ISO 8601 time of a map')],
    responses: {
      '200': binaryResponse('GeoTIFF', 'image/tiff'),
      ...ERRORS,
    },
    handler: (req, res) => {
      const tiff = flux.mapGeoTiff(req.params.s, parseTiffQuery(req.query));
      res.type('image/tiff');
      res.setHeader('Content-Disposition', `attachment; filename="${req.params.s}.tif"`);
      res.send(tiff);
    },
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s/t.json',
    summary: 'Time series over [start, end]: all cells aggregated, one cell, or a region (geom)',
    parameters: [
      scenarioParameter,
      query('start', 'ISO 8601 start (inclusive, required)'),
      query('end', 'ISO 8601 end (inclusive, required)'),
      query('aggregate', 'positive, negative, net, mean, min or max'),
      query('interval', 'hourly, daily, weekly, monthly or annual (UTC)'),
      query('coords', 'WKT POINT(x y) of a cell'),
      query('geom', 'WKT POLYGON((x y, ...)) of a region of interest'),
    ],
    responses: {
      '200': jsonResponse('{series, seriesT, properties} or the region statistics'),
      ...ERRORS,
    },
    handler: (req, res) => {
      const name = req.params.s;
      // A scenario of points is answered 501 before its parameters are read.
      if (flux.kind(name) === 'points') throw new SeriesNotSupportedError(name);
      res.json(seriesAnswer(flux, name, parseSeriesQuery(req.query)));
    },
  });
  api.route({
    method: 'get',
    path: '/flux/api/forward.json',
    summary: 'Not provided: the original forwarded any URL (an open proxy)',
    responses: { '501': ERRORS['501'] },
    handler: () => {
      throw new NotImplementedError(
        'forward.json is not provided: it forwarded requests to any URL (an open proxy)',
        {
          code: 'NOT_PROVIDED',
        },
      );
    },
  });
  return api;
}

/** xy.json's use case for what its query asked. */
function mapAnswer(flux: FluxService, name: string, request: MapRequest) {
  const { verbose } = request;
  switch (request.kind) {
    case 'map':
      return flux.map(name, request.time, { verbose });
    case 'aggregateMap':
      return flux.aggregateMap(name, request.range, { aggregate: request.aggregate, verbose });
    case 'points':
      return flux.points(name, request.range, { verbose });
  }
}

/** t.json's use case for what its query asked. */
function seriesAnswer(flux: FluxService, name: string, request: SeriesRequest) {
  switch (request.kind) {
    case 'timeSeries':
      return flux.timeSeries(name, request.range, request);
    case 'cellSeries':
      return flux.cellSeries(name, request.range, request);
    case 'regionSeries':
      return flux.regionSeries(name, request.range, request);
  }
}
