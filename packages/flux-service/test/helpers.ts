// The flux-service tests' store and oracles: the original's test files loaded into a real SQLite
// store, and the aggregates and statistics computed here, independently of the store, from the
// casa maps the service answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FluxStore, type FluxStoreOptions } from '@geoworks/flux-store';
import { fluxDatasets, type FluxFixtureDataset } from '@geoworks/test-fixtures';
import { afterAll, beforeAll, expect } from 'vitest';
import { FluxService, type Point } from '../src/index.js';

export const CASA = 'casa_gfed_2004';
export const CASA_TIMES = ['00', '03', '06', '09', '12', '15', '18', '21'].map(
  (hour) => `2004-06-30T${hour}:00:00.000Z`,
);
export const ALL_STEPS = [0, 1, 2, 3, 4, 5, 6, 7];
export const AGGREGATES = ['positive', 'negative', 'net', 'mean', 'min', 'max'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** `new Date` of an ISO text, for brevity. */
export const at = (text: string): Date => new Date(text);
export const range = (start: string, end: string) => ({ start: at(start), end: at(end) });

export interface Fixture {
  flux: FluxService;
  store: FluxStore;
  /** Closes the store and removes its folder. */
  close(): void;
}

/** A FluxService over a new store holding the given test files (casa, kriged, xco2). */
export async function openFixture(
  datasets: readonly FluxFixtureDataset[] = Object.values(fluxDatasets),
  options: FluxStoreOptions = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'flux-service-'));
  const store = FluxStore.open(join(dir, 'flux.sqlite'), options);
  for (const { name, path, model, overrides } of datasets)
    await store.loadFile(name, path, { model, overrides });
  return {
    flux: new FluxService(store),
    store,
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The casa cells and its eight maps as the service answers them (rounded). */
export function casaMaps(flux: FluxService): { coordinates: Point[]; maps: number[][] } {
  const coordinates = flux.grid(CASA).coordinates;
  const maps = CASA_TIMES.map((time) => {
    const { features } = flux.map(CASA, at(time));
    expect(features.every((value) => typeof value === 'number')).toBe(true);
    return features as number[];
  });
  return { coordinates, maps };
}

/** A test file's fixture with the casa maps, filled in before its tests run. */
export interface CasaFixture extends Fixture {
  coordinates: Point[];
  maps: number[][];
  /** The values of cell `cell` at the casa steps with index in `steps`. */
  cellValues(cell: number, steps: number[]): number[];
}

/**
 * Opens a fixture holding `datasets` (casa among them) before the file's tests, with the casa
 * maps read through the service, and closes it after them.
 */
export function useCasaFixture(
  datasets: readonly FluxFixtureDataset[],
  options: FluxStoreOptions = {},
): CasaFixture {
  const casa = {
    cellValues: (cell: number, steps: number[]) => steps.map((step) => casa.maps[step]![cell]!),
  } as CasaFixture;
  beforeAll(async () => {
    Object.assign(casa, await openFixture(datasets, options));
    Object.assign(casa, casaMaps(casa.flux));
  });
  afterAll(() => casa.close?.());
  return casa;
}

/** Rounds as the API does: two decimals, null for no value. */
export function round2(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  const rounded = Math.round(Math.abs(value) * 100) / 100;
  return value < 0 && rounded !== 0 ? -rounded : rounded;
}

/** Integer hundredths: the casa maps hold values of precision 2, so sums of codes are exact. */
const code = (value: number): number => Math.round(value * 100);

/** The aggregate of some values (none: NaN), in exact hundredths where it is a sum. */
export function aggregateOf(values: number[], aggregate: Aggregate): number {
  if (values.length === 0) return NaN;
  const codes = values.map(code);
  switch (aggregate) {
    case 'positive':
      return codes.filter((c) => c > 0).reduce((sum, c) => sum + c, 0) / 100;
    case 'negative':
      return codes.filter((c) => c < 0).reduce((sum, c) => sum + c, 0) / 100;
    case 'net':
      return codes.reduce((sum, c) => sum + c, 0) / 100;
    case 'mean':
      return codes.reduce((sum, c) => sum + c, 0) / codes.length / 100;
    case 'min':
      return Math.min(...codes) / 100;
    case 'max':
      return Math.max(...codes) / 100;
  }
}

/** A number written with two decimals is within half a hundredth of the true value (null: none). */
export function expectRoundedTo(actual: number | null | undefined, exact: number): void {
  if (!Number.isFinite(exact)) {
    expect(actual).toBeNull();
    return;
  }
  expect(typeof actual).toBe('number');
  expect(Math.abs(actual! - exact)).toBeLessThanOrEqual(0.005 + 1e-9);
  expect(Math.round(actual! * 100)).toBeCloseTo(actual! * 100, 9);
}

/** Population statistics of values. */
export function statsOf(values: number[]): {
  mean: number;
  min: number;
  max: number;
  std: number;
  n: number;
} {
  const n = values.length;
  if (n === 0) return { mean: NaN, min: NaN, max: NaN, std: NaN, n: 0 };
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / n;
  return { mean, min: Math.min(...values), max: Math.max(...values), std: Math.sqrt(variance), n };
}

/** The error `run` throws, for checking its kind and message together. */
export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}
