import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  NotImplementedError,
  TooLargeError,
} from '@geoworks/errors';

/** No dataset of that name. */
export class DatasetNotFoundError extends NotFoundError {
  readonly dataset: string;

  constructor(dataset: string) {
    super(`No dataset "${dataset}"`, { code: 'DATASET_NOT_FOUND', details: { dataset } });
    this.dataset = dataset;
  }
}

/** A dataset name that is reserved, empty, too long or made of characters we do not store. */
export class DatasetNameError extends InvalidInputError {
  constructor(name: string, problem: string) {
    super(`Invalid dataset name "${name}": ${problem}`, {
      code: 'DATASET_NAME_INVALID',
      details: { name },
    });
  }
}

/** A load or rename that would clash with what is stored (existing step, other cells, other kind). */
export class DatasetConflictError extends ConflictError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, { code: 'DATASET_CONFLICT', details });
  }
}

/** A time the dataset has no step for. */
export class TimeNotFoundError extends NotFoundError {
  constructor(dataset: string, time: Date) {
    super(`Dataset "${dataset}" has no data at ${time.toISOString()}`, {
      code: 'TIME_NOT_FOUND',
      details: { dataset, time: time.toISOString() },
    });
  }
}

/** A point that is not one of the dataset's cells. */
export class CellNotFoundError extends NotFoundError {
  constructor(dataset: string, x: number, y: number) {
    super(`Dataset "${dataset}" has no cell at (${x}, ${y})`, {
      code: 'CELL_NOT_FOUND',
      details: { dataset, x, y },
    });
  }
}

/** A query that would read more values than the configured limit. */
export class QueryTooLargeError extends TooLargeError {
  constructor(values: number, limit: number) {
    super(
      `The query would read ${values.toLocaleString('en-US')} values, more than the limit of ${limit.toLocaleString('en-US')}: narrow the time range or the region`,
      { code: 'QUERY_TOO_LARGE', details: { values, limit } },
    );
  }
}

/** A query this kind of dataset cannot answer (a map of point retrievals, ...). */
export class UnsupportedQueryError extends NotImplementedError {
  constructor(message: string) {
    super(message, { code: 'QUERY_NOT_SUPPORTED' });
  }
}

/** Malformed query arguments (a parameter the dataset does not have, start after end, ...). */
export class QueryInputError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'QUERY_INVALID' });
  }
}
