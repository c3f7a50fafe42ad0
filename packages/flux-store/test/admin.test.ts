// Point retrievals, and the administration of datasets (store/admin.ts): rename, remove, audit.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { PointsLoad } from '../src/index.js';
import { gridLoad, useStore } from './helpers.js';

const context = useStore();

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
    await context.store.load('xco2', points());
    const found = context.store.points('xco2', {
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
    expect(context.store.metadata('xco2')!.stats.value!.mean).toBeCloseTo(
      (386.79 + 387.2 + 385) / 3,
      12,
    );
    expect(context.store.metadata('xco2')!.stats.error!.median).toBeCloseTo(1.555, 12);
    expect(() => context.store.map('xco2', new Date(Date.UTC(2009, 5, 15)))).toThrow(
      'holds point retrievals',
    );
  });

  it('renames and removes datasets with their entries, and audits them', async () => {
    await context.store.load('grid', gridLoad({ steps: 2 }));
    await context.store.load('xco2', points());
    expect(context.store.list('collections', { counts: true })).toEqual([
      { name: 'grid', count: 2 },
      { name: 'xco2', count: 3 },
    ]);
    context.store.rename('grid', 'casa');
    expect(context.store.metadata('casa')!._id).toBe('casa');
    expect(context.store.list('coord_index')).toEqual([{ name: 'casa' }]);
    expect(() => context.store.rename('casa', 'xco2')).toThrow(
      'A dataset named "xco2" exists already',
    );
    expect(() => context.store.rename('nothing', 'other')).toThrow('No dataset "nothing"');
    expect(context.store.audit()).toEqual([]);
    const raw = new BetterSqlite3(join(context.dir, 'flux.sqlite'));
    raw.prepare('DELETE FROM metadata WHERE name = ?').run('casa');
    raw.prepare("INSERT INTO coord_index (name, cells) VALUES ('ghost', x'00')").run();
    raw.close();
    expect(context.store.audit()).toEqual([
      'INCONSISTENCY FOUND: missing metadata entry for collection ID "casa"',
      'INCONSISTENCY FOUND: stale entry for collection ID "ghost" in coord_index',
    ]);
    expect(context.store.remove('casa')).toBe(true);
    expect(context.store.remove('ghost')).toBe(true);
    expect(context.store.remove('casa')).toBe(false);
    expect(context.store.list('collections')).toEqual([{ name: 'xco2' }]);
    expect(context.store.audit()).toEqual([]);
  });
});
