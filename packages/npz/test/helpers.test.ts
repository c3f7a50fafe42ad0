import { describe, expect, it } from 'vitest';
import {
  decodeNpy,
  encodeNpy,
  InvalidArrayError,
  jsonFromNpy,
  npyFromJson,
  npyFromNumbers,
  npyFromRecords,
  UnsupportedDtypeError,
} from '../src/index.js';

describe('npyFromJson / jsonFromNpy', () => {
  it('stores JSON as a 0-d |S array of UTF-8 bytes, as OpenQuake stores oqparam', () => {
    const array = npyFromJson({ a: 'é', n: [1, 2] });
    const text = '{"a":"é","n":[1,2]}';
    expect(array).toEqual({
      dtype: '|S20', // 19 characters, é is two bytes in UTF-8
      shape: [],
      data: [new TextEncoder().encode(text)],
    });
    expect(jsonFromNpy(decodeNpy(encodeNpy(array)))).toEqual({ a: 'é', n: [1, 2] });
  });

  it.each([null, 0, 'text', [1, 'two', { three: 3 }], { nested: { deep: [true, false] } }])(
    'round-trips %j',
    (value) => {
      expect(jsonFromNpy(decodeNpy(encodeNpy(npyFromJson(value))))).toEqual(value);
    },
  );

  it('reads <U arrays and one-element 1-d arrays too', () => {
    expect(jsonFromNpy({ dtype: '<U7', shape: [1], data: ['{"a":1}'] })).toEqual({ a: 1 });
    expect(jsonFromNpy({ dtype: '|S2', shape: [1, 1], data: [Uint8Array.of(91, 93)] })).toEqual([]);
  });

  it('refuses what cannot be JSON', () => {
    expect(() => npyFromJson(undefined)).toThrow(
      'The value cannot be written as JSON: it is undefined',
    );
    expect(() => npyFromJson(1n)).toThrow(
      /cannot be written as JSON: Do not know how to serialize a BigInt/,
    );
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => npyFromJson(cycle)).toThrow(InvalidArrayError);
  });

  it('refuses arrays that do not hold one JSON text', () => {
    expect(() => jsonFromNpy({ dtype: '<f8', shape: [1], data: Float64Array.of(1) })).toThrow(
      'JSON comes in a 0-d or one-element |S or <U array; this one is <f8 of shape (1)',
    );
    expect(() => jsonFromNpy({ dtype: '<U1', shape: [2], data: ['1', '2'] })).toThrow(
      'this one is <U1 of shape (2)',
    );
    expect(() => jsonFromNpy({ dtype: '|S1', shape: [], data: [Uint8Array.of(0xff)] })).toThrow(
      'The JSON bytes are not valid UTF-8',
    );
    expect(() => jsonFromNpy({ dtype: '<U3', shape: [], data: ['{x}'] })).toThrow(
      /^The array does not hold valid JSON: /,
    );
  });
});

describe('npyFromNumbers', () => {
  it('copies into the typed array of the dtype, <f8 and 1-d unless told', () => {
    const values = [1, 2.5, -3];
    expect(npyFromNumbers(values)).toEqual({
      dtype: '<f8',
      shape: [3],
      data: Float64Array.of(1, 2.5, -3),
    });
    expect(npyFromNumbers(values, { dtype: '<f4' }).data).toEqual(Float32Array.of(1, 2.5, -3));
    expect(npyFromNumbers([1, -2], { dtype: '<i4' }).data).toEqual(Int32Array.of(1, -2));
    expect(npyFromNumbers([2 ** 53 - 1], { dtype: '<i8' }).data).toEqual(
      BigInt64Array.of(2n ** 53n - 1n),
    );
  });

  it('takes a shape', () => {
    const array = npyFromNumbers(new Float32Array(6), { shape: [2, 3] });
    expect(array.shape).toEqual([2, 3]);
    expect(decodeNpy(encodeNpy(array))).toEqual(array);
    expect(npyFromNumbers([7], { shape: [] }).shape).toEqual([]);
  });

  it('refuses values that do not fit, and shapes that do not match', () => {
    expect(() => npyFromNumbers([1, 2], { shape: [3] })).toThrow(
      'data has 2 elements but the shape needs 3',
    );
    expect(() => npyFromNumbers([1.5], { dtype: '<i4' })).toThrow(
      'element 0 must be an integer that fits <i4, got 1.5',
    );
    expect(() => npyFromNumbers([2 ** 31], { dtype: '<i4' })).toThrow(
      'element 0 must be an integer that fits <i4',
    );
    expect(() => npyFromNumbers([2 ** 53], { dtype: '<i8' })).toThrow(
      'element 0 must be an integer that fits <i8',
    );
    expect(() => npyFromNumbers(['1' as unknown as number])).toThrow(
      'element 0 must be a number, got 1',
    );
    expect(() => npyFromNumbers([1], { dtype: '<u2' as '<f8' })).toThrow(UnsupportedDtypeError);
  });
});

