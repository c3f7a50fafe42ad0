import { describe, expect, it } from 'vitest';
import {
  deserializeError,
  GeoworksError,
  InvalidInputError,
  isGeoworksError,
  NotFoundError,
  RateLimitedError,
  serializeError,
  TooLargeError,
} from '../src/index.js';

class DuplicateLabelError extends InvalidInputError {
  constructor(label: string) {
    super(`Label "${label}" appears twice`, { code: 'DUPLICATE_LABEL', details: { label } });
  }
}

describe('errors', () => {
  it('carries kind, code, details and the subclass name', () => {
    const error = new DuplicateLabelError('FR');
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toBeInstanceOf(GeoworksError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DuplicateLabelError');
    expect(error.kind).toBe('invalid-input');
    expect(error.code).toBe('DUPLICATE_LABEL');
    expect(error.details).toEqual({ label: 'FR' });
    expect(isGeoworksError(error)).toBe(true);
    expect(isGeoworksError(new Error('x'))).toBe(false);
  });

  it('derives a default code from the kind', () => {
    expect(new TooLargeError('too big').code).toBe('TOO_LARGE');
    expect(new NotFoundError('gone').code).toBe('NOT_FOUND');
  });

  it('round-trips through serialisation as the base class of its kind', () => {
    const original = new DuplicateLabelError('FR');
    const data = JSON.parse(JSON.stringify(original)) as ReturnType<typeof serializeError>;
    expect(data).toMatchObject({
      name: 'DuplicateLabelError',
      message: 'Label "FR" appears twice',
      kind: 'invalid-input',
      code: 'DUPLICATE_LABEL',
      details: { label: 'FR' },
    });
    const back = deserializeError(data);
    expect(back).toBeInstanceOf(InvalidInputError);
    expect(back.name).toBe('DuplicateLabelError');
    expect((back as InvalidInputError).code).toBe('DUPLICATE_LABEL');
    expect(back.stack).toBe(original.stack);
  });

  it('says when to try again after a rate limit, also once serialised', () => {
    const error = new RateLimitedError('Too many attempts', {
      code: 'TOO_MANY_LOGINS',
      retryAfterSeconds: 900,
    });
    expect(error).toMatchObject({
      kind: 'rate-limited',
      code: 'TOO_MANY_LOGINS',
      details: { retryAfterSeconds: 900 },
      retryAfterSeconds: 900,
    });
    const back = deserializeError(serializeError(error));
    expect(back).toBeInstanceOf(RateLimitedError);
    expect((back as RateLimitedError).retryAfterSeconds).toBe(900);
    expect(new RateLimitedError('Slow down').retryAfterSeconds).toBeUndefined();
    expect(new RateLimitedError('Slow down').code).toBe('RATE_LIMITED');
  });

  it('reads the not-acceptable kind of errors stored by earlier versions as invalid input', () => {
    const back = deserializeError({
      name: 'NotAcceptableError',
      message: 'The two datasets are the same file',
      kind: 'not-acceptable' as never,
      code: 'NOT_ACCEPTABLE',
    });
    expect(back).toBeInstanceOf(InvalidInputError);
    expect(back).toMatchObject({ kind: 'invalid-input', code: 'NOT_ACCEPTABLE' });
  });

  it('serialises plain errors and thrown non-errors', () => {
    const plain = serializeError(new RangeError('out'));
    expect(plain).toMatchObject({ name: 'RangeError', message: 'out' });
    expect(plain.kind).toBeUndefined();
    expect(serializeError('just a string')).toEqual({ name: 'Error', message: 'just a string' });
    expect(serializeError({ a: 1 })).toEqual({ name: 'Error', message: '{"a":1}' });
    const node = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    expect(serializeError(node).code).toBe('ENOENT');
    expect(deserializeError(plain)).toBeInstanceOf(Error);
    expect(deserializeError(plain).name).toBe('RangeError');
  });
});
