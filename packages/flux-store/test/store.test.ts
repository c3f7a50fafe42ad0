import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FluxStore,
  type DatasetMetadata,
  type GriddedLoad,
  type GriddedStep,
  type PointsLoad,
} from '../src/index.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2004, 5, 28, 0); // a Monday

/** A 3 x 2 grid (cells in row order) with `steps` three-hourly maps given by `value(cell, step)`. */
function gridLoad(
  options: {
    steps: number;
    first?: number;
    value?: (cell: number, step: number) => number;
    cells?: number[];
    failAt?: number;
    precision?: number;
  } = { steps: 4 },
): GriddedLoad {
  const cells = Float64Array.from(
    options.cells ?? [0.5, 0.5, 1.5, 0.5, 2.5, 0.5, 0.5, 1.5, 1.5, 1.5, 2.5, 1.5],
  );
  const count = cells.length / 2;
  const first = options.first ?? T0;
  const value = options.value ?? ((cell: number, step: number) => cell - 2 + step / 10);
  function* steps(): Generator<GriddedStep> {
    for (let step = 0; step < options.steps; step++) {
      if (step === options.failAt) throw new Error('the reader failed half-way');
      yield {
        time: new Date(first + step * 3 * HOUR),
        values: { values: Float64Array.from({ length: count }, (_, cell) => value(cell, step)) },
      };
    }
  }
  const metadata: DatasetMetadata = {
    gridded: true,
    grid: { units: 'degrees', x: 1, y: 1 },
    title: 'Test grid',
    units: {},
    steps: [10800],
    dates: [
      new Date(first).toISOString().slice(0, 19),
      new Date(first + (options.steps - 1) * 3 * HOUR).toISOString().slice(0, 19),
    ],
    precision: options.precision ?? 2,
  };
  return {
    kind: 'gridded',
    metadata,
    parameters: ['values'],
    cells,
    precision: { values: options.precision ?? 2 },
    stepCount: options.steps,
    steps: steps(),
  };
}

let dir: string;
let store: FluxStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flux-store-'));
  store = FluxStore.open(join(dir, 'flux.sqlite'));
});
afterEach(() => store.close());

