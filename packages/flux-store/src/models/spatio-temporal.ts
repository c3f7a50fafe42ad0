import { flatBbox } from '@geoworks/planar';
import type { DatasetMetadata, GriddedLoad, GriddedStep } from '../types.js';
import { bboxMd5, isoSeconds, roundTo } from './describe.js';
import { ModelInputError } from './errors.js';
import { BaseModel, openModelInput, type ModelOptions } from './model.js';

const DEFAULT_GRID = { units: 'degrees', x: 1, y: 1 };

/**
 * A gridded 4-D matrix: N cells x (2 + T) columns, the cells' x (longitude) and y (latitude),
 * then one column per time step; step k is at `timestamp + k * steps[0]` seconds.
 */
export class SpatioTemporalMatrix extends BaseModel {
  readonly name = 'SpatioTemporalMatrix';
  private cellsCache: Float64Array | undefined;

  static async open(path: string, options: ModelOptions = {}): Promise<SpatioTemporalMatrix> {
    const { config, file } = await openModelInput('SpatioTemporalMatrix', path, options);
    return new SpatioTemporalMatrix(path, config, file);
  }

  /** Seconds between steps. */
  get step(): number {
    const steps = this.config.steps as number[] | undefined;
    return steps?.[0] ?? 10800;
  }

  /** Which columns hold x and y, and where the values start. */
  private layout(): { x: number; y: number; first: number } {
    const columns = (this.config.columns as string[] | undefined) ?? ['x', 'y'];
    const x = columns.indexOf('x');
    const y = columns.indexOf('y');
    if (x < 0 || y < 0)
      throw new ModelInputError(
        this.name,
        `columns must name "x" and "y" (got ${JSON.stringify(columns)})`,
      );
    return { x, y, first: columns.length };
  }

  /** Number of time steps (value columns). */
  stepCount(): number {
    const [, columns] = this.dimensions();
    const steps = columns - this.layout().first;
    if (steps < 1)
      throw new ModelInputError(
        this.name,
        `variable "${this.variable()}" has ${columns} columns: no time steps after the coordinates`,
      );
    return steps;
  }

  /** The times of the steps. */
  times(): Date[] {
    const start = this.timestamp()!.getTime();
    return Array.from(
      { length: this.stepCount() },
      (_, index) => new Date(start + index * this.step * 1000),
    );
  }

  /** Cell centres `[x0, y0, ...]`, rounded to 5 decimals. */
  async cells(): Promise<Float64Array> {
    if (this.cellsCache !== undefined) return this.cellsCache;
    const { x, y, first } = this.layout();
    const wanted = new Map<number, Float64Array>();
    let index = 0;
    for await (const column of this.file.columns(this.variable())) {
      if (index === x || index === y) wanted.set(index, column);
      if (++index >= first) break;
    }
    const xs = wanted.get(x)!;
    const ys = wanted.get(y)!;
    this.refusePoints(xs, ys);
    const cells = new Float64Array(xs.length * 2);
    for (let cell = 0; cell < xs.length; cell++) {
      cells[2 * cell] = roundTo(xs[cell]!, 5);
      cells[2 * cell + 1] = roundTo(ys[cell]!, 5);
    }
    this.cellsCache = cells;
    return cells;
  }

  async describe(): Promise<DatasetMetadata> {
    const times = this.times();
    const bbox = flatBbox([await this.cells()]);
    return {
      gridded: true,
      grid: (this.config.grid as Record<string, unknown> | undefined) ?? DEFAULT_GRID,
      title: this.title(),
      units: this.units({}),
      steps: [this.step],
      dates: [isoSeconds(times[0]!), isoSeconds(times.at(-1)!)],
      bbox,
      bboxmd5: bboxMd5(bbox),
      precision: this.precision(2),
    };
  }

  async toLoad(): Promise<GriddedLoad> {
    const metadata = await this.describe();
    const cells = await this.cells();
    const times = this.times();
    const parameter = ((this.config.parameters as string[] | undefined) ?? ['values'])[0]!;
    const { first } = this.layout();
    const file = this.file;
    const variable = this.variable();
    async function* steps(): AsyncGenerator<GriddedStep> {
      let index = 0;
      for await (const column of file.columns(variable)) {
        if (index >= first) yield { time: times[index - first]!, values: { [parameter]: column } };
        index++;
      }
    }
    return {
      kind: 'gridded',
      metadata,
      parameters: [parameter],
      cells,
      precision: { [parameter]: this.precision(2) },
      stepCount: times.length,
      steps: steps(),
    };
  }

  /**
   * The data as the original's `extract()` gave it: one row per cell, one column per time
   * (for tests and small files; the whole matrix is read).
   */
  async extract(): Promise<{ cells: Float64Array; times: Date[]; columns: Float64Array[] }> {
    const { first } = this.layout();
    const columns: Float64Array[] = [];
    let index = 0;
    for await (const column of this.file.columns(this.variable())) {
      if (index++ >= first) columns.push(column);
    }
    return { cells: await this.cells(), times: this.times(), columns };
  }
}
