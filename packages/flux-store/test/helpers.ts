// The store tests' grid: a small load built in memory, and a fresh store per test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import {
  FluxStore,
  type DatasetMetadata,
  type GriddedLoad,
  type GriddedStep,
} from '../src/index.js';

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2004, 5, 28, 0); // a Monday

/** A 3 x 2 grid (cells in row order) with `steps` three-hourly maps given by `value(cell, step)`. */
export function gridLoad(
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

/** A new store in a temp folder for each test of the file (`dir` holds its flux.sqlite). */
export function useStore(): { store: FluxStore; dir: string } {
  const context = {} as { store: FluxStore; dir: string };
  beforeEach(() => {
    context.dir = mkdtempSync(join(tmpdir(), 'flux-store-'));
    context.store = FluxStore.open(join(context.dir, 'flux.sqlite'));
  });
  afterEach(() => {
    context.store.close();
    rmSync(context.dir, { recursive: true, force: true });
  });
  return context;
}
