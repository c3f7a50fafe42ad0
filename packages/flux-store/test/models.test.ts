// The original's assertions (flux-python-api's own tests) on its three MATLAB files, through
// the models and the store, and the same data written as MATLAB v7.3 and plain HDF5.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMatrixFile } from '@geoworks/matfile';
import { fluxFixture, matfileFixture } from '@geoworks/test-fixtures';
import {
  CovarianceMatrix,
  FluxStore,
  KrigedXCO2Matrix,
  openModel,
  SpatioTemporalMatrix,
  XCO2Matrix,
} from '../src/index.js';

const CASA = fluxFixture('casagfed2004.mat');
const KRIGED = fluxFixture('kriged_xco2.mat');
const XCO2 = fluxFixture('xco2.mat');
const JUNE_30 = 'timestamp=2004-06-30T00:00:00';

let dir: string;
let store: FluxStore;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flux-models-'));
  store = FluxStore.open(join(dir, 'flux.sqlite'));
});
afterAll(() => store.close());

describe('SpatioTemporalMatrix on casagfed2004.mat', () => {
  it('describes the grid as the original did', async () => {
    const model = await SpatioTemporalMatrix.open(CASA, { overrides: JUNE_30 });
    const described = await model.describe();
    expect(described.dates).toEqual(['2004-06-30T00:00:00', '2004-06-30T21:00:00']);
    expect(described.bbox).toEqual([-166.5, 10.5, -50.5, 69.5]);
    expect(described.bboxmd5).toBe('6f3e33c145010bc74c5ccd3ba772f504');
    // From casagfed2004.json beside the data, the original's configuration (`gridres` is `grid`).
    expect(described.title).toBe('Surface Carbon Flux');
    expect(described.grid).toEqual({ units: 'degrees', x: 1, y: 1 });
    expect(described.units).toEqual({ x: 'degrees', y: 'degrees', values: '&mu;mol/m&sup2;' });
    expect(described.steps).toEqual([10800]);
    const extracted = await model.extract();
    expect(extracted.columns).toHaveLength(8);
    expect(extracted.columns.every((column) => column.length === 2635)).toBe(true);
    expect(extracted.times[1]!.toISOString()).toBe('2004-06-30T03:00:00.000Z');
    expect([extracted.cells[2], extracted.cells[3]]).toEqual([-165.5, 61.5]);
    model.close();
  });

  it("takes the configuration file's timestamp unless overridden", async () => {
    const model = await SpatioTemporalMatrix.open(CASA);
    expect((await model.describe()).dates).toEqual(['2012-12-22T03:00:00', '2012-12-23T00:00:00']);
    model.close();
  });

  it('loads 8 records; the step at 2004-06-30 has 2635 values and values[0] == 0.08', async () => {
    const model = await openModel('SpatioTemporalMatrix', CASA, { overrides: JUNE_30 });
    const summary = await store.load('casa_gfed_load_test', await model.toLoad());
    model.close();
    expect(summary.records).toBe(8);
    expect(store.recordCount('casa_gfed_load_test')).toBe(8);
    const map = store.map('casa_gfed_load_test', new Date('2004-06-30T00:00:00Z'));
    expect(map.values).toHaveLength(2635);
    expect(map.values[0]).toBe(0.08);
    const metadata = store.metadata('casa_gfed_load_test')!;
    expect(Object.keys(metadata.stats)).toEqual(['values']);
    // Statistics over all 21,080 stored values, not the original's averages of per-step ones.
    const all: number[] = [];
    for (const time of store.times('casa_gfed_load_test'))
      all.push(...store.map('casa_gfed_load_test', new Date(time)).values);
    const mean = all.reduce((sum, value) => sum + value, 0) / all.length;
    expect(metadata.stats.values!.mean).toBeCloseTo(mean, 10);
    expect(metadata.stats.values!.min).toBe(Math.min(...all));
    expect(metadata.stats.values!.max).toBe(Math.max(...all));
  });

  it('reads the MATLAB v7.3 and HDF5 copies to the same stored data', async () => {
    const reference = store.map('casa_gfed_load_test', new Date('2004-06-30T09:00:00Z')).values;
    for (const [name, path] of [
      ['casa_v73', fluxFixture('casagfed2004-v73.mat')],
      ['casa_h5', fluxFixture('casagfed2004.h5')],
    ] as const) {
      const model = await openModel('SpatioTemporalMatrix', path, {
        overrides: `${JUNE_30};var_name=casa_gfed_2004`,
        configFile: fluxFixture('casagfed2004.json'),
      });
      const described = await model.describe();
      expect(described.bboxmd5).toBe('6f3e33c145010bc74c5ccd3ba772f504');
      await store.load(name, await model.toLoad());
      model.close();
      expect(Array.from(store.map(name, new Date('2004-06-30T09:00:00Z')).values)).toEqual(
        Array.from(reference),
      );
      expect(store.metadata(name)!.stats).toEqual(store.metadata('casa_gfed_load_test')!.stats);
    }
  });

  it('refuses a second load of the same steps and keeps the dataset whole', async () => {
    const model = await openModel('SpatioTemporalMatrix', CASA, { overrides: JUNE_30 });
    await expect(store.load('casa_gfed_load_test', await model.toLoad())).rejects.toThrow(
      'Dataset "casa_gfed_load_test" already has a time step at 2004-06-30T00:00:00',
    );
    model.close();
    expect(store.recordCount('casa_gfed_load_test')).toBe(8);
  });

  it('adds later steps to the dataset and widens its dates', async () => {
    const model = await openModel('SpatioTemporalMatrix', CASA, {
      overrides: 'timestamp=2004-07-01T00:00:00',
    });
    await store.load('casa_gfed_load_test', await model.toLoad());
    model.close();
    expect(store.recordCount('casa_gfed_load_test')).toBe(16);
    expect(store.metadata('casa_gfed_load_test')!.dates).toEqual([
      '2004-06-30T00:00:00',
      '2004-06-30T21:00:00',
      '2004-07-01T00:00:00',
      '2004-07-01T21:00:00',
    ]);
  });

  it('explains a missing timestamp, a wrong variable and an unsupported one', async () => {
    const bare = join(dir, 'bare.mat');
    copyFileSync(CASA, bare);
    const model = await SpatioTemporalMatrix.open(bare);
    await expect(model.describe()).rejects.toThrow('a timestamp is required');
    model.close();
    const wrong = await SpatioTemporalMatrix.open(CASA, {
      overrides: `${JUNE_30};var_name=nothing`,
    });
    await expect(wrong.describe()).rejects.toThrow('no variable "nothing"');
    wrong.close();
    const cell = await SpatioTemporalMatrix.open(matfileFixture('mat5-kinds.mat'), {
      overrides: `${JUNE_30};var_name=cel`,
    });
    await expect(cell.describe()).rejects.toThrow('variable "cel"');
    cell.close();
    await expect(SpatioTemporalMatrix.open(join(dir, 'data.csv'))).rejects.toThrow(
      'the data file must be a .mat or .h5 file',
    );
    const badConfig = join(dir, 'bad.json');
    writeFileSync(badConfig, '{"steps": "often", "timestamp": "2004-02-31T00:00:00"}');
    await expect(SpatioTemporalMatrix.open(CASA, { configFile: badConfig })).rejects.toThrow(
      /steps[\s\S]*timestamp/,
    );
  });
});