describe('npyFromRecords', () => {
  const fields = [
    { name: 'id', dtype: '<i8' },
    { name: 'label', dtype: '<U8' },
    { name: 'code', dtype: '|S4' },
    { name: 'flag', dtype: '|b1' },
    { name: 'measure', dtype: '<f8' },
  ];

  it('builds records equal to the ones read back from the file', () => {
    const array = npyFromRecords(
      [
        { id: 1, label: 'Zürich', code: 'CH', flag: 1, measure: 12.5, ignored: 'extra' },
        { id: -2, label: '', code: 'ABCD', flag: 0, measure: Number.NaN },
      ],
      fields,
    );
    expect(array).toEqual({
      dtype:
        "[('id', '<i8'), ('label', '<U8'), ('code', '|S4'), ('flag', '|b1'), ('measure', '<f8')]",
      shape: [2],
      data: [
        {
          id: 1n,
          label: 'Zürich',
          code: new TextEncoder().encode('CH'),
          flag: true,
          measure: 12.5,
        },
        {
          id: -2n,
          label: '',
          code: new TextEncoder().encode('ABCD'),
          flag: false,
          measure: Number.NaN,
        },
      ],
    });
    expect(decodeNpy(encodeNpy(array))).toEqual(array);
  });

  it('makes an empty array from no records', () => {
    const array = npyFromRecords([], fields);
    expect(array.shape).toEqual([0]);
    expect(decodeNpy(encodeNpy(array))).toEqual(array);
  });

  it('rounds <f4 values as the file stores them', () => {
    const array = npyFromRecords([{ x: 0.1 }], [{ name: 'x', dtype: '<f4' }]);
    expect(array.data).toEqual([{ x: Math.fround(0.1) }]);
  });

  it.each([
    [
      [{ id: 1 }],
      [
        { name: 'id', dtype: '<i8' },
        { name: 'x', dtype: '<f8' },
      ],
      'record 0 has no field "x"',
    ],
    [[{ id: 1.5 }], [{ name: 'id', dtype: '<i8' }], 'record 0, field "id" must be an integer from'],
    [[{ id: 'one' }], [{ name: 'id', dtype: '<i4' }], 'record 0, field "id" must be an integer'],
    [[{ x: 1 }], [{ name: 'x', dtype: '<U3' }], 'record 0, field "x" must be a string, got number'],
    [
      [{ x: 'long' }],
      [{ name: 'x', dtype: '<U3' }],
      'record 0, field "x" has 4 characters, more than <U3 holds',
    ],
    [
      [{ x: 2 }],
      [{ name: 'x', dtype: '|b1' }],
      'record 0, field "x" must be a boolean, got number',
    ],
    [[{ x: 1 }], [], 'npyFromRecords needs at least one field'],
    [[{ x: 1 }], [{ name: '', dtype: '<f8' }], 'Every field needs a non-empty name'],
    [
      [{ x: 1 }],
      [
        { name: 'x', dtype: '<f8' },
        { name: 'x', dtype: '<f8' },
      ],
      "two fields named 'x'",
    ],
    [[{ x: 1 }], [{ name: 'x', dtype: '<c8' }], 'complex numbers are not supported'],
    [
      [{ x: 1 }],
      [{ name: 'x', dtype: "[('y', '<f8')]" }],
      'nested structured dtypes are not supported',
    ],
  ])('refuses %j with %j', (records, recordFields, message) => {
    expect(() =>
      npyFromRecords(records as Record<string, number | string>[], recordFields),
    ).toThrow(message);
  });
});
