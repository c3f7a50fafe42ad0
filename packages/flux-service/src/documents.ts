// The answers of the flux API, shaped as the original flux-server sent them (the flux-client
// reads them so), as typed documents. Numbers are rounded to two decimals, and `null` stands for
// a cell or interval without a value (JSON has no NaN); times are ISO 8601 in UTC.
import type { Aggregate, Interval } from '@geoworks/flux-store';

/** A value as the API writes it: two decimals, or null where there is none. */
export type Rounded = number | null;

/** A point, (x, y) = (longitude, latitude). */
export type Point = [x: number, y: number];

/** A polygon: closed rings of points, the first its outline and the others holes. */
export type Polygon = Point[][];

/** The kind of data a scenario holds: a value per cell and time step, or point retrievals. */
export type ScenarioKind = 'gridded' | 'points';

/** `grid.json`: the cells, in the order of every map's values. */
export interface GridDocument {
  type: 'MultiPoint';
  _id: string;
  coordinates: Point[];
}

/** A cell with a value, in a verbose map. */
export interface CellFeature {
  type: 'Point';
  coordinates: Point;
  properties: { v: number };
}

/** A map at a time: one value per cell, in the grid's order. */
export interface MapDocument {
  timestamp: string;
  features: Rounded[];
  properties: { source: string };
}

/** A map at a time, verbose: the cells with a value (zeros included) as features. */
export interface VerboseMapDocument {
  timestamp: string;
  type: 'FeatureCollection';
  features: CellFeature[];
}

export interface AggregateMapProperties {
  start: string;
  end: string;
  aggregate: Aggregate;
}

/** A map aggregated over start <= time < end: one value per cell; `timestamp` is `start`. */
export interface AggregateMapDocument {
  timestamp: string;
  properties: AggregateMapProperties;
  features: Rounded[];
}

/** An aggregate map, verbose: the cells with a value as features. */
export interface VerboseAggregateMapDocument {
  timestamp: string;
  properties: AggregateMapProperties;
  type: 'FeatureCollection';
  features: CellFeature[];
}

/** Point retrievals in time order. */
export interface PointsDocument {
  features: { timestamp: string; coordinates: Point; properties: Record<string, Rounded> }[];
  properties: { source: string };
}

/** Point retrievals as GeoJSON, the time a property of each feature. */
export interface GeoJsonPointsDocument {
  type: 'FeatureCollection';
  features: {
    type: 'Feature';
    geometry: { type: 'Point'; coordinates: Point };
    properties: Record<string, string | Rounded>;
  }[];
  properties: { source: string };
}

/** What a series was asked for, echoed with it. */
export interface SeriesProperties {
  start: string;
  end: string;
  /** The cell's coordinates, as asked (a cell series). */
  coords?: Point;
  aggregate?: Aggregate;
  interval?: Interval | null;
}

/** A series: its values and their times (or the start of each interval). */
export interface SeriesDocument {
  series: Rounded[];
  seriesT: string[];
  properties: SeriesProperties;
}

/** A region's statistics per step or interval, and over all of it (std: the population one). */
export interface RegionSeriesDocument {
  seriesMean: Rounded[];
  seriesMin: Rounded[];
  seriesMax: Rounded[];
  seriesSTD: Rounded[];
  seriesN: number[];
  seriesT: string[];
  properties: {
    start: string;
    end: string;
    geom: string;
    interval: Interval | null;
    allMean: Rounded;
    allMax: Rounded;
    allMin: Rounded;
    allSTD: Rounded;
    allN: number;
  };
}
