import { InvalidInputError } from '@geoworks/errors';
import type { Field } from './types.js';

/** Fields must be `{id}` objects: checked once, before any record is read. */
export function checkFields(fields: readonly Field[]): void {
  if (!Array.isArray(fields) || fields.some((field) => typeof field?.id !== 'string')) {
    throw new InvalidInputError('fields must be a list of {id, type}', { code: 'BAD_FIELDS' });
  }
}

/** A record must be an object (CKAN's `records_format=objects`); `index` counts from 0. */
export function checkRecord(record: unknown, index: number): void {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new InvalidInputError(`Record ${index + 1} is not an object`, { code: 'BAD_RECORD' });
  }
}
