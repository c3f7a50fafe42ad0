// Loads into the store (store/load.ts): rounding, exact statistics, one transaction per load.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { gridLoad, HOUR, T0, useStore } from './helpers.js';

const context = useStore();

describe('FluxStore loads', () => {
  it('stores maps rounded to the precision and reads them back in cell order', async () => {
    const summary = await context.store.load(
      'grid',
      gridLoad({ steps: 3, value: (cell, step) => cell * 1.005 + step * 0.123456 }),
    );
    expect(summary).toEqual({ dataset: 'grid', records: 3, totalRecords: 3, values: 18 });
    const map = context.store.map('grid', new Date(T0 + 3 * HOUR));
    expect(map.time).toBe(T0 + 3 * HOUR);
    expect(Array.from(map.values)).toEqual([0.12, 1.13, 2.13, 3.14, 4.14, 5.15]);
    expect(Array.from(context.store.cells('grid'))).toEqual([
      0.5, 0.5, 1.5, 0.5, 2.5, 0.5, 0.5, 1.5, 1.5, 1.5, 2.5, 1.5,
    ]);
    expect(context.store.times('grid')).toEqual([T0, T0 + 3 * HOUR, T0 + 6 * HOUR]);
    expect(() => context.store.map('grid', new Date(T0 + HOUR))).toThrow(
      'Dataset "grid" has no data at 2004-06-28T01:00:00.000Z',
    );
  });

  it('keeps exact statistics over every value, refreshed by every load', async () => {
    const value = (cell: number, step: number) => ((cell * 7 + step * 13) % 11) - 4.25;
    await context.store.load('grid', gridLoad({ steps: 5, value }));
    await context.store.load(
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
    const stats = context.store.metadata('grid')!.stats.values!;
    expect(stats.mean).toBeCloseTo(mean, 12);
    expect(stats.std).toBeCloseTo(std, 12);
    expect(stats.median).toBe(median);
    expect(stats.min).toBe(all[0]);
    expect(stats.max).toBe(all.at(-1));
    const document = context.store.metadata('grid')!;
    expect(document.dates).toEqual([
      '2004-06-28T00:00:00',
      '2004-06-28T12:00:00',
      '2004-06-28T15:00:00',
      '2004-06-28T21:00:00',
    ]);
    expect(context.store.recordCount('grid')).toBe(8);
  });

  it('refuses a step that exists, leaving the dataset as it was', async () => {
    await context.store.load('grid', gridLoad({ steps: 4 }));
    const before = context.store.metadata('grid');
    await expect(
      context.store.load('grid', gridLoad({ steps: 2, first: T0 + 9 * HOUR })),
    ).rejects.toThrow(
      'Dataset "grid" already has a time step at 2004-06-28T09:00:00: nothing was loaded',
    );
    expect(context.store.recordCount('grid')).toBe(4);
    expect(context.store.metadata('grid')).toEqual(before);
  });

  it('refuses a later load on other cells (the original mixed grids silently)', async () => {
    await context.store.load('grid', gridLoad({ steps: 1 }));
    await expect(
      context.store.load(
        'grid',
        gridLoad({
          steps: 1,
          first: T0 + 3 * HOUR,
          cells: [0.5, 0.5, 1.5, 0.5, 2.5, 0.5, 0.5, 1.5, 1.5, 1.5, 3.5, 1.5],
        }),
      ),
    ).rejects.toThrow('Dataset "grid" is indexed on 6 other cells');
    expect(context.store.recordCount('grid')).toBe(1);
  });

  it('leaves nothing behind when the reader fails half-way through a load', async () => {
    await expect(
      context.store.load('fresh', gridLoad({ steps: 200, failAt: 150 })),
    ).rejects.toThrow('the reader failed half-way');
    expect(context.store.list('collections')).toEqual([]);
    expect(context.store.list('metadata')).toEqual([]);
    expect(context.store.list('coord_index')).toEqual([]);
    const raw = new BetterSqlite3(join(context.dir, 'flux.sqlite'), { readonly: true });
    for (const table of ['grid_steps', 'grid_blocks', 'step_summaries', 'value_counts', 'points']) {
      expect((raw.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n).toBe(0);
    }
    raw.close();
  });

  it('refuses reserved and malformed names', async () => {
    for (const name of ['coord_index', 'metadata', 'summary_stats']) {
      await expect(context.store.load(name, gridLoad({ steps: 1 }))).rejects.toThrow(
        `Invalid dataset name "${name}": the name is reserved`,
      );
    }
    await expect(context.store.load('../etc', gridLoad({ steps: 1 }))).rejects.toThrow(
      'Invalid dataset name "../etc"',
    );
    await expect(context.store.load('', gridLoad({ steps: 1 }))).rejects.toThrow('it is empty');
  });

  it('keeps values that do not fit 32-bit integers, and missing values', async () => {
    await context.store.load(
      'wide',
      gridLoad({
        steps: 2,
        value: (cell, step) => (cell === 1 ? NaN : cell === 2 ? 3e9 + step : cell),
      }),
    );
    expect(Array.from(context.store.map('wide', new Date(T0 + 3 * HOUR)).values)).toEqual([
      0,
      NaN,
      3e9 + 1,
      3,
      4,
      5,
    ]);
    const stats = context.store.metadata('wide')!.stats.values!;
    expect(stats.max).toBe(3e9 + 1);
    expect(stats.min).toBe(0);
  });
});
