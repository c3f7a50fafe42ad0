// The flux API's query strings as the typed arguments of @geoworks/flux-service, with the
// original's parameter names and a clear 400 for each way a parameter can be wrong.
import { InvalidInputError, NotImplementedError } from '@geoworks/errors';
import {
  AGGREGATES,
  INTERVALS,
  parseIsoDate,
  type Aggregate,
  type Interval,
  type TimeRange,
} from '@geoworks/flux-store';
import type { Point, Polygon } from '@geoworks/flux-service';
import { parseCoords, parseGeom } from './wkt.js';

/** Query parameters as Express hands them over (a repeated one as an array). */
export type ApiQuery = Record<string, unknown>;

/** What `xy.json` asks for: a map at a time, an aggregate map, or point retrievals. */
export type MapRequest =
  | { kind: 'map'; time: Date; verbose: boolean }
  | { kind: 'aggregateMap'; range: TimeRange; aggregate: Aggregate; verbose: boolean }
  | { kind: 'points'; range: TimeRange; verbose: boolean };

/** What `t.json` asks for: a series over every cell, at one cell, or over a region. */
export type SeriesRequest =
  | { kind: 'timeSeries'; range: TimeRange; aggregate: Aggregate; interval?: Interval }
  | { kind: 'cellSeries'; range: TimeRange; at: Point; aggregate?: Aggregate; interval?: Interval }
  | { kind: 'regionSeries'; range: TimeRange; polygon: Polygon; geom: string; interval?: Interval };

/**
 * An API date: ISO 8601 from `YYYY` to `YYYY-MM-DDTHH:MM:SS[.sss]`, UTC unless it names an
 * offset (see `parseIsoDate`); a clear 400 otherwise.
 */
export function parseApiDate(text: string, name: string): Date {
  const date = parseIsoDate(text);
  if (date === undefined) {
    throw new InvalidInputError(
      `${name} must be an ISO 8601 date such as 2004-06-30T03:00:00, not "${text}"`,
      { code: 'BAD_DATE', details: { parameter: name } },
    );
  }
  return date;
}

/** `scenarios.json?scenario=X`: the scenario asked for, if any. */
export function parseScenarioQuery(query: ApiQuery): string | undefined {
  const scenario = text(query, 'scenario');
  return scenario === '' ? undefined : scenario;
}

/** `xy.json`'s parameters, read as the scenario's kind needs them. */
export function parseMapQuery(query: ApiQuery, kind: 'gridded' | 'points'): MapRequest {
  const verbose = flag(query, 'verbose');
  const time = text(query, 'time');
  if (kind === 'points') {
    const range =
      time !== undefined && time !== ''
        ? { start: parseApiDate(time, 'time'), end: parseApiDate(time, 'time') }
        : parseRange(query, 'for point retrievals (or time)');
    return { kind: 'points', range, verbose };
  }
  if (time !== undefined && time !== '') {
    return { kind: 'map', time: parseApiDate(time, 'time'), verbose };
  }
  if (text(query, 'start') === undefined && text(query, 'end') === undefined) {
    throw new InvalidInputError('Give time, or start, end and aggregate', {
      code: 'MISSING_PARAMETER',
    });
  }
  const range = parseRange(query, 'with aggregate');
  const aggregate = choice(query, 'aggregate', AGGREGATES);
  if (aggregate === undefined) {
    throw new InvalidInputError(
      `aggregate is required with start and end (one of ${AGGREGATES.join(', ')})`,
      { code: 'MISSING_PARAMETER' },
    );
  }
  return { kind: 'aggregateMap', range, aggregate, verbose };
}

/** `xy.tif`'s time. */
export function parseTiffQuery(query: ApiQuery): Date {
  return parseApiDate(required(query, 'time', 'for a GeoTIFF map'), 'time');
}

/** `t.json`'s parameters (start and end inclusive). */
export function parseSeriesQuery(query: ApiQuery): SeriesRequest {
  const range = parseRange(query, 'for a time series');
  const aggregate = choice(query, 'aggregate', AGGREGATES);
  const interval = choice(query, 'interval', INTERVALS);
  const coords = text(query, 'coords');
  const geom = text(query, 'geom');
  if (coords !== undefined && geom !== undefined) {
    throw new InvalidInputError('Give coords or geom, not both', { code: 'BAD_PARAMETER' });
  }
  if (geom !== undefined) {
    if (aggregate !== undefined) {
      throw new NotImplementedError(
        'A region series gives every statistic already: drop aggregate',
        { code: 'NOT_SUPPORTED' },
      );
    }
    return { kind: 'regionSeries', range, polygon: parseGeom(geom), geom, interval };
  }
  if (coords !== undefined) {
    return { kind: 'cellSeries', range, at: parseCoords(coords), aggregate, interval };
  }
  if (aggregate === undefined) {
    throw new InvalidInputError('Give aggregate (with an optional interval), coords or geom', {
      code: 'MISSING_PARAMETER',
    });
  }
  return { kind: 'timeSeries', range, aggregate, interval };
}

function text(query: ApiQuery, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidInputError(`Give ${name} once, as a single value`, {
      code: 'BAD_PARAMETER',
      details: { parameter: name },
    });
  }
  return value;
}

function required(query: ApiQuery, name: string, why: string): string {
  const value = text(query, name);
  if (value === undefined || value === '') {
    throw new InvalidInputError(`${name} is required ${why}`, {
      code: 'MISSING_PARAMETER',
      details: { parameter: name },
    });
  }
  return value;
}

function choice<T extends string>(
  query: ApiQuery,
  name: string,
  options: readonly T[],
): T | undefined {
  const value = text(query, name);
  if (value === undefined || value === '') return undefined;
  if (!(options as readonly string[]).includes(value)) {
    throw new InvalidInputError(`${name} must be one of ${options.join(', ')}, not "${value}"`, {
      code: 'BAD_PARAMETER',
      details: { parameter: name },
    });
  }
  return value as T;
}

/** `?verbose`, `?verbose=true|1`: present and not false. */
function flag(query: ApiQuery, name: string): boolean {
  const value = text(query, name);
  return value !== undefined && !['false', '0', 'no'].includes(value.toLowerCase());
}

function parseRange(query: ApiQuery, why: string): TimeRange {
  const start = parseApiDate(required(query, 'start', why), 'start');
  const end = parseApiDate(required(query, 'end', why), 'end');
  if (start.getTime() > end.getTime()) {
    throw new InvalidInputError(
      `start (${start.toISOString()}) is after end (${end.toISOString()})`,
      { code: 'BAD_RANGE' },
    );
  }
  return { start, end };
}
