// The store's numbers and times written as the API's documents give them.
import type { PointRecord, TimeSeries } from '@geoworks/flux-store';
import type {
  CellFeature,
  GeoJsonPointsDocument,
  PointsDocument,
  Rounded,
  SeriesDocument,
  SeriesProperties,
} from './documents.js';

/**
 * A number as the API writes it: two decimals, and null where a cell or interval has no value
 * (JSON has no NaN).
 */
export function round2(value: number): Rounded {
  if (!Number.isFinite(value)) return null;
  const rounded = Math.round(Math.abs(value) * 100) / 100;
  return value < 0 && rounded !== 0 ? -rounded : rounded;
}

export const roundAll = (values: ArrayLike<number>): Rounded[] => Array.from(values, round2);

export const isoAll = (times: number[]): string[] =>
  times.map((time) => new Date(time).toISOString());

/** The cells that have a value, as point features. */
export function cellFeatures(cells: Float64Array, values: Float64Array): CellFeature[] {
  const features: CellFeature[] = [];
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
  return features;
}

export function seriesDocument(series: TimeSeries, properties: SeriesProperties): SeriesDocument {
  return { series: roundAll(series.values), seriesT: isoAll(series.times), properties };
}

export function pointsDocument(
  name: string,
  points: PointRecord[],
  verbose: boolean,
): PointsDocument | GeoJsonPointsDocument {
  const rounded = (properties: Record<string, number | null>): Record<string, Rounded> =>
    Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [
        key,
        value === null ? null : round2(value),
      ]),
    );
  if (verbose) {
    const document: GeoJsonPointsDocument = {
      type: 'FeatureCollection',
      features: points.map((point) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [point.x, point.y] },
        properties: { timestamp: new Date(point.time).toISOString(), ...rounded(point.properties) },
      })),
      properties: { source: name },
    };
    return document;
  }
  const document: PointsDocument = {
    features: points.map((point) => ({
      timestamp: new Date(point.time).toISOString(),
      coordinates: [point.x, point.y],
      properties: rounded(point.properties),
    })),
    properties: { source: name },
  };
  return document;
}
