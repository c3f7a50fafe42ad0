import { resolve } from 'node:path';
import type { BytesField, ConfigField, DurationField } from './types.js';

/** A parsed value, or `undefined` when the text does not fit the field. */
export type Parsed = { value: unknown } | undefined;

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** `10MB` -> 10000000, `1GiB` -> 1073741824, `512` -> 512; NaN when it is not a size. */
export function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = BYTE_UNITS[match?.[2]?.toLowerCase() ?? 'none'];
  if (match === null || unit === undefined) return NaN;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : NaN;
}

/** `1500ms` -> 1500, `30s` -> 30000, `5m` -> 300000; NaN when it is not a duration. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text.trim());
  const unit = DURATION_UNITS[match?.[2]?.toLowerCase() ?? 'none'];
  if (match === null || unit === undefined) return NaN;
  const ms = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(ms) ? ms : NaN;
}

/** A `min` or `max` in the field's own unit; NaN when the schema wrote something unreadable. */
export function boundOf(field: ConfigField, which: 'min' | 'max'): number | undefined {
  const bound = (field as { min?: number | string; max?: number | string })[which];
  if (bound === undefined) return undefined;
  if (typeof bound === 'number') return bound;
  return field.type === 'duration' ? parseDuration(bound) : parseBytes(bound);
}

/** What a value of this field looks like, for error messages and `describeConfig`. */
export function expectation(field: ConfigField): string {
  switch (field.type) {
    case 'string':
      return 'a string';
    case 'integer':
      return `an integer${rangeText(field)}`;
    case 'number':
      return `a number${rangeText(field)}`;
    case 'boolean':
      return 'true or false (also 1/0, yes/no, on/off)';
    case 'enum':
      return `one of ${field.values.join(', ')}`;
    case 'url':
      return field.protocols === undefined
        ? 'an absolute URL'
        : `an absolute URL starting with ${field.protocols.join(' or ')}`;
    case 'path':
      return 'a file system path';
    case 'bytes':
      return `a size like 512, 10MB or 1GiB${rangeText(field)}`;
    case 'duration':
      return `a duration like 1500ms, 30s or 5m${rangeText(field)}`;
    case 'list':
      return 'a comma-separated list';
  }
}

/** ` from 1 to 10`, ` of at least 1MB`, or nothing when the field has no bounds. */
export function rangeText(field: ConfigField): string {
  const show = (bound: number | string | undefined) =>
    typeof bound === 'number' && (field.type === 'bytes' || field.type === 'duration')
      ? `${bound}${field.type === 'bytes' ? ' bytes' : 'ms'}`
      : String(bound);
  const { min, max } = field as { min?: number | string; max?: number | string };
  if (min !== undefined && max !== undefined) return ` from ${show(min)} to ${show(max)}`;
  if (min !== undefined) return ` of at least ${show(min)}`;
  if (max !== undefined) return ` of at most ${show(max)}`;
  return '';
}

/** Reads an environment variable (or a default written as text) as the field's type. */
export function parseText(field: ConfigField, text: string): Parsed {
  const trimmed = text.trim();
  switch (field.type) {
    case 'string':
      return { value: text };
    case 'integer':
      return /^[+-]?\d+$/.test(trimmed) ? checkNumber(field, Number(trimmed)) : undefined;
    case 'number':
      return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)
        ? checkNumber(field, Number(trimmed))
        : undefined;
    case 'boolean': {
      const word = trimmed.toLowerCase();
      if (TRUE_WORDS.has(word)) return { value: true };
      return FALSE_WORDS.has(word) ? { value: false } : undefined;
    }
    case 'enum': {
      // An exact match wins over a case-insensitive one, in case values differ only by case.
      const lower = trimmed.toLowerCase();
      const value =
        field.values.find((candidate) => candidate === trimmed) ??
        field.values.find((candidate) => candidate.toLowerCase() === lower);
      return value === undefined ? undefined : { value };
    }
    case 'url':
      return checkUrl(field.protocols, trimmed);
    case 'path':
      return trimmed.includes('\0') ? undefined : { value: resolve(trimmed) };
    case 'bytes':
      return checkNumber(field, parseBytes(trimmed));
    case 'duration':
      return checkNumber(field, parseDuration(trimmed));
    case 'list':
      return { value: Object.freeze(splitList(trimmed)) };
  }
}

/** Checks a default the schema wrote as a number, boolean or array rather than as text. */
export function checkNative(field: ConfigField, value: unknown): Parsed {
  switch (field.type) {
    case 'integer':
    case 'number':
    case 'bytes':
    case 'duration':
      return typeof value === 'number' ? checkNumber(field, value) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? { value } : undefined;
    case 'list':
      return Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? { value: Object.freeze([...(value as string[])]) }
        : undefined;
    default:
      return undefined;
  }
}

function checkNumber(field: ConfigField, value: number): Parsed {
  if (!Number.isFinite(value)) return undefined;
  if (field.type === 'integer' && !Number.isSafeInteger(value)) return undefined;
  if ((field.type === 'bytes' || field.type === 'duration') && value < 0) return undefined;
  const min = boundOf(field, 'min');
  const max = boundOf(field, 'max');
  if (min !== undefined && value < min) return undefined;
  if (max !== undefined && value > max) return undefined;
  return { value };
}

function checkUrl(protocols: readonly string[] | undefined, text: string): Parsed {
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  if (protocols !== undefined && !protocols.includes(url.protocol)) return undefined;
  return { value: text };
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** True when a bytes or duration field's bounds could not be read. */
export function hasUnreadableBounds(field: BytesField | DurationField): boolean {
  return [boundOf(field, 'min'), boundOf(field, 'max')].some((bound) => Number.isNaN(bound));
}
