// The store's queries (store/query.ts, store/datasets.ts) over a grid of 128 steps in several
// time blocks, checked against the values the test loads.
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FluxStore } from '../src/index.js';
import { gridLoad, HOUR, T0, useStore } from './helpers.js';

const context = useStore();

describe('FluxStore queries', () => {
  // 16 days of three-hourly steps from Monday 2004-06-28 (128 steps: two time blocks and more).
  const value = (cell: number, step: number) => Math.round(Math.sin(cell + step / 3) * 1000) / 100;
  const STEPS = 16 * 8;
  beforeEach(async () => {
    await context.store.load('grid', gridLoad({ steps: STEPS, value }));
  });

  it('aggregates maps over start <= time < end', () => {
    const start = new Date(T0 + 3 * HOUR);
    const end = new Date(T0 + 12 * HOUR); // steps 1, 2, 3
    const cases = {
      net: (v: number[]) => v.reduce((a, b) => a + b, 0),
      mean: (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length,
      positive: (v: number[]) => v.filter((x) => x > 0).reduce((a, b) => a + b, 0),
      negative: (v: number[]) => v.filter((x) => x < 0).reduce((a, b) => a + b, 0),
      min: (v: number[]) => Math.min(...v),
      max: (v: number[]) => Math.max(...v),
    } as const;
    for (const [aggregate, reduce] of Object.entries(cases)) {
      const result = context.store.aggregateMap(
        'grid',
        { start, end },
        { aggregate: aggregate as keyof typeof cases },
      );
      expect(result.steps).toBe(3);
      for (let cell = 0; cell < 6; cell++) {
        expect(result.values[cell]).toBeCloseTo(
          reduce([1, 2, 3].map((step) => value(cell, step))),
          9,
        );
      }
    }
  });

  it('reads a cell series, inclusive at both ends, across time blocks', () => {
    const series = context.store.cellSeries(
      'grid',
      { start: new Date(T0 + 60 * 3 * HOUR), end: new Date(T0 + 70 * 3 * HOUR) },
      { cell: 4 },
    );
    expect(series.times).toEqual(Array.from({ length: 11 }, (_, i) => T0 + (60 + i) * 3 * HOUR));
    expect(series.values).toEqual(Array.from({ length: 11 }, (_, i) => value(4, 60 + i)));
    expect(context.store.cellIndex('grid', 1.5, 1.5)).toBe(4);
    expect(context.store.cellIndex('grid', 1.9, 1.2)).toBe(4);
    expect(() => context.store.cellIndex('grid', 10, 10)).toThrow(
      'Dataset "grid" has no cell at (10, 10)',
    );
  });

  it('buckets series by hour, day, ISO week, month and year without dropping the last bucket', () => {
    const start = new Date(T0);
    const end = new Date(T0 + (STEPS - 1) * 3 * HOUR);
    const daily = context.store.cellSeriesAggregate(
      'grid',
      { start, end },
      { cell: 2, aggregate: 'mean', interval: 'daily' },
    );
    expect(daily.times).toHaveLength(16);
    expect(daily.times[15]).toBe(Date.UTC(2004, 6, 13));
    const day15 = Array.from({ length: 8 }, (_, i) => value(2, 15 * 8 + i));
    expect(daily.values[15]).toBeCloseTo(day15.reduce((a, b) => a + b, 0) / 8, 12);
    const weekly = context.store.cellSeriesAggregate(
      'grid',
      { start, end },
      { cell: 2, aggregate: 'max', interval: 'weekly' },
    );
    expect(weekly.times).toEqual([
      Date.UTC(2004, 5, 28),
      Date.UTC(2004, 6, 5),
      Date.UTC(2004, 6, 12),
    ]);
    expect(weekly.values[2]).toBe(
      Math.max(...Array.from({ length: 16 }, (_, i) => value(2, 14 * 8 + i))),
    );
    const monthly = context.store.cellSeriesAggregate(
      'grid',
      { start, end },
      { cell: 2, aggregate: 'net', interval: 'monthly' },
    );
    expect(monthly.times).toEqual([Date.UTC(2004, 5, 1), Date.UTC(2004, 6, 1)]);
    const annual = context.store.cellSeriesAggregate(
      'grid',
      { start, end },
      { cell: 2, aggregate: 'min', interval: 'annual' },
    );
    expect(annual.times).toEqual([Date.UTC(2004, 0, 1)]);
    expect(annual.values[0]).toBe(
      Math.min(...Array.from({ length: STEPS }, (_, i) => value(2, i))),
    );
    const hourly = context.store.cellSeriesAggregate(
      'grid',
      { start, end: new Date(T0 + 6 * HOUR) },
      { cell: 2, aggregate: 'net', interval: 'hourly' },
    );
    expect(hourly.times).toEqual([T0, T0 + 3 * HOUR, T0 + 6 * HOUR]);
  });

  it('aggregates every cell per interval from the step summaries', () => {
    const start = new Date(T0);
    const end = new Date(T0 + 7 * 3 * HOUR); // the first day
    const all = Array.from({ length: 8 }, (_, step) =>
      Array.from({ length: 6 }, (_, cell) => value(cell, step)),
    ).flat();
    const daily = (aggregate: 'positive' | 'negative' | 'net' | 'mean' | 'min' | 'max') =>
      context.store.seriesAggregate('grid', { start, end }, { aggregate, interval: 'daily' })
        .values[0]!;
    expect(daily('net')).toBeCloseTo(
      all.reduce((a, b) => a + b, 0),
      9,
    );
    expect(daily('positive')).toBeCloseTo(
      all.filter((v) => v > 0).reduce((a, b) => a + b, 0),
      9,
    );
    expect(daily('negative')).toBeCloseTo(
      all.filter((v) => v < 0).reduce((a, b) => a + b, 0),
      9,
    );
    expect(daily('mean')).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 12);
    expect(daily('min')).toBe(Math.min(...all));
    expect(daily('max')).toBe(Math.max(...all));
    const perStep = context.store.seriesAggregate('grid', { start, end }, { aggregate: 'net' });
    expect(perStep.times).toHaveLength(8);
    expect(perStep.values[3]).toBeCloseTo(
      [0, 1, 2, 3, 4, 5].reduce((sum, cell) => sum + value(cell, 3), 0),
      9,
    );
  });

  it('gives region statistics per step and over the whole, with the population std', () => {
    const cells = [0, 1, 4];
    const start = new Date(T0 + 62 * 3 * HOUR);
    const end = new Date(T0 + 66 * 3 * HOUR);
    const region = context.store.regionSeries('grid', { start, end }, { cells });
    expect(region.times).toHaveLength(5);
    const at = cells.map((cell) => value(cell, 64));
    const mean = at.reduce((a, b) => a + b, 0) / 3;
    expect(region.mean[2]).toBeCloseTo(mean, 12);
    expect(region.std[2]).toBeCloseTo(
      Math.sqrt(at.reduce((s, v) => s + (v - mean) ** 2, 0) / 3),
      12,
    );
    expect(region.n).toEqual([3, 3, 3, 3, 3]);
    expect(region.all.n).toBe(15);
    expect(region.all.max).toBe(
      Math.max(...[62, 63, 64, 65, 66].flatMap((step) => cells.map((cell) => value(cell, step)))),
    );
  });

  it('sees a load committed by another connection without reopening', async () => {
    expect(context.store.datasets()).toEqual([{ _id: 'grid', title: 'Test grid', gridded: true }]);
    const other = FluxStore.open(join(context.dir, 'flux.sqlite'));
    await other.load('second', gridLoad({ steps: 1 }));
    other.close();
    expect(context.store.datasets().map((dataset) => dataset._id)).toEqual(['grid', 'second']);
    expect(context.store.map('second', new Date(T0)).values).toHaveLength(6);
  });
});
