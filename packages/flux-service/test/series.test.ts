// Series over [start, end] on the casa grid: one value per step or interval over every cell, and
// the series at one cell, checked against the maps the service answers.
import { fluxDatasets } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import type { Point } from '../src/index.js';
import {
  AGGREGATES,
  aggregateOf,
  ALL_STEPS,
  CASA,
  CASA_TIMES,
  expectRoundedTo,
  range,
  round2,
  thrown,
  useCasaFixture,
} from './helpers.js';

const casa = useCasaFixture([fluxDatasets.casa, fluxDatasets.xco2]);

const DAY = range('2004-06-30Z', '2004-07-01Z');
const YEAR = range('2004-01-01Z', '2004-12-31Z');

describe('timeSeries: every cell', () => {
  for (const aggregate of AGGREGATES) {
    it(`aggregate=${aggregate} gives one value per step over [start, end] inclusive`, () => {
      const series = casa.flux.timeSeries(CASA, range('2004-06-30T03:00Z', '2004-06-30T09:00Z'), {
        aggregate,
      });
      expect(series.seriesT).toEqual(CASA_TIMES.slice(1, 4));
      expect(series.properties).toEqual({
        aggregate,
        interval: null,
        start: '2004-06-30T03:00:00.000Z',
        end: '2004-06-30T09:00:00.000Z',
      });
      series.series.forEach((value, index) => {
        const exact = aggregateOf(casa.maps[index + 1]!, aggregate);
        if (aggregate === 'mean') expectRoundedTo(value, exact);
        else expect(value).toBe(round2(exact));
      });
    });
  }

  it('interval=daily gives one bucket with the true mean of the eight steps', () => {
    const series = casa.flux.timeSeries(CASA, DAY, { aggregate: 'mean', interval: 'daily' });
    expect(series.seriesT).toEqual(['2004-06-30T00:00:00.000Z']);
    expect(series.properties.interval).toBe('daily');
    expectRoundedTo(series.series[0], aggregateOf(casa.maps.flat(), 'mean'));
  });

  it('interval=hourly keeps each step; weekly, monthly and annual give one bucket at their start', () => {
    const hourly = casa.flux.timeSeries(CASA, DAY, { aggregate: 'net', interval: 'hourly' });
    expect(hourly.seriesT).toEqual(CASA_TIMES);
    expect(hourly.series).toEqual(casa.maps.map((map) => round2(aggregateOf(map, 'net'))));
    const buckets = {
      weekly: '2004-06-28T00:00:00.000Z',
      monthly: '2004-06-01T00:00:00.000Z',
      annual: '2004-01-01T00:00:00.000Z',
    } as const;
    for (const [interval, start] of Object.entries(buckets)) {
      for (const aggregate of ['positive', 'min'] as const) {
        const series = casa.flux.timeSeries(CASA, YEAR, {
          aggregate,
          interval: interval as keyof typeof buckets,
        });
        expect(series.seriesT, interval).toEqual([start]);
        expect(series.series).toEqual([round2(aggregateOf(casa.maps.flat(), aggregate))]);
      }
    }
  });

  it('gives an empty series when no step is in the range', () => {
    const series = casa.flux.timeSeries(CASA, range('2005-01-01Z', '2005-02-01Z'), {
      aggregate: 'net',
    });
    expect(series.series).toEqual([]);
    expect(series.seriesT).toEqual([]);
  });
});

