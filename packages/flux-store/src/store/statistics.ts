// The statistics the store keeps: exact value counts per parameter (median and moments of every
// stored value, for the metadata), and running moments of a region's values.

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

/** Running moments of values (exact when fed integer codes). */
export class Moments {
  n = 0;
  sum = 0;
  squares = 0;
  min = Infinity;
  max = -Infinity;

  add(value: number): void {
    this.n++;
    this.sum += value;
    this.squares += value * value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  merge(other: Moments): void {
    this.n += other.n;
    this.sum += other.sum;
    this.squares += other.squares;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** mean, min, max, population std, n, with values divided by `scale`. */
  result(scale: number): { mean: number; min: number; max: number; std: number; n: number } {
    if (this.n === 0) return { mean: NaN, min: NaN, max: NaN, std: NaN, n: 0 };
    const variance = Math.max(0, this.n * this.squares - this.sum * this.sum) / (this.n * this.n);
    return {
      mean: this.sum / this.n / scale,
      min: this.min / scale,
      max: this.max / scale,
      std: Math.sqrt(variance) / scale,
      n: this.n,
    };
  }
}
