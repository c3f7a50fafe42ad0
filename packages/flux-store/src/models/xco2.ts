import { flatBbox } from '@geoworks/planar';
import { utcDate } from '../dates.js';
import type { DatasetMetadata, PointsLoad } from '../types.js';
import { bboxMd5, isoSeconds } from './describe.js';
import { ModelInputError } from './errors.js';
import { BaseModel, openModelInput, type ModelOptions } from './model.js';

const DAY_MS = 86_400_000;

/**
 * XCO2 retrievals (not gridded): `XCO2`, columns `x, y, value, day of year, year, error`. A
 * row's time is 1 January of its year plus (day of year - 1) days: day 166 of 2009 is
 * 2009-06-15 (the original added a day too many).
 */
export class XCO2Matrix extends BaseModel {
  readonly name = 'XCO2Matrix';
  protected override readonly defaultVariable = 'XCO2';
  private table: Omit<PointsLoad, 'kind' | 'metadata' | 'parameters' | 'precision'> | undefined;

  static async open(path: string, options: ModelOptions = {}): Promise<XCO2Matrix> {
    const { config, file } = await openModelInput('XCO2Matrix', path, options);
    return new XCO2Matrix(path, config, file);
  }

  private async read() {
    if (this.table !== undefined) return this.table;
    const [, columns] = this.dimensions();
    if (columns < 6) {
      throw new ModelInputError(
        this.name,
        `variable "${this.variable()}" must have 6 columns (x, y, value, day of year, year, error), not ${columns}`,
      );
    }
    const matrix = await this.file.readMatrix(this.variable());
    const count = matrix.rows;
    const table = {
      times: new Float64Array(count),
      x: new Float64Array(count),
      y: new Float64Array(count),
      properties: { value: new Float64Array(count), error: new Float64Array(count) },
    };
    for (let row = 0; row < count; row++) {
      const at = row * matrix.columns;
      const dayOfYear = matrix.data[at + 3]!;
      const year = matrix.data[at + 4]!;
      if (!Number.isInteger(year) || !(dayOfYear >= 1 && dayOfYear <= 366)) {
        throw new ModelInputError(
          this.name,
          `row ${row + 1}: day of year ${dayOfYear} of year ${year} is not a date`,
        );
      }
      table.times[row] = utcDate(year, 0, 1).getTime() + Math.round((dayOfYear - 1) * DAY_MS);
      table.x[row] = matrix.data[at]!;
      table.y[row] = matrix.data[at + 1]!;
      table.properties.value[row] = matrix.data[at + 2]!;
      table.properties.error[row] = matrix.data[at + 5]!;
    }
    this.table = table;
    return table;
  }

  async describe(): Promise<DatasetMetadata> {
    const table = await this.read();
    const xy = new Float64Array(table.x.length * 2);
    for (let index = 0; index < table.x.length; index++) {
      xy[2 * index] = table.x[index]!;
      xy[2 * index + 1] = table.y[index]!;
    }
    const bbox = flatBbox([xy]);
    const days = [...new Set(Array.from(table.times))].sort((a, b) => a - b);
    return {
      gridded: false,
      grid: (this.config.grid as Record<string, unknown> | undefined) ?? {},
      title: this.title(),
      units: this.units({ value: 'ppm', error: 'ppm&sup2;' }),
      dates: days.map((time) => isoSeconds(new Date(time))),
      bbox,
      bboxmd5: bboxMd5(bbox),
      precision: this.precision(2),
    };
  }

  async toLoad(): Promise<PointsLoad> {
    const metadata = await this.describe();
    const table = await this.read();
    const precision = this.precision(2);
    return {
      kind: 'points',
      metadata,
      parameters: ['value', 'error'],
      precision: { value: precision, error: precision },
      ...table,
    };
  }
}
