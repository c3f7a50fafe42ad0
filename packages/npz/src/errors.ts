import { InvalidInputError, TooLargeError } from '@geoworks/errors';

/** An NpyArray handed to the writer (or a helper) is inconsistent: shape, data or widths. */
export class InvalidArrayError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'INVALID_NPY_ARRAY', details, cause });
  }
}

/** A dtype this package does not read or write (objects, complex, datetimes, nesting, ...). */
export class UnsupportedDtypeError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'UNSUPPORTED_DTYPE', details, cause });
  }
}

/** The bytes are not a well-formed .npy file (bad magic, truncated, unreadable header). */
export class CorruptNpyError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'CORRUPT_NPY', details, cause });
  }
}

/** The archive is not a well-formed .npz (not a zip, entries that are not `*.npy`, ...). */
export class CorruptNpzError extends InvalidInputError {
  constructor(message: string, details?: Record<string, unknown>, cause?: unknown) {
    super(message, { code: 'CORRUPT_NPZ', details, cause });
  }
}

/** The archive would unpack to more than the reader was allowed to hold in memory. */
export class NpzTooLargeError extends TooLargeError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, { code: 'NPZ_TOO_LARGE', details });
  }
}

/**
 * The same error, its message prefixed with the npz entry it concerns, so a caller reading a
 * ten-array archive learns which array was wrong. Errors of other kinds pass through.
 */
export function inEntry(error: unknown, entry: string): unknown {
  for (const Class of [InvalidArrayError, UnsupportedDtypeError, CorruptNpyError]) {
    if (error instanceof Class) {
      return new Class(`${entry}: ${error.message}`, { ...error.details, entry }, error);
    }
  }
  return error;
}
