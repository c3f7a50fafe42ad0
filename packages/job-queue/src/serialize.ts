import { UnserializableValueError } from './errors.js';

/**
 * Turns a value into JSON text, refusing anything JSON would silently change or drop
 * (functions, undefined, NaN, BigInt, Dates, Maps, class instances, cycles). Payloads and
 * results cross process boundaries and are stored, so what comes back must equal what went in.
 */
export function toStrictJson(value: unknown, what: string, maxBytes = Infinity): string {
  checkJsonValue(value, what, '$', new Set());
  const text = JSON.stringify(value);
  if (text.length > maxBytes) {
    // Characters are a lower bound on UTF-8 bytes, so only count bytes when close to the limit.
    const bytes = Buffer.byteLength(text);
    if (bytes > maxBytes) {
      throw new UnserializableValueError(
        what,
        '$',
        `is ${bytes} bytes, over the ${maxBytes} byte limit`,
      );
    }
  }
  return text;
}

function checkJsonValue(value: unknown, what: string, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new UnserializableValueError(what, path, `is ${value}, which JSON cannot represent`);
      }
      return;
    case 'undefined':
      throw new UnserializableValueError(what, path, 'is undefined');
    case 'function':
      throw new UnserializableValueError(what, path, 'is a function');
    case 'symbol':
      throw new UnserializableValueError(what, path, 'is a symbol');
    case 'bigint':
      throw new UnserializableValueError(what, path, 'is a BigInt (send it as a string)');
    case 'object': {
      if (value === null) return;
      if (seen.has(value))
        throw new UnserializableValueError(what, path, 'is a circular reference');
      seen.add(value);
      if (Array.isArray(value)) {
        value.forEach((item, index) => checkJsonValue(item, what, `${path}[${index}]`, seen));
      } else {
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          throw new UnserializableValueError(
            what,
            path,
            `is a ${name}; only plain objects, arrays, strings, finite numbers, booleans and null are allowed`,
          );
        }
        for (const [key, item] of Object.entries(value)) {
          checkJsonValue(item, what, `${path}.${key}`, seen);
        }
      }
      seen.delete(value);
      return;
    }
  }
}
