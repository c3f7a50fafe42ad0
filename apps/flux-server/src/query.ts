// What the routes' schemas cannot say about the flux API's query strings: ISO 8601 dates with
// offsets, WKT, an empty value standing for an absent one, a flag that is on when present, and
// the rules between parameters; each with a clear 400. service-kit has already checked every
// declared parameter's type, choices and presence.
import { InvalidInputError, NotImplementedError } from '@geoworks/errors';
import {
  AGGREGATES,
  parseIsoDate,
  type Aggregate,
  type Interval,
  type TimeRange,
} from '@geoworks/flux-store';
import type { Point, Polygon } from '@geoworks/flux-service';
import { parseCoords, parseGeom } from './wkt.js';

/** `xy.json`'s query as its route declares it (dates and WKT are text; `''` is not given). */
export interface MapQuery {
  time?: string;
  start?: string;
  end?: string;
  aggregate?: Aggregate | '';
  verbose?: string;
}

/** `t.json`'s query as its route declares it (start and end required, not empty). */
export interface SeriesQuery {
  start: string;
  end: string;
  aggregate?: Aggregate | '';
  interval?: Interval | '';
  coords?: string;
  geom?: string;
}

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

/** `xy.json`'s parameters, read as the scenario's kind needs them. */
export function parseMapQuery(query: MapQuery, kind: 'gridded' | 'points'): MapRequest {
  const verbose = flag(query.verbose);
  const time = given(query.time);
  if (kind === 'points') {
    const range =
      time !== undefined
        ? { start: parseApiDate(time, 'time'), end: parseApiDate(time, 'time') }
        : parseRange(query, 'for point retrievals (or time)');
    return { kind: 'points', range, verbose };
  }
  if (time !== undefined) return { kind: 'map', time: parseApiDate(time, 'time'), verbose };
  if (query.start === undefined && query.end === undefined) {
    throw new InvalidInputError('Give time, or start, end and aggregate', {
      code: 'MISSING_PARAMETER',
    });
  }
  const range = parseRange(query, 'with aggregate');
  const aggregate = given(query.aggregate);
  if (aggregate === undefined) {
    throw new InvalidInputError(
      `aggregate is required with start and end (one of ${AGGREGATES.join(', ')})`,
      { code: 'MISSING_PARAMETER' },
    );
  }
  return { kind: 'aggregateMap', range, aggregate, verbose };
}

/** `t.json`'s parameters (start and end inclusive). */
export function parseSeriesQuery(query: SeriesQuery): SeriesRequest {
  const range = parseRange(query, 'for a time series');
  const aggregate = given(query.aggregate);
  const interval = given(query.interval);
  const { coords, geom } = query;
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

/** A value, or undefined when it is absent or empty (clients send `aggregate=` for none). */
function given<T extends string>(value: T | undefined): Exclude<T, ''> | undefined {
  return value === '' ? undefined : (value as Exclude<T, ''> | undefined);
}

/** `?verbose`, `?verbose=true|1`: present and not false. */
function flag(value: string | undefined): boolean {
  return value !== undefined && !['false', '0', 'no'].includes(value.toLowerCase());
}

/** start and end, both required (`why` says for what) and in order. */
function parseRange(query: { start?: string; end?: string }, why: string): TimeRange {
  const start = parseApiDate(required(query.start, 'start', why), 'start');
  const end = parseApiDate(required(query.end, 'end', why), 'end');
  if (start.getTime() > end.getTime()) {
    throw new InvalidInputError(
      `start (${start.toISOString()}) is after end (${end.toISOString()})`,
      { code: 'BAD_RANGE' },
    );
  }
  return { start, end };
}

function required(value: string | undefined, name: string, why: string): string {
  const text = given(value);
  if (text === undefined) {
    throw new InvalidInputError(`${name} is required ${why}`, {
      code: 'MISSING_PARAMETER',
      details: { parameter: name },
    });
  }
  return text;
}
