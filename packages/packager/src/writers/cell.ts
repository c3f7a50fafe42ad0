import { UnwritableValueError } from './errors.js';
import type { Field } from './types.js';

/**
 * The text of one cell: null/undefined -> '', strings as they are, numbers and booleans as
 * JavaScript prints them, objects and lists as JSON (ckanpackager wrote Python reprs; JSON is
 * what a reader can parse back).
 */
export function cell(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
      return String(value);
    case 'function':
      return '';
  }
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value) ?? '';
}

/**
 * Re-throws a failure of `cell()` on some value of `record` as a typed error naming the field.
 * Kept off the hot path: row encoders only call it from their catch block.
 */
export function unwritable(error: unknown, fields: readonly Field[], record: object): Error {
  for (const field of fields) {
    try {
      cell((record as Record<string, unknown>)[field.id]);
    } catch (cause) {
      return new UnwritableValueError(field.id, (cause as Error).message);
    }
  }
  return error instanceof Error ? error : new Error(String(error));
}
