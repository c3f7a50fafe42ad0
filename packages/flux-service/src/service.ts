// The flux-server use cases over a FluxStore: the scenarios, a map at a time, an aggregate map,
// point retrievals, and series over every cell, one cell or a region, each answered with the
// document the original flux-server sent. Arguments are typed: reading them from a request is
// the app's part.
import { InvalidInputError, NotFoundError, NotImplementedError } from '@geoworks/errors';
import {
  AGGREGATES,
  cellsInPolygon,
  type Aggregate,
  type DatasetSummary,
  type FluxStore,
  type Interval,
  type MetadataDocument,
  type TimeRange,
} from '@geoworks/flux-store';
import { toWkt } from '@geoworks/planar';
import type {
  AggregateMapDocument,
  GeoJsonPointsDocument,
  GridDocument,
  MapDocument,
  Point,
  PointsDocument,
  Polygon,
  RegionSeriesDocument,
  ScenarioKind,
  SeriesDocument,
  VerboseAggregateMapDocument,
  VerboseMapDocument,
} from './documents.js';
import {
  cellFeatures,
  isoAll,
  pointsDocument,
  round2,
  roundAll,
  seriesDocument,
} from './format.js';
import { mapToGeoTiff } from './geotiff.js';

/** A series asked of a scenario of point retrievals (501). */
export class SeriesNotSupportedError extends NotImplementedError {
  constructor(scenario: string) {
    super(`Scenario "${scenario}" holds point retrievals: time series are for gridded scenarios`, {
      code: 'NOT_SUPPORTED',
    });
  }
}

/** `verbose`: GeoJSON features instead of bare values. */
export interface VerboseOption {
  verbose?: boolean;
}

export interface AggregateMapOptions extends VerboseOption {
  aggregate: Aggregate;
}

export interface TimeSeriesOptions {
  aggregate: Aggregate;
  /** One value per interval; default one per step. */
  interval?: Interval;
}

export interface CellSeriesOptions {
  /** A point in the cell (its centre, or anywhere within the cell's extent). */
  at: Point;
  /** With `interval`, one value per interval; alone, the series is raw. */
  aggregate?: Aggregate;
  /** Needs `aggregate`. */
  interval?: Interval;
}

export interface RegionSeriesOptions {
  /** The region: the cells whose centre lies inside it count (holes excluded). */
  polygon: Polygon;
  /** The region as the caller wrote it, echoed as `properties.geom`; default the polygon as WKT. */
  geom?: string;
  /** Statistics per interval; default per step. */
  interval?: Interval;
}

export class FluxService {
  readonly #store: FluxStore;

  constructor(store: FluxStore) {
    this.#store = store;
  }

  /** The scenarios in name order; NotFoundError when there is none. */
  scenarios(): DatasetSummary[] {
    const datasets = this.#store.datasets();
    if (datasets.length === 0)
      throw new NotFoundError('No scenarios found', { code: 'NO_SCENARIOS' });
    return datasets;
  }

  /** A scenario's metadata document (dates, bbox, grid, steps or spans, units, stats...). */
  scenario(name: string): MetadataDocument {
    const metadata = this.#store.metadata(name);
    if (metadata === undefined)
      throw new NotFoundError(`Scenario "${name}" not found`, { code: 'SCENARIO_NOT_FOUND' });
    return metadata;
  }

  /** Whether a scenario holds a grid or point retrievals; DatasetNotFoundError when unknown. */
  kind(name: string): ScenarioKind {
    return this.#store.isGridded(name) ? 'gridded' : 'points';
  }

  /** The cells as a MultiPoint, in the order of every map. */
  grid(name: string): GridDocument {
    const cells = this.#store.cells(name);
    const coordinates: Point[] = [];
    for (let cell = 0; cell < cells.length / 2; cell++)
      coordinates.push([cells[2 * cell]!, cells[2 * cell + 1]!]);
    return { type: 'MultiPoint', _id: name, coordinates };
  }

