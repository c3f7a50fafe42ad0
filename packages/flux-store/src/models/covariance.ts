import type { NumericMatrix } from '@geoworks/matfile';
import type { DatasetMetadata, DatasetLoad } from '../types.js';
import { isoSeconds } from './describe.js';
import { ModelInputError } from './errors.js';
import { BaseModel, openModelInput, type ModelOptions } from './model.js';

/**
 * A square covariance matrix (precision 5). Like the original, it can be described and read,
 * but the store has no layout for it: `toLoad` refuses.
 */
export class CovarianceMatrix extends BaseModel {
  readonly name = 'CovarianceMatrix';

  static async open(path: string, options: ModelOptions = {}): Promise<CovarianceMatrix> {
    const { config, file } = await openModelInput('CovarianceMatrix', path, options);
    return new CovarianceMatrix(path, config, file);
  }

  async describe(): Promise<DatasetMetadata> {
    const [rows, columns] = this.dimensions();
    if (rows !== columns)
      throw new ModelInputError(
        this.name,
        `variable "${this.variable()}" is ${rows} x ${columns}, not square`,
      );
    const timestamp = this.timestamp(false);
    return {
      gridded: true,
      grid: (this.config.grid as Record<string, unknown> | undefined) ?? {},
      title: this.title(),
      units: this.units({}),
      dates: timestamp === undefined ? [] : [isoSeconds(timestamp)],
      precision: this.precision(5),
    };
  }

  /** The matrix itself. */
  async matrix(): Promise<NumericMatrix> {
    await this.describe();
    return this.file.readMatrix(this.variable());
  }

  toLoad(): Promise<DatasetLoad> {
    return Promise.reject(
      new ModelInputError(
        this.name,
        'covariance matrices are not stored (the original had no storage for them either)',
      ),
    );
  }
}
