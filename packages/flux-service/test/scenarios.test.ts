// The scenarios, their metadata documents and grids, on the original's three test files.
import { FluxStore } from '@geoworks/flux-store';
import { fluxDatasets } from '@geoworks/test-fixtures';
import { describe, expect, it } from 'vitest';
import { CASA, openFixture, range, statsOf, thrown, useCasaFixture } from './helpers.js';

const casa = useCasaFixture(Object.values(fluxDatasets));

describe('scenarios', () => {
  it('lists the scenarios sorted by _id as {_id, title, gridded}', () => {
    expect(casa.flux.scenarios()).toEqual([
      { _id: 'casa_gfed_2004', title: 'Surface Carbon Flux', gridded: true },
      { _id: 'kriged', title: '', gridded: true },
      { _id: 'xco2', title: '', gridded: false },
    ]);
  });

  it('is not found when the database holds no scenario', async () => {
    const empty = await openFixture([]);
    try {
      expect(thrown(() => empty.flux.scenarios())).toMatchObject({
        kind: 'not-found',
        message: 'No scenarios found',
      });
    } finally {
      empty.close();
    }
  });

  it('tells a grid from point retrievals, and an unknown scenario', () => {
    expect(casa.flux.kind(CASA)).toBe('gridded');
    expect(casa.flux.kind('kriged')).toBe('gridded');
    expect(casa.flux.kind('xco2')).toBe('points');
    expect(thrown(() => casa.flux.kind('nope'))).toMatchObject({
      kind: 'not-found',
      message: 'No dataset "nope"',
    });
  });

  it('sees a scenario loaded by another connection, without reopening', async () => {
    const late = await openFixture([fluxDatasets.xco2]);
    try {
      expect(late.flux.scenarios().map((scenario) => scenario._id)).toEqual(['xco2']);
      expect(thrown(() => late.flux.scenario('kriged_late'))).toMatchObject({ kind: 'not-found' });
      const loader = FluxStore.open(late.store.path);
      const { path, model, overrides } = fluxDatasets.kriged;
      await loader.loadFile('kriged_late', path, { model, overrides });
      loader.close();
      expect(late.flux.scenarios()).toEqual([
        { _id: 'kriged_late', title: '', gridded: true },
        { _id: 'xco2', title: '', gridded: false },
      ]);
      expect(late.flux.scenario('kriged_late')._id).toBe('kriged_late');
      expect(late.flux.scenario('kriged_late').spans).toEqual([518400]);
      expect(late.flux.grid('kriged_late').coordinates).toHaveLength(14210);
    } finally {
      late.close();
    }
  });
});

describe('scenario', () => {
  it("gives casa's metadata, with stats matching its maps", () => {
    const doc = casa.flux.scenario(CASA);
    expect(doc._id).toBe('casa_gfed_2004');
    expect(doc.title).toBe('Surface Carbon Flux');
    expect(doc.gridded).toBe(true);
    expect(doc.bbox).toEqual([-166.5, 10.5, -50.5, 69.5]);
    expect(doc.bboxmd5).toBe('6f3e33c145010bc74c5ccd3ba772f504');
    expect(doc.dates).toEqual(['2004-06-30T00:00:00', '2004-06-30T21:00:00']);
    expect(doc.steps).toEqual([10800]);
    expect(doc.precision).toBe(2);
    expect(doc.grid).toEqual({ units: 'degrees', x: 1, y: 1 });
    expect(Object.keys(doc.stats)).toEqual(['values']);
    const all = casa.maps.flat();
    expect(all).toHaveLength(2635 * 8);
    const exact = statsOf(all);
    expect(doc.stats.values!.min).toBe(exact.min);
    expect(doc.stats.values!.max).toBe(exact.max);
    expect(doc.stats.values!.mean).toBeCloseTo(exact.mean, 9);
    // Metadata stats follow pandas: the sample standard deviation (ddof=1).
    expect(doc.stats.values!.std).toBeCloseTo(
      exact.std * Math.sqrt(all.length / (all.length - 1)),
      9,
    );
    const sorted = [...all].sort((a, b) => a - b);
    const middle = sorted.length / 2;
    expect(doc.stats.values!.median).toBeCloseTo((sorted[middle - 1]! + sorted[middle]!) / 2, 9);
  });

  it("gives kriged's metadata: one date, a span of six days, stats of values and errors", () => {
    const doc = casa.flux.scenario('kriged');
    expect(doc._id).toBe('kriged');
    expect(doc.gridded).toBe(true);
    expect(doc.dates).toEqual(['2009-06-15T00:00:00']);
    expect(doc.spans).toEqual([518400]);
    expect(Object.keys(doc.stats).sort()).toEqual(['errors', 'values']);
    expect(doc.stats.values!.min).toBeLessThanOrEqual(doc.stats.values!.mean);
    expect(doc.stats.values!.mean).toBeLessThanOrEqual(doc.stats.values!.max);
  });

  it("gives xco2's metadata, with value stats matching its points", () => {
    const doc = casa.flux.scenario('xco2');
    expect(doc.gridded).toBe(false);
    expect(doc.dates).toEqual([15, 16, 17, 18, 19, 20].map((day) => `2009-06-${day}T00:00:00`));
    expect(Object.keys(doc.stats).sort()).toEqual(['error', 'value']);
    const points = casa.flux.points('xco2', range('2009-06-15Z', '2009-06-20T23:59:59Z')).features;
    const values = points
      .map((point) => point.properties.value)
      .filter((value): value is number => value !== null && value !== undefined);
    const exact = statsOf(values);
    expect(doc.stats.value!.min).toBe(exact.min);
    expect(doc.stats.value!.max).toBe(exact.max);
    expect(doc.stats.value!.mean).toBeCloseTo(exact.mean, 6);
  });

  it('is not found for an unknown scenario', () => {
    expect(thrown(() => casa.flux.scenario('nope'))).toMatchObject({
      kind: 'not-found',
      message: 'Scenario "nope" not found',
    });
  });
});

describe('grid', () => {
  it('gives the cells as a MultiPoint in map order', () => {
    const grid = casa.flux.grid(CASA);
    expect(grid.type).toBe('MultiPoint');
    expect(grid._id).toBe('casa_gfed_2004');
    expect(grid.coordinates).toHaveLength(2635);
    expect(grid.coordinates[1]).toEqual([-165.5, 61.5]);
    const xs = grid.coordinates.map(([x]) => x);
    const ys = grid.coordinates.map(([, y]) => y);
    expect([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]).toEqual([
      -166.5, 10.5, -50.5, 69.5,
    ]);
    expect(new Set(grid.coordinates.map((c) => c.join())).size).toBe(2635);
  });

  it('gives the 14210 kriged cells', () => {
    expect(casa.flux.grid('kriged').coordinates).toHaveLength(14210);
  });

  it('is not implemented for the points dataset, not found for an unknown one', () => {
    expect(thrown(() => casa.flux.grid('xco2'))).toMatchObject({
      kind: 'not-implemented',
      message: 'Dataset "xco2" holds point retrievals and has no grid',
    });
    expect(thrown(() => casa.flux.grid('nope'))).toMatchObject({
      kind: 'not-found',
      message: 'No dataset "nope"',
    });
  });
});
