// The flux-server API over a FluxStore: the original's routes, parameters and response shapes,
// independent of any HTTP framework (the app only routes to these methods).
import { InvalidInputError, NotFoundError, NotImplementedError } from '@geoworks/errors';
import {
  AGGREGATES,
  cellsInPolygon,
  INTERVALS,
  parseIsoDate,
  type FluxStore,
  type Interval,
  type MetadataDocument,
  type PointRecord,
  type TimeSeries,
} from '@geoworks/flux-store';
import { mapToGeoTiff } from './geotiff.js';
import { parseWktPoint, parseWktPolygon } from './wkt.js';

/** Query parameters as an HTTP framework hands them over (repeated ones as arrays). */
export type ApiQuery = Record<string, unknown>;

type Json = Record<string, unknown>;

/**
 * Numbers as the API writes them: two decimals, and null where a cell or interval has no value
 * (JSON has no NaN).
 */
export function round2(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  const rounded = Math.round(Math.abs(value) * 100) / 100;
  return value < 0 && rounded !== 0 ? -rounded : rounded;
}

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

function range(query: ApiQuery, why: string): { start: Date; end: Date } {
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

const roundAll = (values: ArrayLike<number>): (number | null)[] => Array.from(values, round2);
const isoAll = (times: number[]): string[] => times.map((time) => new Date(time).toISOString());

/** The flux API: each method takes the route's dataset and query and returns the response body. */
export class FluxApi {
  readonly #store: FluxStore;

  constructor(store: FluxStore) {
    this.#store = store;
  }

  /** `GET /flux/api/scenarios.json[?scenario=X]`: the datasets, or one's metadata. */
  scenarios(query: ApiQuery): Json[] | MetadataDocument {
    const scenario = text(query, 'scenario');
    if (scenario !== undefined && scenario !== '') return this.scenario(scenario);
    const datasets = this.#store.datasets();
    if (datasets.length === 0)
      throw new NotFoundError('No scenarios found', { code: 'NO_SCENARIOS' });
    return datasets as unknown as Json[];
  }

  /** `GET /flux/api/scenarios/:s.json`: the metadata document. */
  scenario(name: string): MetadataDocument {
    const metadata = this.#store.metadata(name);
    if (metadata === undefined)
      throw new NotFoundError(`Scenario "${name}" not found`, { code: 'SCENARIO_NOT_FOUND' });
    return metadata;
  }

  /** `GET /flux/api/scenarios/:s/grid.json`: the cells as a MultiPoint, in map order. */
  grid(name: string): Json {
    const cells = this.#store.cells(name);
    const coordinates: [number, number][] = [];
    for (let cell = 0; cell < cells.length / 2; cell++)
      coordinates.push([cells[2 * cell]!, cells[2 * cell + 1]!]);
    return { type: 'MultiPoint', _id: name, coordinates };
  }

  /** `GET /flux/api/scenarios/:s/xy.json`: a map at a time, an aggregate map, or points in a range. */
  xy(name: string, query: ApiQuery): Json {
    const verbose = flag(query, 'verbose');
    const time = text(query, 'time');
    const gridded = this.#store.isGridded(name);
    if (!gridded) {
      const { start, end } =
        time !== undefined && time !== ''
          ? { start: parseApiDate(time, 'time'), end: parseApiDate(time, 'time') }
          : range(query, 'for point retrievals (or time)');
      return pointsResponse(name, this.#store.points(name, { start, end }), verbose);
    }
    if (time !== undefined && time !== '') {
      const map = this.#store.map(name, parseApiDate(time, 'time'));
      const timestamp = new Date(map.time).toISOString();
      if (verbose) return { timestamp, ...this.#featureCollection(name, map.values) };
      return { timestamp, features: roundAll(map.values), properties: { source: name } };
    }
    if (text(query, 'start') === undefined && text(query, 'end') === undefined) {
      throw new InvalidInputError('Give time, or start, end and aggregate', {
        code: 'MISSING_PARAMETER',
      });
    }
    const { start, end } = range(query, 'with aggregate');
    const aggregate = choice(query, 'aggregate', AGGREGATES);
    if (aggregate === undefined) {
      throw new InvalidInputError(
        `aggregate is required with start and end (one of ${AGGREGATES.join(', ')})`,
        {
          code: 'MISSING_PARAMETER',
        },
      );
    }
    const { values } = this.#store.aggregateMap(name, { start, end }, { aggregate });
    const properties = { start: start.toISOString(), end: end.toISOString(), aggregate };
    if (verbose)
      return {
        timestamp: start.toISOString(),
        properties,
        ...this.#featureCollection(name, values),
      };
    return { timestamp: start.toISOString(), properties, features: roundAll(values) };
  }

  /** `GET /flux/api/scenarios/:s/xy.tif?time=`: the map as a GeoTIFF (EPSG:4326, NaN nodata). */
  xyTiff(name: string, query: ApiQuery): Buffer {
    const time = parseApiDate(required(query, 'time', 'for a GeoTIFF map'), 'time');
    const map = this.#store.map(name, time);
    const grid = this.#store.metadata(name)?.grid ?? {};
    return Buffer.from(mapToGeoTiff(this.#store.cells(name), map.values, grid));
  }

  /** `GET /flux/api/scenarios/:s/t.json`: the time-series queries (start and end inclusive). */
  t(name: string, query: ApiQuery): Json {
    if (!this.#store.isGridded(name)) {
      throw new NotImplementedError(
        `Scenario "${name}" holds point retrievals: time series are for gridded scenarios`,
        {
          code: 'NOT_SUPPORTED',
        },
      );
    }
    const { start, end } = range(query, 'for a time series');
    const aggregate = choice(query, 'aggregate', AGGREGATES);
    const interval = choice(query, 'interval', INTERVALS as readonly Interval[]);
    const coordsText = text(query, 'coords');
    const geomText = text(query, 'geom');
    const window = { start: start.toISOString(), end: end.toISOString() };
    if (coordsText !== undefined && geomText !== undefined) {
      throw new InvalidInputError('Give coords or geom, not both', { code: 'BAD_PARAMETER' });
    }
    if (geomText !== undefined) {
      if (aggregate !== undefined) {
        throw new NotImplementedError(
          'A region series gives every statistic already: drop aggregate',
          { code: 'NOT_SUPPORTED' },
        );
      }
      const rings = parseWktPolygon(geomText);
      const cells = cellsInPolygon(this.#store.cells(name), rings);
      const region = this.#store.regionSeries(
        name,
        { start, end },
        { cells: Array.from(cells), interval },
      );
      return {
        seriesMean: roundAll(region.mean),
        seriesMin: roundAll(region.min),
        seriesMax: roundAll(region.max),
        seriesSTD: roundAll(region.std),
        seriesN: region.n,
        seriesT: isoAll(region.times),
        properties: {
          ...window,
          geom: geomText,
          interval: interval ?? null,
          allMean: round2(region.all.mean),
          allMax: round2(region.all.max),
          allMin: round2(region.all.min),
          allSTD: round2(region.all.std),
          allN: region.all.n,
        },
      };
    }
    if (coordsText !== undefined) {
      const [x, y] = parseWktPoint(coordsText);
      const cell = this.#store.cellIndex(name, x, y);
      const properties = { ...window, coords: [x, y] };
      if (aggregate === undefined) {
        if (interval !== undefined) {
          throw new InvalidInputError(
            'interval needs aggregate (one of positive, negative, net, mean, min, max)',
            {
              code: 'MISSING_PARAMETER',
            },
          );
        }
        return seriesResponse(this.#store.cellSeries(name, { start, end }, { cell }), properties);
      }
      const series =
        interval === undefined
          ? this.#store.cellSeries(name, { start, end }, { cell })
          : this.#store.cellSeriesAggregate(name, { start, end }, { cell, aggregate, interval });
      return seriesResponse(series, { ...properties, aggregate, interval: interval ?? null });
    }
    if (aggregate === undefined) {
      throw new InvalidInputError('Give aggregate (with an optional interval), coords or geom', {
        code: 'MISSING_PARAMETER',
      });
    }
    const series = this.#store.seriesAggregate(name, { start, end }, { aggregate, interval });
    return seriesResponse(series, { aggregate, interval: interval ?? null, ...window });
  }

  #featureCollection(name: string, values: Float64Array): Json {
    const cells = this.#store.cells(name);
    const features: Json[] = [];
    for (let cell = 0; cell < values.length; cell++) {
      // Zeros are values (the original dropped them); only cells without a value are left out.
      const value = round2(values[cell]!);
      if (value === null) continue;
      features.push({
        type: 'Point',
        coordinates: [cells[2 * cell]!, cells[2 * cell + 1]!],
        properties: { v: value },
      });
    }
    return { type: 'FeatureCollection', features };
  }
}

function seriesResponse(series: TimeSeries, properties: Json): Json {
  return { series: roundAll(series.values), seriesT: isoAll(series.times), properties };
}

function pointsResponse(name: string, points: PointRecord[], verbose: boolean): Json {
  const rounded = (properties: Record<string, number | null>) =>
    Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [
        key,
        value === null ? null : round2(value),
      ]),
    );
  if (verbose) {
    return {
      type: 'FeatureCollection',
      features: points.map((point) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [point.x, point.y] },
        properties: { timestamp: new Date(point.time).toISOString(), ...rounded(point.properties) },
      })),
      properties: { source: name },
    };
  }
  return {
    features: points.map((point) => ({
      timestamp: new Date(point.time).toISOString(),
      coordinates: [point.x, point.y],
      properties: rounded(point.properties),
    })),
    properties: { source: name },
  };
}
