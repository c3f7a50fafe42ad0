import { InvalidInputError, NotFoundError, UnsupportedMediaTypeError } from '@geoworks/errors';

/** The file is not a vector dataset GDAL can read (or the layer does not exist). */
export class NotAVectorDatasetError extends UnsupportedMediaTypeError {
  constructor(path: string, reason: string) {
    super(`${baseName(path)} is not a readable vector dataset: ${reason}`, {
      code: 'NOT_A_VECTOR_DATASET',
      details: { reason },
    });
  }
}

export class DatasetNotFoundError extends NotFoundError {
  constructor(path: string) {
    super(`No such file: ${baseName(path)}`, { code: 'DATASET_NOT_FOUND' });
  }
}

/** The identifying field is missing from the dataset. */
export class MissingFieldError extends InvalidInputError {
  constructor(path: string, field: string, available: readonly string[]) {
    super(
      `${baseName(path)} has no field "${field}"; its fields are: ${available.length > 0 ? available.join(', ') : '(none)'}`,
      { code: 'MISSING_FIELD', details: { field, available } },
    );
  }
}

/** Two features share a value of the identifying field, so labels would be ambiguous. */
export class DuplicateLabelError extends InvalidInputError {
  constructor(
    path: string,
    field: string,
    label: unknown,
    firstIndex: number,
    secondIndex: number,
  ) {
    super(
      `${baseName(path)}: field "${field}" must identify features uniquely, but features ${firstIndex} and ${secondIndex} both have ${JSON.stringify(label)}`,
      { code: 'DUPLICATE_LABEL', details: { field, label, features: [firstIndex, secondIndex] } },
    );
  }
}

/**
 * A feature's geometry is not well formed (a position without two numbers, a ring of fewer
 * than four positions or not closed, a coordinate that is not a finite number): not a geometry
 * a repair could make sense of, unlike a self-intersecting polygon.
 */
export class MalformedGeometryError extends InvalidInputError {
  constructor(path: string, feature: number, problem: string) {
    super(`${baseName(path)}: feature ${feature} has a malformed geometry: ${problem}`, {
      code: 'MALFORMED_GEOMETRY',
      details: { feature, problem },
    });
  }
}

/** The geometries are of a kind the operation does not accept. */
export class GeometryTypeError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'WRONG_GEOMETRY_TYPE' });
  }
}

export function baseName(path: string): string {
  return (
    path
      .replace(/^\/vsizip\//, '')
      .split(/[\\/]/)
      .pop() ?? path
  );
}

/**
 * `text` with every absolute path in it cut to its last segment (`/srv/data/uploads/x.gpkg`
 * becomes `x.gpkg`): messages reach clients, GDAL's and Node's name the files they opened, and
 * a server's folders are nobody else's business. A path must start the text or follow a space,
 * quote, bracket or `=`, so URLs and relative paths are left as they are.
 */
export function withoutPaths(text: string): string {
  return text.replace(/(?<=^|[\s'"`(=[])(?:\/[^\s'"`/]+)+\/([^\s'"`/]+)/g, '$1');
}
