// The names a dataset may take: the original's collection names are refused, and so is anything
// that would not read well as a file name or in a URL path.
import { DatasetNameError } from './errors.js';

/** Names the original kept for its own collections. */
export const RESERVED_NAMES = ['coord_index', 'metadata', 'summary_stats'] as const;
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Throws DatasetNameError for a name a dataset may not take. */
export function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new DatasetNameError(String(name), 'it is empty');
  if ((RESERVED_NAMES as readonly string[]).includes(name))
    throw new DatasetNameError(name, 'the name is reserved');
  if (name.length > 128) throw new DatasetNameError(name, 'it is longer than 128 characters');
  if (!NAME_PATTERN.test(name)) {
    throw new DatasetNameError(name, 'use letters, digits, "_", "-" and "." (not first)');
  }
}
