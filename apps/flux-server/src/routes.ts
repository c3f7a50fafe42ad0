// The flux API's routes: each declares its parameters (types, the choices of aggregate and
// interval, the dates it requires), which service-kit checks and publishes in /openapi.json, and
// answers with its flux-service use case; src/query.ts reads what a schema cannot say.
import { NotImplementedError } from '@geoworks/errors';
import { SeriesNotSupportedError, type FluxService } from '@geoworks/flux-service';
import { AGGREGATES, INTERVALS } from '@geoworks/flux-store';
import {
  type Api,
  binaryResponse,
  createApi,
  jsonResponse,
  sendDownload,
  textResponse,
} from '@geoworks/service-kit';
import {
  parseApiDate,
  parseMapQuery,
  parseSeriesQuery,
  type MapQuery,
  type SeriesQuery,
} from './query.js';
import { describeProblem, REQUIRED_FOR } from './wire.js';

const DATES = 'ISO 8601, YYYY to YYYY-MM-DDTHH:MM:SS[.sss], UTC unless an offset ±HH:MM follows';

const scenario = {
  name: 's',
  in: 'path',
  description: 'Scenario (dataset) name',
  schema: { type: 'string' },
} as const;

/** A text parameter; what a schema cannot check in it (a date, WKT) src/query.ts reads. */
const text = <const Name extends string>(name: Name, description: string) =>
  ({ name, in: 'query', description, schema: { type: 'string' } }) as const;

/** An optional date (empty counts as not given). */
const date = <const Name extends string>(name: Name, description: string) =>
  text(name, `${description}: ${DATES}`);

/** A date the route cannot answer without: absent or empty is `name is required <why>`. */
const requiredDate = <const Name extends string>(name: Name, description: string, why: string) =>
  ({
    name,
    in: 'query',
    required: true,
    description: `${description}: ${DATES}`,
    schema: { type: 'string', minLength: 1, [REQUIRED_FOR]: why },
  }) as const;

/** One of `choices`, or empty: not given, as this API has always taken it. */
const choice = <const Name extends string, const Choice extends string>(
  name: Name,
  choices: readonly Choice[],
  description: string,
) =>
  ({
    name,
    in: 'query',
    description: `${description}; empty: not given`,
    schema: { type: 'string', enum: ['', ...choices] },
  }) as const;

const aggregate = choice('aggregate', AGGREGATES, 'How the values are combined');
const verbose = text(
  'verbose',
  'A flag: present (even empty) for GeoJSON features, false, 0 or no for bare values',
);

const NOT_FOUND = textResponse('Unknown scenario, time or cell');
const BAD = textResponse('Bad parameters');
const TOO_LARGE = textResponse('The aggregation reads more values than FLUX_MAX_AGGREGATE_VALUES');
const NOT_SUPPORTED = textResponse('A combination of parameters this scenario cannot answer');