  /** The map at `time` (a step's time, or a time within a step's span). */
  map(name: string, time: Date, options?: { verbose?: false }): MapDocument;
  map(name: string, time: Date, options: { verbose: true }): VerboseMapDocument;
  map(name: string, time: Date, options?: VerboseOption): MapDocument | VerboseMapDocument;
  map(name: string, time: Date, options: VerboseOption = {}): MapDocument | VerboseMapDocument {
    const map = this.#store.map(name, time);
    const timestamp = new Date(map.time).toISOString();
    if (options.verbose === true) {
      const features = cellFeatures(this.#store.cells(name), map.values);
      return { timestamp, type: 'FeatureCollection', features };
    }
    return { timestamp, features: roundAll(map.values), properties: { source: name } };
  }

  /** Per cell, the aggregate of the maps with start <= time < end. */
  aggregateMap(
    name: string,
    range: TimeRange,
    options: AggregateMapOptions & { verbose?: false },
  ): AggregateMapDocument;
  aggregateMap(
    name: string,
    range: TimeRange,
    options: AggregateMapOptions & { verbose: true },
  ): VerboseAggregateMapDocument;
  aggregateMap(
    name: string,
    range: TimeRange,
    options: AggregateMapOptions,
  ): AggregateMapDocument | VerboseAggregateMapDocument;
  aggregateMap(
    name: string,
    { start, end }: TimeRange,
    { aggregate, verbose }: AggregateMapOptions,
  ): AggregateMapDocument | VerboseAggregateMapDocument {
    const { values } = this.#store.aggregateMap(name, { start, end }, { aggregate });
    const timestamp = start.toISOString();
    const properties = { start: timestamp, end: end.toISOString(), aggregate };
    if (verbose === true) {
      const features = cellFeatures(this.#store.cells(name), values);
      return { timestamp, properties, type: 'FeatureCollection', features };
    }
    return { timestamp, properties, features: roundAll(values) };
  }

  /** Point retrievals with start <= time <= end, in time order. */
  points(name: string, range: TimeRange, options?: { verbose?: false }): PointsDocument;
  points(name: string, range: TimeRange, options: { verbose: true }): GeoJsonPointsDocument;
  points(
    name: string,
    range: TimeRange,
    options?: VerboseOption,
  ): PointsDocument | GeoJsonPointsDocument;
  points(
    name: string,
    range: TimeRange,
    options: VerboseOption = {},
  ): PointsDocument | GeoJsonPointsDocument {
    return pointsDocument(name, this.#store.points(name, range), options.verbose === true);
  }

  /** The map at `time` as a GeoTIFF: EPSG:4326, Float32, NaN where no cell is. */
  mapGeoTiff(name: string, time: Date): Buffer {
    const map = this.#store.map(name, time);
    const cells = this.#store.cells(name);
    return Buffer.from(mapToGeoTiff(cells, map.values, this.#store.cellSize(name)));
  }

  /** One value per step (or interval) over every cell, start <= time <= end. */
  timeSeries(
    name: string,
    { start, end }: TimeRange,
    { aggregate, interval }: TimeSeriesOptions,
  ): SeriesDocument {
    this.#requireGrid(name);
    const series = this.#store.seriesAggregate(name, { start, end }, { aggregate, interval });
    return seriesDocument(series, {
      aggregate,
      interval: interval ?? null,
      start: start.toISOString(),
      end: end.toISOString(),
    });
  }

  /** The series at one cell, start <= time <= end: raw, or one aggregate per interval. */
  cellSeries(
    name: string,
    { start, end }: TimeRange,
    { at, aggregate, interval }: CellSeriesOptions,
  ): SeriesDocument {
    this.#requireGrid(name);
    const [x, y] = at;
    const cell = this.#store.cellIndex(name, x, y);
    const coords: Point = [x, y];
    const properties = { start: start.toISOString(), end: end.toISOString(), coords };
    if (aggregate === undefined) {
      if (interval !== undefined) {
        throw new InvalidInputError(`interval needs aggregate (one of ${AGGREGATES.join(', ')})`, {
          code: 'MISSING_PARAMETER',
        });
      }
      return seriesDocument(this.#store.cellSeries(name, { start, end }, { cell }), properties);
    }
    const series =
      interval === undefined
        ? this.#store.cellSeries(name, { start, end }, { cell })
        : this.#store.cellSeriesAggregate(name, { start, end }, { cell, aggregate, interval });
    return seriesDocument(series, { ...properties, aggregate, interval: interval ?? null });
  }

  /**
   * Statistics of a region's cells per step (or interval), start <= time <= end, and over all
   * of it: mean, min, max, population standard deviation, and the number of values.
   */
  regionSeries(
    name: string,
    { start, end }: TimeRange,
    { polygon, geom, interval }: RegionSeriesOptions,
  ): RegionSeriesDocument {
    this.#requireGrid(name);
    const cells = cellsInPolygon(this.#store.cells(name), polygon);
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
        start: start.toISOString(),
        end: end.toISOString(),
        geom: geom ?? toWkt({ type: 'Polygon', coordinates: polygon }),
        interval: interval ?? null,
        allMean: round2(region.all.mean),
        allMax: round2(region.all.max),
        allMin: round2(region.all.min),
        allSTD: round2(region.all.std),
        allN: region.all.n,
      },
    };
  }

  #requireGrid(name: string): void {
    if (this.kind(name) === 'points') throw new SeriesNotSupportedError(name);
  }
}