describe('KrigedXCO2Matrix on kriged_xco2.mat', () => {
  it('stores one 6-day map of values and errors (square roots of the variances)', async () => {
    const model = await KrigedXCO2Matrix.open(KRIGED, {
      overrides: 'timestamp=2009-06-15T00:00:00',
    });
    const described = await model.describe();
    expect(described.spans).toEqual([518400]);
    expect(described.dates).toEqual(['2009-06-15T00:00:00']);
    await store.load('kriged', await model.toLoad());
    model.close();
    const values = store.map('kriged', new Date('2009-06-15T00:00:00Z'));
    expect(values.values).toHaveLength(14210);
    // A time inside the 6-day span is the same map.
    expect(store.map('kriged', new Date('2009-06-18T12:00:00Z')).time).toBe(Date.UTC(2009, 5, 15));
    const errors = store.map('kriged', new Date('2009-06-15T00:00:00Z'), {
      parameter: 'errors',
    }).values;
    const file = await openMatrixFile(KRIGED);
    const raw = await file.readMatrix('krigedData');
    file.close();
    for (const row of [0, 7000, 14209]) {
      expect(values.values[row]).toBe(Math.round(raw.data[row * 9 + 2]! * 10) / 10);
      expect(errors[row]).toBe(Math.round(Math.sqrt(raw.data[row * 9 + 3]!) * 10) / 10);
    }
    expect(Object.keys(store.metadata('kriged')!.stats).sort()).toEqual(['errors', 'values']);
    // No `grid` in its metadata: a point off a centre finds its cell through the centres' spacing.
    const cells = store.cells('kriged');
    const [x, y] = [cells[2 * 7000]!, cells[2 * 7000 + 1]!];
    expect(store.cellIndex('kriged', x + 0.3, y - 0.2)).toBe(7000);
  });

  it('takes the date from a Kriged_YYYYMMDD_ file name', async () => {
    const named = join(dir, 'Kriged_20090621_v2.mat');
    copyFileSync(KRIGED, named);
    const model = await KrigedXCO2Matrix.open(named);
    expect((await model.describe()).dates).toEqual(['2009-06-21T00:00:00']);
    model.close();
  });
});

