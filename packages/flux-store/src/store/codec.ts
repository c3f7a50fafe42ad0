// How values are kept in blocks, and the exact statistics kept while loading.

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
 * Counts of every stored value of one parameter: the exact median and moments come from them.
 * Values arrive as integer codes (scaled) or doubles; a dense window of counters covers the
 * common case (fluxes span a few thousand codes) at array speed, a map takes the rest.
 */
export class ValueCounts {
  static readonly WINDOW = 1 << 20;
  #base: number | undefined;
  readonly #dense = new Float64Array(ValueCounts.WINDOW);
  readonly #sparse = new Map<number, number>();

  /** Adds one value (an integer code when the parameter is scaled). */
  add(key: number): void {
    if (this.#base === undefined) this.#base = key - ValueCounts.WINDOW / 2;
    const slot = key - this.#base;
    if (slot >= 0 && slot < ValueCounts.WINDOW && Number.isInteger(slot)) this.#dense[slot]!++;
    else this.#sparse.set(key, (this.#sparse.get(key) ?? 0) + 1);
  }

  /** Every key with its count (unordered). */
  *entries(): Generator<[number, number]> {
    if (this.#base !== undefined) {
      for (let slot = 0; slot < ValueCounts.WINDOW; slot++) {
        const count = this.#dense[slot]!;
        if (count > 0) yield [this.#base + slot, count];
      }
    }
    yield* this.#sparse.entries();
  }
}

/** Statistics from (value, count) pairs in ascending value order: pandas' mean/min/max/std/median. */
export function statsFromCounts(sorted: Iterable<[number, number]>): {
  n: number;
  mean: number;
  min: number;
  max: number;
  std: number;
  median: number;
} {
  const values: number[] = [];
  const counts: number[] = [];
  let n = 0;
  let sum = 0;
  for (const [value, count] of sorted) {
    values.push(value);
    counts.push(count);
    n += count;
    sum += value * count;
  }
  if (n === 0) return { n: 0, mean: NaN, min: NaN, max: NaN, std: NaN, median: NaN };
  const mean = sum / n;
  let squares = 0;
  for (let index = 0; index < values.length; index++) {
    const deviation = values[index]! - mean;
    squares += deviation * deviation * counts[index]!;
  }
  return {
    n,
    mean,
    min: values[0]!,
    max: values.at(-1)!,
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : NaN,
    median:
      (valueAtRank(values, counts, Math.floor((n - 1) / 2)) +
        valueAtRank(values, counts, Math.ceil((n - 1) / 2))) /
      2,
  };
}

function valueAtRank(values: number[], counts: number[], rank: number): number {
  let seen = 0;
  for (let index = 0; index < values.length; index++) {
    seen += counts[index]!;
    if (rank < seen) return values[index]!;
  }
  return values.at(-1)!;
}
