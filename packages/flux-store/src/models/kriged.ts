import { flatBbox } from '@geoworks/planar';
import type { DatasetMetadata, GriddedLoad } from '../types.js';
import { bboxMd5, isoSeconds, roundTo } from './describe.js';
import { ModelInputError } from './errors.js';
import { BaseModel, openModelInput, type ModelOptions } from './model.js';

const SIX_DAYS = 518_400;

/**
 * One kriged XCO2 map (a 3-D grid: one time slice per file): `krigedData`, 9 columns
 * `y (lat), x (lng), values, errors, ...`; errors are stored as variances, so their square root
 * is kept. The date comes from a `Kriged_YYYYMMDD_*` file name or the `timestamp` setting.
 */
export class KrigedXCO2Matrix extends BaseModel {
  readonly name = 'KrigedXCO2Matrix';
  protected override readonly defaultVariable = 'krigedData';
  private table: { cells: Float64Array; values: Float64Array; errors: Float64Array } | undefined;

  static async open(path: string, options: ModelOptions = {}): Promise<KrigedXCO2Matrix> {
    const { config, file } = await openModelInput('KrigedXCO2Matrix', path, options);
    return new KrigedXCO2Matrix(path, config, file);
  }

  protected override fileNamePattern(): RegExp {
    return /^Kriged_(\d{8})_/;
  }

  private get span(): number {
    return (this.config.spans as number[] | undefined)?.[0] ?? SIX_DAYS;
  }

  private async read(): Promise<{
    cells: Float64Array;
    values: Float64Array;
    errors: Float64Array;
  }> {
    if (this.table !== undefined) return this.table;
    const [, columns] = this.dimensions();
    const matrix = await this.file.readMatrix(this.variable());
    // Point data is named as such first: its column count alone would not say which model fits.
    if (columns >= 2) {
      const column = (index: number) =>
        Float64Array.from({ length: matrix.rows }, (_, row) => matrix.data[row * columns + index]!);
      this.refusePoints(column(1), column(0));
    }
    if (columns !== 9) {
      throw new ModelInputError(
        this.name,
        `variable "${this.variable()}" must have 9 columns (y, x, values, errors, ...), not ${columns}`,
      );
    }
    const cells = new Float64Array(matrix.rows * 2);
    const values = new Float64Array(matrix.rows);
    const errors = new Float64Array(matrix.rows);
    for (let row = 0; row < matrix.rows; row++) {
      const at = row * matrix.columns;
      cells[2 * row] = roundTo(matrix.data[at + 1]!, 5);
      cells[2 * row + 1] = roundTo(matrix.data[at]!, 5);
      values[row] = roundTo(matrix.data[at + 2]!, 2);
      errors[row] = roundTo(Math.sqrt(matrix.data[at + 3]!), 4);
    }
    this.table = { cells, values, errors };
    return this.table;
  }

  async describe(): Promise<DatasetMetadata> {
    const { cells } = await this.read();
    const bbox = flatBbox([cells]);
    return {
      gridded: true,
      grid: (this.config.grid as Record<string, unknown> | undefined) ?? {},
      title: this.title(),
      units: this.units({ values: 'ppm', errors: 'ppm' }),
      spans: [this.span],
      dates: [isoSeconds(this.timestamp()!)],
      bbox,
      bboxmd5: bboxMd5(bbox),
      precision: this.precision(1),
    };
  }

  async toLoad(): Promise<GriddedLoad> {
    const metadata = await this.describe();
    const { cells, values, errors } = await this.read();
    const precision = this.precision(1);
    return {
      kind: 'gridded',
      metadata,
      parameters: ['values', 'errors'],
      cells,
      precision: { values: precision, errors: precision },
      stepCount: 1,
      steps: [{ time: this.timestamp()!, span: this.span, values: { values, errors } }],
    };
  }
}