describe('cellSeries: one cell', () => {
  it('without aggregate gives the raw series at the cell, equal to the maps', () => {
    const series = casa.flux.cellSeries(CASA, DAY, { at: [-165.5, 61.5] });
    expect(series.series).toEqual(casa.cellValues(1, ALL_STEPS));
    expect(series.seriesT).toEqual(CASA_TIMES);
    expect(series.properties).toEqual({
      start: '2004-06-30T00:00:00.000Z',
      end: '2004-07-01T00:00:00.000Z',
      coords: [-165.5, 61.5],
    });
  });

  it('finds the cell whose extent holds a point off its centre', () => {
    const cell = 1234;
    const [x, y] = casa.coordinates[cell]!;
    const series = casa.flux.cellSeries(CASA, range('2004-06-30T06:00Z', '2004-06-30T15:00Z'), {
      at: [x + 0.3, y - 0.2],
    });
    expect(series.series).toEqual(casa.cellValues(cell, [2, 3, 4, 5]));
    expect(series.seriesT).toEqual(CASA_TIMES.slice(2, 6));
  });

  it('with aggregate but no interval gives the raw series', () => {
    const series = casa.flux.cellSeries(CASA, DAY, { at: [-165.5, 61.5], aggregate: 'max' });
    expect(series.series).toEqual(casa.cellValues(1, ALL_STEPS));
    expect(series.properties).toMatchObject({ aggregate: 'max', interval: null });
  });

  it('with aggregate and daily gives the true aggregate of the cell (not the original (memo+v)/2)', () => {
    // The cell whose eight values vary most: a running (memo+v)/2 is far from its mean.
    let cell = 0;
    let widest = -1;
    casa.coordinates.forEach((_, index) => {
      const values = casa.cellValues(index, ALL_STEPS);
      const spread = Math.max(...values) - Math.min(...values);
      if (spread > widest) [cell, widest] = [index, spread];
    });
    const values = casa.cellValues(cell, ALL_STEPS);
    const halving = values.slice(1).reduce((memo, value) => (memo + value) / 2, values[0]!);
    expect(Math.abs(halving - aggregateOf(values, 'mean'))).toBeGreaterThan(0.05);
    const [x, y] = casa.coordinates[cell]!;
    for (const aggregate of AGGREGATES) {
      const series = casa.flux.cellSeries(CASA, DAY, { at: [x, y], aggregate, interval: 'daily' });
      expect(series.seriesT).toEqual(['2004-06-30T00:00:00.000Z']);
      expect(series.properties).toEqual({
        start: '2004-06-30T00:00:00.000Z',
        end: '2004-07-01T00:00:00.000Z',
        coords: [x, y],
        aggregate,
        interval: 'daily',
      });
      const exact = aggregateOf(values, aggregate);
      if (aggregate === 'mean') expectRoundedTo(series.series[0], exact);
      else expect(series.series).toEqual([round2(exact)]);
    }
  });

  it('hourly keeps every step, including the last; annual gives one bucket', () => {
    const at: Point = [-165.5, 61.5];
    const hourly = casa.flux.cellSeries(CASA, DAY, { at, aggregate: 'mean', interval: 'hourly' });
    expect(hourly.seriesT).toEqual(CASA_TIMES);
    expect(hourly.series).toEqual(casa.cellValues(1, ALL_STEPS));
    const annual = casa.flux.cellSeries(CASA, DAY, {
      at,
      aggregate: 'positive',
      interval: 'annual',
    });
    expect(annual.seriesT).toEqual(['2004-01-01T00:00:00.000Z']);
    expect(annual.series).toEqual([round2(aggregateOf(casa.cellValues(1, ALL_STEPS), 'positive'))]);
  });

  it('is not found outside the grid; an interval needs an aggregate', () => {
    expect(thrown(() => casa.flux.cellSeries(CASA, DAY, { at: [0, 0] }))).toMatchObject({
      kind: 'not-found',
      message: 'Dataset "casa_gfed_2004" has no cell at (0, 0)',
    });
    expect(
      thrown(() => casa.flux.cellSeries(CASA, DAY, { at: [-165.5, 61.5], interval: 'daily' })),
    ).toMatchObject({
      kind: 'invalid-input',
      message: 'interval needs aggregate (one of positive, negative, net, mean, min, max)',
    });
  });
});

describe('series of point retrievals', () => {
  it('are not implemented, and an unknown scenario is not found', () => {
    const days = range('2009-06-15Z', '2009-06-20Z');
    const message = 'Scenario "xco2" holds point retrievals: time series are for gridded scenarios';
    expect(thrown(() => casa.flux.timeSeries('xco2', days, { aggregate: 'mean' }))).toMatchObject({
      kind: 'not-implemented',
      message,
    });
    expect(thrown(() => casa.flux.cellSeries('xco2', days, { at: [0, 0] }))).toMatchObject({
      kind: 'not-implemented',
      message,
    });
    expect(
      thrown(() =>
        casa.flux.regionSeries('xco2', days, {
          polygon: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        }),
      ),
    ).toMatchObject({ kind: 'not-implemented', message });
    expect(thrown(() => casa.flux.timeSeries('nope', days, { aggregate: 'mean' }))).toMatchObject({
      kind: 'not-found',
    });
  });
});
