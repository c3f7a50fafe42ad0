import { setOwn } from './containers.js';
import { valueNormalizer } from './encode.js';
import { dtypeText, parseDtype } from './dtype.js';
import { InvalidArrayError, UnsupportedDtypeError } from './errors.js';
import { checkArray } from './npy.js';
import { pyString } from './py-literal.js';
import type { NpyArray, NpyData } from './types.js';

export interface NpyFromNumbersOptions {
  /** `<f8` unless set. Integer dtypes refuse values that are not integers in their range. */
  dtype?: '<f8' | '<f4' | '<i8' | '<i4';
  /** `[values.length]` unless set; its product must equal the number of values. */
  shape?: number[];
}

/** An array of numbers in C order, copied into the typed array its dtype needs. */
export function npyFromNumbers(
  values: ArrayLike<number>,
  options: NpyFromNumbersOptions = {},
): NpyArray {
  const dtype = options.dtype ?? '<f8';
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new InvalidArrayError('npyFromNumbers needs an array of numbers');
  }
  const shape = [...(options.shape ?? [values.length])];
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const integer = dtype === '<i4' || dtype === '<i8';
    const fits =
      typeof value === 'number' &&
      (!integer || Number.isSafeInteger(value)) &&
      (dtype !== '<i4' || (value >= -(2 ** 31) && value < 2 ** 31));
    if (!fits) {
      throw new InvalidArrayError(
        `element ${i} must be ${integer ? `an integer that fits ${dtype}` : 'a number'}, ` +
          `got ${String(value)}`,
      );
    }
  }
  let data: NpyData;
  switch (dtype) {
    case '<f8':
      data = Float64Array.from(values);
      break;
    case '<f4':
      data = Float32Array.from(values);
      break;
    case '<i4':
      data = Int32Array.from(values);
      break;
    case '<i8':
      data = BigInt64Array.from(Array.from(values, (value) => BigInt(value)));
      break;
    default:
      throw new UnsupportedDtypeError(
        `npyFromNumbers writes <f8, <f4, <i8 or <i4, not ${String(dtype)}`,
        { dtype },
      );
  }
  const array = { dtype, shape, data };
  checkArray(array);
  return array;
}

/**
 * A 1-d structured array (numpy records) from plain objects, one per element, taking the
 * listed fields in order: what OpenQuake's extract returns for tables. Values are converted
 * as decodeNpy would return them (`<i8` as bigint, `|S` as UTF-8 bytes), so the result
 * equals the array read back. Integer fields take integers, `|b1` fields 0 or 1.
 */
export function npyFromRecords(
  records: Record<string, number | string>[],
  fields: { name: string; dtype: string }[],
): NpyArray {
  if (!Array.isArray(fields) || fields.length === 0) {
    throw new InvalidArrayError('npyFromRecords needs at least one field { name, dtype }');
  }
  if (!Array.isArray(records)) {
    throw new InvalidArrayError('npyFromRecords needs an array of records');
  }
  for (const field of fields) {
    if (typeof field?.name !== 'string' || field.name === '') {
      throw new InvalidArrayError(
        `Every field needs a non-empty name; got ${JSON.stringify(field)}`,
      );
    }
    if (typeof field.dtype !== 'string' || field.dtype.trimStart().startsWith('[')) {
      throw new UnsupportedDtypeError(
        `Field "${field.name}" must have a simple dtype such as '<f8'; nested structured dtypes are not supported`,
      );
    }
  }
  const text = `[${fields.map((field) => `(${pyString(field.name)}, ${pyString(field.dtype)})`).join(', ')}]`;
  const dtype = parseDtype(text);
  if (dtype.kind !== 'struct') throw new Error('unreachable: a list literal is a struct');
  const converters = dtype.fields.map((field) => ({
    name: field.name,
    bool: field.dtype.kind === 'b',
    normalize: valueNormalizer(field.dtype),
  }));
  const data = records.map((record, i) => {
    if (record === null || typeof record !== 'object') {
      throw new InvalidArrayError(`record ${i} must be an object, got ${String(record)}`);
    }
    const out: Record<string, unknown> = {};
    for (const { name, bool, normalize } of converters) {
      let value: unknown = Object.hasOwn(record, name) ? record[name] : undefined;
      if (value === undefined) {
        throw new InvalidArrayError(`record ${i} has no field "${name}"`, {
          record: i,
          field: name,
        });
      }
      if (bool && (value === 0 || value === 1)) value = value === 1;
      const result = normalize(value);
      if ('problem' in result) {
        throw new InvalidArrayError(`record ${i}, field "${name}" ${result.problem}`, {
          record: i,
          field: name,
        });
      }
      setOwn(out, name, result.value);
    }
    return out;
  });
  return { dtype: dtypeText(dtype), shape: [records.length], data };
}
