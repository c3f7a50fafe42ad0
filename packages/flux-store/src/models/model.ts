import { basename } from 'node:path';
import { loadFluxConfig, type FluxConfig } from '../config.js';
import { parseIsoDate } from '../dates.js';
import { openMatrixFile, type MatrixFile } from '@geoworks/matfile';
import type { DatasetLoad, DatasetMetadata } from '../types.js';
import { ModelInputError } from './errors.js';

export interface ModelOptions {
  /** A JSON configuration file; default `<data file without extension>.json` when it exists. */
  configFile?: string;
  /** Settings over the file's: an object, or the CLI's `"k=v;k=v"`. */
  overrides?: string | FluxConfig;
}

/** A data file read through one of the original's models. */
export interface FluxModel {
  readonly name: string;
  readonly path: string;
  readonly config: FluxConfig;
  /** The metadata the store keeps (the original's `describe()`), without statistics. */
  describe(): Promise<DatasetMetadata>;
  /** What the store loads; gridded steps are streamed from the file. */
  toLoad(): Promise<DatasetLoad>;
  close(): void;
}

/** What every model shares: the file, its configuration, the variable, the timestamp. */
export abstract class BaseModel implements FluxModel {
  abstract readonly name: string;
  /** The variable read when `var_name` is not set (falls back to the first one). */
  protected readonly defaultVariable: string | undefined = undefined;

  protected constructor(
    readonly path: string,
    readonly config: FluxConfig,
    protected readonly file: MatrixFile,
  ) {}

  abstract describe(): Promise<DatasetMetadata>;
  abstract toLoad(): Promise<DatasetLoad>;

  close(): void {
    this.file.close();
  }

  /** `var_name`, else the model's own, else the first variable not starting with `__`. */
  protected variable(): string {
    const configured = this.config.var_name;
    if (typeof configured === 'string') return configured;
    const names = this.file.variables.map((variable) => variable.name);
    if (this.defaultVariable !== undefined && names.includes(this.defaultVariable))
      return this.defaultVariable;
    const first = names.find((name) => !name.startsWith('__'));
    if (first === undefined)
      throw new ModelInputError(this.name, `${basename(this.path)} holds no variable`);
    return first;
  }

  /** The variable's MATLAB dimensions (rows, columns). */
  protected dimensions(): [number, number] {
    const name = this.variable();
    const info = this.file.variables.find((variable) => variable.name === name);
    if (info === undefined) {
      throw new ModelInputError(
        this.name,
        `no variable "${name}" in ${basename(this.path)} (it has ${this.file.variables.map((variable) => variable.name).join(', ')})`,
      );
    }
    if (info.unsupported !== undefined)
      throw new ModelInputError(this.name, `variable "${name}": ${info.unsupported}`);
    if (info.dimensions.length !== 2)
      throw new ModelInputError(this.name, `variable "${name}" is not a 2-D matrix`);
    return [info.dimensions[0]!, info.dimensions[1]!];
  }

  /**
   * The first time step: `timestamp`, else a date in the file name through `regex` (its first
   * group, or the named group `date`: `YYYYMMDD`, `YYYY-MM-DD` or ISO), else an error.
   */
  protected timestamp(required = true): Date | undefined {
    const configured = this.config.timestamp;
    if (typeof configured === 'string') {
      const date = parseIsoDate(configured);
      if (date === undefined)
        throw new ModelInputError(this.name, `timestamp "${configured}" is not an ISO 8601 date`);
      return date;
    }
    const pattern =
      typeof this.config.regex === 'string'
        ? new RegExp(this.config.regex)
        : this.fileNamePattern();
    if (pattern !== undefined) {
      const match = pattern.exec(basename(this.path));
      const text = match?.groups?.date ?? match?.[1];
      if (text !== undefined) {
        const date = parseIsoDate(
          /^\d{8}$/.test(text)
            ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`
            : text,
        );
        if (date !== undefined) return date;
      }
    }
    if (!required) return undefined;
    throw new ModelInputError(
      this.name,
      `a timestamp is required: set "timestamp" in the configuration or -o "timestamp=YYYY-MM-DDTHH:MM:SS"${pattern === undefined ? '' : `, or name the file to match ${pattern.source}`}`,
    );
  }

  /**
   * Refuses scattered points where a grid model expects cells. A grid's cells line up in
   * columns and rows, so nearly every cell shares its longitude or latitude with another;
   * point retrievals (the XCO2 files) hardly ever do. Without this check a point file loads
   * as a grid without complaint, its day-of-year and year columns taken for time steps.
   */
  protected refusePoints(xs: ArrayLike<number>, ys: ArrayLike<number>): void {
    const count = xs.length;
    if (count < 3) return;
    const tally = (values: ArrayLike<number>): Map<number, number> => {
      const seen = new Map<number, number>();
      for (let index = 0; index < count; index++)
        seen.set(values[index]!, (seen.get(values[index]!) ?? 0) + 1);
      return seen;
    };
    const byX = tally(xs);
    const byY = tally(ys);
    let aligned = 0;
    for (let index = 0; index < count; index++) {
      if (byX.get(xs[index]!)! > 1 || byY.get(ys[index]!)! > 1) aligned++;
    }
    if (aligned * 2 >= count) return;
    throw new ModelInputError(
      this.name,
      `${basename(this.path)} holds point data, not a grid: only ${aligned} of its ${count} rows share a longitude or latitude with another row, where a grid's cells line up in rows and columns. Load it with -m XCO2Matrix, the model for point retrievals (x, y, value, day of year, year, error); nothing was loaded`,
    );
  }

  /** A file-name pattern giving the date, for models whose files carry it. */
  protected fileNamePattern(): RegExp | undefined {
    return undefined;
  }

  protected title(): string {
    return typeof this.config.title === 'string' ? this.config.title : '';
  }

  protected units(defaults: Record<string, string>): Record<string, string> {
    return { ...defaults, ...((this.config.units as Record<string, string> | undefined) ?? {}) };
  }

  protected precision(fallback: number): number {
    return typeof this.config.precision === 'number' ? this.config.precision : fallback;
  }
}

/** Opens the file and reads the configuration for a model's constructor. */
export async function openModelInput(
  model: string,
  path: string,
  options: ModelOptions,
): Promise<{ config: FluxConfig; file: MatrixFile }> {
  if (!/.+\.(mat|h5)$/.test(path)) {
    throw new ModelInputError(model, `${path}: the data file must be a .mat or .h5 file`);
  }
  const { config } = await loadFluxConfig(path, options);
  const file = await openMatrixFile(path);
  return { config, file };
}