describe('FluxStore loads', () => {
  it('stores maps rounded to the precision and reads them back in cell order', async () => {
    const summary = await store.load(
      'grid',
      gridLoad({ steps: 3, value: (cell, step) => cell * 1.005 + step * 0.123456 }),
    );
    expect(summary).toEqual({ dataset: 'grid', records: 3, totalRecords: 3, values: 18 });
    const map = store.map('grid', new Date(T0 + 3 * HOUR));
    expect(map.time).toBe(T0 + 3 * HOUR);
    expect(Array.from(map.values)).toEqual([0.12, 1.13, 2.13, 3.14, 4.14, 5.15]);
    expect(Array.from(store.cells('grid'))).toEqual([
      0.5, 0.5, 1.5, 0.5, 2.5, 0.5, 0.5, 1.5, 1.5, 1.5, 2.5, 1.5,
    ]);
    expect(store.times('grid')).toEqual([T0, T0 + 3 * HOUR, T0 + 6 * HOUR]);
    expect(() => store.map('grid', new Date(T0 + HOUR))).toThrow(
      'Dataset "grid" has no data at 2004-06-28T01:00:00.000Z',
    );
  });

  it('keeps exact statistics over every value, refreshed by every load', async () => {
    const value = (cell: number, step: number) => ((cell * 7 + step * 13) % 11) - 4.25;
    await store.load('grid', gridLoad({ steps: 5, value }));
    await store.load(
      'grid',
      gridLoad({ steps: 3, first: T0 + 15 * HOUR, value: (cell, step) => value(cell, step) * 3 }),
    );
    const all: number[] = [];
    for (let step = 0; step < 5; step++)
      for (let cell = 0; cell < 6; cell++) all.push(value(cell, step));
    for (let step = 0; step < 3; step++)
      for (let cell = 0; cell < 6; cell++) all.push(value(cell, step) * 3);
    all.sort((a, b) => a - b);
    const mean = all.reduce((sum, v) => sum + v, 0) / all.length;
    const std = Math.sqrt(all.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (all.length - 1));
    const median = (all[23]! + all[24]!) / 2;
    const stats = store.metadata('grid')!.stats.values!;
    expect(stats.mean).toBeCloseTo(mean, 12);
    expect(stats.std).toBeCloseTo(std, 12);
    expect(stats.median).toBe(median);
    expect(stats.min).toBe(all[0]);
    expect(stats.max).toBe(all.at(-1));
    const document = store.metadata('grid')!;
    expect(document.dates).toEqual([
      '2004-06-28T00:00:00',
      '2004-06-28T12:00:00',
      '2004-06-28T15:00:00',
      '2004-06-28T21:00:00',
    ]);
    expect(store.recordCount('grid')).toBe(8);
  });

  it('refuses a step that exists, leaving the dataset as it was', async () => {
    await store.load('grid', gridLoad({ steps: 4 }));
    const before = store.metadata('grid');
    await expect(store.load('grid', gridLoad({ steps: 2, first: T0 + 9 * HOUR }))).rejects.toThrow(
      'Dataset "grid" already has a time step at 2004-06-28T09:00:00: nothing was loaded',
    );
    expect(store.recordCount('grid')).toBe(4);
    expect(store.metadata('grid')).toEqual(before);
  });

  it('refuses a later load on other cells (the original mixed grids silently)', async () => {
    await store.load('grid', gridLoad({ steps: 1 }));
    await expect(
      store.load(
        'grid',
        gridLoad({
          steps: 1,
          first: T0 + 3 * HOUR,
          cells: [0.5, 0.5, 1.5, 0.5, 2.5, 0.5, 0.5, 1.5, 1.5, 1.5, 3.5, 1.5],
        }),
      ),
    ).rejects.toThrow('Dataset "grid" is indexed on 6 other cells');
    expect(store.recordCount('grid')).toBe(1);
  });

  it('leaves nothing behind when the reader fails half-way through a load', async () => {
    await expect(store.load('fresh', gridLoad({ steps: 200, failAt: 150 }))).rejects.toThrow(
      'the reader failed half-way',
    );
    expect(store.list('collections')).toEqual([]);
    expect(store.list('metadata')).toEqual([]);
    expect(store.list('coord_index')).toEqual([]);
    const raw = new BetterSqlite3(join(dir, 'flux.sqlite'), { readonly: true });
    for (const table of ['grid_steps', 'grid_blocks', 'step_summaries', 'value_counts', 'points']) {
      expect((raw.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n).toBe(0);
    }
    raw.close();
  });

  it('refuses reserved and malformed names', async () => {
    for (const name of ['coord_index', 'metadata', 'summary_stats']) {
      await expect(store.load(name, gridLoad({ steps: 1 }))).rejects.toThrow(
        `Invalid dataset name "${name}": the name is reserved`,
      );
    }
    await expect(store.load('../etc', gridLoad({ steps: 1 }))).rejects.toThrow(
      'Invalid dataset name "../etc"',
    );
    await expect(store.load('', gridLoad({ steps: 1 }))).rejects.toThrow('it is empty');
  });

  it('keeps values that do not fit 32-bit integers, and missing values', async () => {
    await store.load(
      'wide',
      gridLoad({
        steps: 2,
        value: (cell, step) => (cell === 1 ? NaN : cell === 2 ? 3e9 + step : cell),
      }),
    );
    expect(Array.from(store.map('wide', new Date(T0 + 3 * HOUR)).values)).toEqual([
      0,
      NaN,
      3e9 + 1,
      3,
      4,
      5,
    ]);
    const stats = store.metadata('wide')!.stats.values!;
    expect(stats.max).toBe(3e9 + 1);
    expect(stats.min).toBe(0);
  });
});

describe('FluxStore queries', () => {
  // 16 days of three-hourly steps from Monday 2004-06-28 (128 steps: two time blocks and more).
  const value = (cell: number, step: number) => Math.round(Math.sin(cell + step / 3) * 1000) / 100;
  const STEPS = 16 * 8;
  beforeEach(async () => {
    await store.load('grid', gridLoad({ steps: STEPS, value }));
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
      const result = store.aggregateMap(
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
    const series = store.cellSeries(
      'grid',
      { start: new Date(T0 + 60 * 3 * HOUR), end: new Date(T0 + 70 * 3 * HOUR) },
      { cell: 4 },
    );
    expect(series.times).toEqual(Array.from({ length: 11 }, (_, i) => T0 + (60 + i) * 3 * HOUR));
    expect(series.values).toEqual(Array.from({ length: 11 }, (_, i) => value(4, 60 + i)));
    expect(store.cellIndex('grid', 1.5, 1.5)).toBe(4);
    expect(store.cellIndex('grid', 1.9, 1.2)).toBe(4);
    expect(() => store.cellIndex('grid', 10, 10)).toThrow('Dataset "grid" has no cell at (10, 10)');
  });

  it('buckets series by hour, day, ISO week, month and year without dropping the last bucket', () => {
    const start = new Date(T0);
    const end = new Date(T0 + (STEPS - 1) * 3 * HOUR);
    const daily = store.cellSeriesAggregate(
      'grid',
      { start, end },
      { cell: 2, aggregate: 'mean', interval: 'daily' },
    );
    expect(daily.times).toHaveLength(16);
    expect(daily.times[15]).toBe(Date.UTC(2004, 6, 13));
    const day15 = Array.from({ length: 8 }, (_, i) => value(2, 15 * 8 + i));
    expect(daily.values[15]).toBeCloseTo(day15.reduce((a, b) => a + b, 0) / 8, 12);
    const weekly = store.cellSeriesAggregate(
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
    const monthly = store.cellSeriesAggregate(
      'grid',
      { start, end },
      { cell: 2, aggregate: 'net', interval: 'monthly' },
    );
    expect(monthly.times).toEqual([Date.UTC(2004, 5, 1), Date.UTC(2004, 6, 1)]);
    const annual = store.cellSeriesAggregate(
      'grid',
      { start, end },
      { cell: 2, aggregate: 'min', interval: 'annual' },
    );
    expect(annual.times).toEqual([Date.UTC(2004, 0, 1)]);
    expect(annual.values[0]).toBe(
      Math.min(...Array.from({ length: STEPS }, (_, i) => value(2, i))),
    );
    const hourly = store.cellSeriesAggregate(
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
      store.seriesAggregate('grid', { start, end }, { aggregate, interval: 'daily' }).values[0]!;
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
    const perStep = store.seriesAggregate('grid', { start, end }, { aggregate: 'net' });
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
    const region = store.regionSeries('grid', { start, end }, { cells });
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
    expect(store.datasets()).toEqual([{ _id: 'grid', title: 'Test grid', gridded: true }]);
    const other = FluxStore.open(join(dir, 'flux.sqlite'));
    await other.load('second', gridLoad({ steps: 1 }));
    other.close();
    expect(store.datasets().map((dataset) => dataset._id)).toEqual(['grid', 'second']);
    expect(store.map('second', new Date(T0)).values).toHaveLength(6);
  });
});

describe('FluxStore points and administration', () => {
  const points = (): PointsLoad => ({
    kind: 'points',
    metadata: {
      gridded: false,
      grid: {},
      title: 'Points',
      units: { value: 'ppm' },
      dates: ['2009-06-15T00:00:00', '2009-06-16T00:00:00'],
    },
    parameters: ['value', 'error'],
    precision: { value: 2, error: 2 },
    times: Float64Array.from([Date.UTC(2009, 5, 15), Date.UTC(2009, 5, 15), Date.UTC(2009, 5, 16)]),
    x: Float64Array.from([-100.25, -99.5, 10]),
    y: Float64Array.from([40, 41, 42]),
    properties: {
      value: Float64Array.from([386.789, 387.2, 385]),
      error: Float64Array.from([1.111, 2, NaN]),
    },
  });

  it('stores point retrievals and finds them by time', async () => {
    await store.load('xco2', points());
    const found = store.points('xco2', {
      start: new Date(Date.UTC(2009, 5, 15)),
      end: new Date(Date.UTC(2009, 5, 15, 12)),
    });
    expect(found).toEqual([
      {
        time: Date.UTC(2009, 5, 15),
        x: -100.25,
        y: 40,
        properties: { value: 386.79, error: 1.11 },
      },
      { time: Date.UTC(2009, 5, 15), x: -99.5, y: 41, properties: { value: 387.2, error: 2 } },
    ]);
    expect(store.metadata('xco2')!.stats.value!.mean).toBeCloseTo((386.79 + 387.2 + 385) / 3, 12);
    expect(store.metadata('xco2')!.stats.error!.median).toBeCloseTo(1.555, 12);
    expect(() => store.map('xco2', new Date(Date.UTC(2009, 5, 15)))).toThrow(
      'holds point retrievals',
    );
  });

  it('renames and removes datasets with their entries, and audits them', async () => {
    await store.load('grid', gridLoad({ steps: 2 }));
    await store.load('xco2', points());
    expect(store.list('collections', { counts: true })).toEqual([
      { name: 'grid', count: 2 },
      { name: 'xco2', count: 3 },
    ]);
    store.rename('grid', 'casa');
    expect(store.metadata('casa')!._id).toBe('casa');
    expect(store.list('coord_index')).toEqual([{ name: 'casa' }]);
    expect(() => store.rename('casa', 'xco2')).toThrow('A dataset named "xco2" exists already');
    expect(() => store.rename('nothing', 'other')).toThrow('No dataset "nothing"');
    expect(store.audit()).toEqual([]);
    const raw = new BetterSqlite3(join(dir, 'flux.sqlite'));
    raw.prepare('DELETE FROM metadata WHERE name = ?').run('casa');
    raw.prepare("INSERT INTO coord_index (name, cells) VALUES ('ghost', x'00')").run();
    raw.close();
    expect(store.audit()).toEqual([
      'INCONSISTENCY FOUND: missing metadata entry for collection ID "casa"',
      'INCONSISTENCY FOUND: stale entry for collection ID "ghost" in coord_index',
    ]);
    expect(store.remove('casa')).toBe(true);
    expect(store.remove('ghost')).toBe(true);
    expect(store.remove('casa')).toBe(false);
    expect(store.list('collections')).toEqual([{ name: 'xco2' }]);
    expect(store.audit()).toEqual([]);
  });
});
