import { BadTaskParameterError } from './errors.js';

/** Longest `resource_id`. */
export const MAX_RESOURCE_ID = 200;
/** Longest `email` (an address has at most 320 characters). */
export const MAX_EMAIL = 320;
/** Longest text parameter (`filters`, `q`, `fields`, `sort`), in characters. */
export const MAX_TEXT = 64 * 1024;
/**
 * The longest value of each text parameter, in characters: what `parseTask` and
 * `parseStatsQuery` accept, and what the service's request schemas declare.
 */
export const MAX_LENGTHS = {
  resource_id: MAX_RESOURCE_ID,
  email: MAX_EMAIL,
  key: 1024,
  doi: 1000,
  api_url: 8192,
  resource_url: 8192,
  language: 100,
  fields: MAX_TEXT,
  sort: MAX_TEXT,
  format: 20,
  eml: 1024 * 1024,
  email_status: 20,
} as const;
/**
 * Deepest nesting of a JSON parameter (`filters`, a per-field `q`). CKAN's filters are two
 * levels deep; the versioned datastore's boolean filter trees rarely pass ten. Anything deeper
 * is refused before it is serialised again (for the cache key, the job store, the CKAN call),
 * where thousands of levels would overflow the stack.
 */
export const MAX_JSON_DEPTH = 32;
/** Most values (objects, arrays, scalars) in one JSON parameter. */
export const MAX_JSON_VALUES = 10_000;

/**
 * Reads request parameters as the CKAN extension posts them (form fields, all strings) or as
 * JSON, refusing anything missing, malformed or too large with a `BadTaskParameterError`
 * naming the parameter.
 */
export class ParameterReader {
  constructor(private readonly parameters: Readonly<Record<string, unknown>>) {}

  /**
   * A parameter's value. A form field given twice arrives as a list: which one was meant is
   * unknowable, so it is refused rather than one of them picked (a JSON list likewise).
   */
  private raw(name: string): unknown {
    const value = Object.hasOwn(this.parameters, name) ? this.parameters[name] : undefined;
    if (Array.isArray(value)) {
      throw new BadTaskParameterError(name, `Parameter ${name} must be given once, not as a list`);
    }
    return value;
  }

  requiredText(name: string, maxLength: number): string {
    const value = this.optionalText(name, maxLength);
    if (value === undefined || value.trim() === '') {
      throw new BadTaskParameterError(name, `Parameter ${name} is required`);
    }
    return value.trim();
  }

  optionalText(name: string, maxLength: number): string | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new BadTaskParameterError(name, `Parameter ${name} must be a string`);
    }
    const text = String(value);
    checkLength(name, text, maxLength);
    return text;
  }

  /** A whole number >= 0 (a safe integer), or undefined when absent or empty. */
  count(name: string): number | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null || value === '') return undefined;
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^\s*\d{1,16}\s*$/.test(value)
          ? Number(value)
          : NaN;
    if (!(Number.isSafeInteger(number) && number >= 0)) {
      throw new BadTaskParameterError(name, `Parameter ${name} must be a whole number >= 0`);
    }
    return number;
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'boolean') return value;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new BadTaskParameterError(name, `Parameter ${name} must be true or false`);
    }
    const text = String(value).trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    throw new BadTaskParameterError(name, `Parameter ${name} must be true or false`);
  }

  /** A JSON object, given as its text (forms) or as an object (JSON bodies), within bounds. */
  jsonObject(name: string): Record<string, unknown> | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null || value === '') return undefined;
    let parsed: unknown = value;
    if (typeof value === 'string') {
      checkLength(name, value, MAX_TEXT);
      try {
        parsed = JSON.parse(value);
      } catch {
        throw new BadTaskParameterError(name, `Parameter ${name} must be a JSON object`);
      }
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new BadTaskParameterError(name, `Parameter ${name} must be a JSON object`);
    }
    return checkJsonBounds(name, parsed as Record<string, unknown>);
  }

  /** `q`: a string, or (JSON bodies) a per-field object within bounds. */
  query(name: string): string | Record<string, unknown> | undefined {
    const value = this.raw(name);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'object') return checkJsonBounds(name, value as Record<string, unknown>);
    return this.optionalText(name, MAX_TEXT);
  }
}

function checkLength(name: string, text: string, maxLength: number): void {
  if (text.length > maxLength) {
    throw new BadTaskParameterError(
      name,
      `Parameter ${name} is longer than ${maxLength} characters`,
    );
  }
}

/**
 * Walks a parsed JSON value without recursion (so depth itself cannot overflow the stack) and
 * refuses it when it is nested deeper than `MAX_JSON_DEPTH`, holds more than `MAX_JSON_VALUES`
 * values or, written out, more than `MAX_TEXT` characters.
 */
function checkJsonBounds<T extends object>(name: string, value: T): T {
  const pending: [unknown, number][] = [[value, 1]];
  let values = 0;
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (++values > MAX_JSON_VALUES) {
      throw new BadTaskParameterError(
        name,
        `Parameter ${name} holds more than ${MAX_JSON_VALUES} values`,
      );
    }
    if (item === null || typeof item !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new BadTaskParameterError(
        name,
        `Parameter ${name} is nested more than ${MAX_JSON_DEPTH} levels deep`,
      );
    }
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  checkLength(name, JSON.stringify(value), MAX_TEXT);
  return value;
}
