import { InvalidArrayError } from './errors.js';
import type { NpyArray } from './types.js';

/**
 * A 0-d `|S<n>` array holding `JSON.stringify(value)` as UTF-8: how OpenQuake's
 * extract/oqparam ships its `json` entry (Python reads it with `json.loads(bytes(...))`).
 */
export function npyFromJson(value: unknown): NpyArray {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InvalidArrayError(`The value cannot be written as JSON: ${(error as Error).message}`);
  }
  if (text === undefined) {
    throw new InvalidArrayError(`The value cannot be written as JSON: it is ${typeof value}`);
  }
  const bytes = new TextEncoder().encode(text);
  return { dtype: `|S${bytes.length}`, shape: [], data: [bytes] };
}

/** The value an `|S` or `<U` array of one element holds as JSON text: npyFromJson's inverse. */
export function jsonFromNpy(array: NpyArray): unknown {
  const { dtype, shape, data } = array;
  const count = Array.isArray(shape) ? shape.reduce((product, n) => product * n, 1) : NaN;
  if (!/^[|<>=]?[SU]\d+$/.test(dtype) || count !== 1 || data.length !== 1) {
    throw new InvalidArrayError(
      `JSON comes in a 0-d or one-element |S or <U array; this one is ${dtype} of shape ` +
        `(${Array.isArray(shape) ? shape.join(', ') : String(shape)})`,
      { dtype },
    );
  }
  const element: unknown = data[0];
  let text: string;
  if (typeof element === 'string') {
    text = element;
  } else if (element instanceof Uint8Array) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(element);
    } catch (error) {
      throw new InvalidArrayError('The JSON bytes are not valid UTF-8', {}, error);
    }
  } else {
    throw new InvalidArrayError(`The JSON array's element is not text or bytes`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidArrayError(`The array does not hold valid JSON: ${(error as Error).message}`, {
      text: text.slice(0, 200),
    });
  }
}
