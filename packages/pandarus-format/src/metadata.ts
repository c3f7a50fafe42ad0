import { basename, resolve } from 'node:path';

/** `{sha256, filename, field, path}` as pandarus records a dataset in result metadata. */
export interface DatasetMetadata {
  sha256: string;
  filename: string;
  field?: string;
  path: string;
  [extra: string]: unknown;
}

/** A dataset as the result files name it: its file, and the field and layer used. */
export interface DatasetDescription {
  path: string;
  field?: string;
  layer?: string | number;
}

/**
 * `{sha256, filename, field, path}` of a dataset, in pandarus's order: the file's name, its
 * absolute path, the field when there is one, and the layer when one was chosen (a geoworks
 * addition; pandarus_remote stores it but never uses it).
 */
export function datasetMetadata(dataset: DatasetDescription, sha256: string): DatasetMetadata {
  return {
    sha256,
    filename: basename(dataset.path),
    ...(dataset.field === undefined ? {} : { field: dataset.field }),
    path: resolve(dataset.path),
    ...(dataset.layer === undefined ? {} : { layer: dataset.layer }),
  };
}

/** A timestamp as pandarus writes `when` (ISO 8601, UTC). */
export function timestamp(date = new Date()): string {
  return date.toISOString();
}