describe('XCO2Matrix on xco2.mat', () => {
  it('stores 1311 point retrievals dated by day of year (DOY 166 of 2009 is June 15)', async () => {
    const model = await XCO2Matrix.open(XCO2);
    const described = await model.describe();
    expect(described.gridded).toBe(false);
    expect(described.dates[0]).toBe('2009-06-15T00:00:00');
    expect(described.dates).toHaveLength(6);
    const summary = await store.load('xco2', await model.toLoad());
    model.close();
    expect(summary.records).toBe(1311);
    const june15 = store.points('xco2', {
      start: new Date('2009-06-15T00:00:00Z'),
      end: new Date('2009-06-15T00:00:00Z'),
    });
    // The original dated this record 2009-06-16 (one day too many).
    expect(june15[0]!.properties.value).toBe(386.79);
    expect(
      store.points('xco2', { start: new Date('2009-01-01'), end: new Date('2009-12-31') }),
    ).toHaveLength(1311);
  });
});

describe('CovarianceMatrix', () => {
  it('describes a square matrix with precision 5 and is not stored', async () => {
    const path = join(dir, 'cov.mat');
    copyFileSync(matfileFixture('mat5-kinds.mat'), path);
    const model = await CovarianceMatrix.open(path, { overrides: 'var_name=flag' });
    expect(await model.describe()).toMatchObject({ gridded: true, precision: 5, dates: [] });
    expect((await model.matrix()).data).toEqual(Float64Array.from([1, 0, 0, 1]));
    await expect(model.toLoad()).rejects.toThrow('covariance matrices are not stored');
    model.close();
  });
});

describe('XCO2Matrix input checks', () => {
  it('refuses a matrix without the six columns', async () => {
    const model = await XCO2Matrix.open(matfileFixture('mat5-kinds.mat'), {
      overrides: 'var_name=dbl',
    });
    await expect(model.describe()).rejects.toThrow(
      'XCO2Matrix: variable "dbl" must have 6 columns (x, y, value, day of year, year, error), not 4',
    );
    model.close();
  });
});
