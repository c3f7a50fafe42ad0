// How values are kept in blocks: integer codes of 10^-precision, or doubles.
import type { ValueCounts } from './statistics.js';

/** Block payloads: stored values rounded to the precision, as integers of 10^-precision. */
export const INT32_SCALED = 0;
/** Block payloads as plain doubles (no precision, or values too large for 32-bit integers). */
export const FLOAT64 = 1;
/** The Int32 code of a missing value (NaN). */
export const MISSING_CODE = -2147483648;
const MAX_CODE = 2147483647;

/**
 * The integer scale of a precision: values are kept as `round(v * scale)`. Precisions outside
 * 0..9 are not scaled (10^10 times a flux no longer fits 32 bits anyway).
 */
export function scaleOf(precision: number | undefined): number | undefined {
  if (precision === undefined || !Number.isInteger(precision) || precision < 0 || precision > 9)
    return undefined;
  return 10 ** precision;
}

/** `round(v * scale)`, half away from zero (as the models round), NaN for a missing value. */
export function codeOf(value: number, scale: number): number {
  const scaled = Math.round(Math.abs(value) * scale);
  return value < 0 ? -scaled : scaled;
}

/** Whether a code fits the Int32 encoding (the minimum is the missing-value marker). */
export function fitsInt32(code: number): boolean {
  return code > MISSING_CODE && code <= MAX_CODE;
}

/** A typed view over a blob, copied first when SQLite's buffer is not aligned for it. */
export function int32View(blob: Buffer): Int32Array {
  if (blob.byteOffset % 4 === 0)
    return new Int32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return new Int32Array(Uint8Array.prototype.slice.call(blob).buffer);
}

export function float64View(blob: Buffer): Float64Array {
  if (blob.byteOffset % 8 === 0)
    return new Float64Array(blob.buffer, blob.byteOffset, blob.byteLength / 8);
  return new Float64Array(Uint8Array.prototype.slice.call(blob).buffer);
}

/** Decodes a block into doubles (NaN where missing). */
export function decodeBlock(
  encoding: number,
  blob: Buffer,
  scale: number | undefined,
): Float64Array {
  if (encoding === FLOAT64) return float64View(blob);
  const codes = int32View(blob);
  const out = new Float64Array(codes.length);
  const s = scale ?? 1;
  for (let index = 0; index < codes.length; index++) {
    const code = codes[index]!;
    out[index] = code === MISSING_CODE ? NaN : code / s;
  }
  return out;
}

/**
 * Rounds a step's values into `buffer` at `offset` (as integer codes when scaled, doubles
 * otherwise), counting them for the statistics and summing them for the step summary.
 */
export function encodeStep(
  values: Float64Array,
  buffer: Float64Array,
  offset: number,
  scale: number | undefined,
  counts: ValueCounts,
): {
  n: number;
  sum: number;
  sumPositive: number;
  sumNegative: number;
  min: number;
  max: number;
  fitsInt: boolean;
} {
  let n = 0;
  let sum = 0;
  let sumPositive = 0;
  let sumNegative = 0;
  let min = Infinity;
  let max = -Infinity;
  let fits = true;
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    if (Number.isNaN(value)) {
      buffer[offset + index] = NaN;
      continue;
    }
    const code = scale === undefined ? value : codeOf(value, scale);
    buffer[offset + index] = code;
    if (scale !== undefined && !fitsInt32(code)) fits = false;
    counts.add(code);
    n++;
    sum += code;
    if (code > 0) sumPositive += code;
    else sumNegative += code;
    if (code < min) min = code;
    if (code > max) max = code;
  }
  return { n, sum, sumPositive, sumNegative, min, max, fitsInt: scale !== undefined && fits };
}