/** The flux-server routes, under /flux/api. */
export function fluxRoutes(flux: FluxService): Api {
  const api = createApi({
    documentPath: '/openapi.json',
    title: 'flux-server',
    version: '0.1.0',
    description:
      "The Carbon Data Explorer's flux API: scenarios, maps, aggregates, time series and regions of interest.",
    describeProblem,
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios.json',
    summary: 'The scenarios (datasets), or the metadata of one',
    parameters: [text('scenario', 'A scenario whose metadata document is wanted; empty: all')],
    responses: {
      '200': jsonResponse('[{_id, title, gridded}] or a metadata document'),
      '404': NOT_FOUND,
    },
    handler: (req, res) => {
      const { scenario } = req.query;
      res.json(scenario ? flux.scenario(scenario) : flux.scenarios());
    },
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s.json',
    summary: "A scenario's metadata document",
    parameters: [scenario],
    responses: { '200': jsonResponse('Metadata with stats'), '404': NOT_FOUND },
    handler: (req, res) => void res.json(flux.scenario(req.params.s)),
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s/grid.json',
    summary: 'The cells as a MultiPoint, in the order of every map',
    parameters: [scenario],
    responses: {
      '200': jsonResponse('{type: "MultiPoint", _id, coordinates}'),
      '404': NOT_FOUND,
      '501': NOT_SUPPORTED,
    },
    handler: (req, res) => void res.json(flux.grid(req.params.s)),
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s/xy.json',
    summary: 'A map at a time, a map aggregated over [start, end), or point retrievals in a range',
    parameters: [
      scenario,
      date('time', 'Time of a map, or of point retrievals'),
      date('start', 'Start (inclusive)'),
      date('end', 'End (exclusive for maps, inclusive for points)'),
      aggregate,
      verbose,
    ],
    responses: {
      '200': jsonResponse('{timestamp, features, properties}'),
      '400': BAD,
      '404': NOT_FOUND,
      '413': TOO_LARGE,
      '501': NOT_SUPPORTED,
    },
    handler: (req, res) => void res.json(mapAnswer(flux, req.params.s, req.query)),
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s/xy.tif',
    summary: 'The map at a time as a GeoTIFF (EPSG:4326, Float32, NaN nodata)',
    parameters: [scenario, requiredDate('time', 'Time of the map', 'for a GeoTIFF map')],
    responses: {
      '200': binaryResponse('GeoTIFF, as an attachment named <s>.tif', 'image/tiff'),
      '400': BAD,
      '404': NOT_FOUND,
      '413': textResponse('The raster would be over 50 million pixels'),
      '501': NOT_SUPPORTED,
    },
    handler: async (req, res) => {
      const tiff = flux.mapGeoTiff(req.params.s, parseApiDate(req.query.time, 'time'));
      await sendDownload(res, tiff, { name: `${req.params.s}.tif`, type: 'image/tiff' });
    },
  });
  api.route({
    method: 'get',
    path: '/flux/api/scenarios/:s/t.json',
    summary: 'Time series over [start, end]: all cells aggregated, one cell, or a region (geom)',
    parameters: [
      scenario,
      requiredDate('start', 'Start (inclusive)', 'for a time series'),
      requiredDate('end', 'End (inclusive)', 'for a time series'),
      aggregate,
      choice('interval', INTERVALS, 'Buckets of the series (UTC); none: every step'),
      text('coords', 'WKT POINT(x y) of a cell'),
      text('geom', 'WKT POLYGON((x y, ...), (hole ...)) of a region of interest'),
    ],
    responses: {
      '200': jsonResponse('{series, seriesT, properties} or the region statistics'),
      '400': BAD,
      '404': NOT_FOUND,
      '413': TOO_LARGE,
      '501': NOT_SUPPORTED,
    },
    handler: (req, res) => void res.json(seriesAnswer(flux, req.params.s, req.query)),
  });
  api.route({
    method: 'get',
    path: '/flux/api/forward.json',
    summary: 'Not provided: the original forwarded any URL (an open proxy)',
    parameters: [text('url', 'What the original fetched; never fetched here')],
    responses: { '501': NOT_SUPPORTED },
    handler: () => {
      throw new NotImplementedError(
        'forward.json is not provided: it forwarded requests to any URL (an open proxy)',
        { code: 'NOT_PROVIDED' },
      );
    },
  });
  return api;
}

/** xy.json's use case for what its query asks of the scenario. */
function mapAnswer(flux: FluxService, name: string, query: MapQuery) {
  const request = parseMapQuery(query, flux.kind(name));
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

/** t.json's use case for what its query asks of the scenario. */
function seriesAnswer(flux: FluxService, name: string, query: SeriesQuery) {
  // A scenario of points is 501 before its dates, WKT and combination of parameters are read.
  if (flux.kind(name) === 'points') throw new SeriesNotSupportedError(name);
  const request = parseSeriesQuery(query);
  switch (request.kind) {
    case 'timeSeries':
      return flux.timeSeries(name, request.range, request);
    case 'cellSeries':
      return flux.cellSeries(name, request.range, request);
    case 'regionSeries':
      return flux.regionSeries(name, request.range, request);
  }
}
