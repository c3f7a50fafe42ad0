import type { PixelArray } from './raster.js';

export const ALL_STATS = [
  'min',
  'max',
  'mean',
  'count',
  'sum',
  'std',
  'median',
  'majority',
  'minority',
  'unique',
  'range',
  'nodata',
] as const;

export type StatName = (typeof ALL_STATS)[number];

export const DEFAULT_STATS: readonly StatName[] = ['min', 'max', 'mean', 'count'];

export type Stats = Partial<Record<StatName, number | null>>;

type DistributionStat = 'median' | 'majority' | 'minority' | 'unique';

/** The statistics that need every value kept, not only running sums. */
function isDistributionStat(name: StatName): name is DistributionStat {
  return name === 'median' || name === 'majority' || name === 'minority' || name === 'unique';
}

/**
 * Statistics of the pixels with a positive weight. Weights are 1 for the pixel-centre and
 * all-touched rules (counts are integers), or the covered fraction in coverage mode (count is
 * then the covered pixel area, and sum, mean, std, median, majority and minority are weighted).
 * Nodata and NaN pixels are left out; `nodata` counts (weighs) them.
 */
export function computeStats(
  values: PixelArray,
  weights: ArrayLike<number>,
  nodata: number | null,
  wanted: readonly StatName[],
): Stats {
  const start: number[] = [];
  const runWeight: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (weights[i]! > 0) {
      start.push(i);
      runWeight.push(weights[i]!);
    }
  }
  const end = start.map((i) => i + 1);
  return computeStatsOverRuns(values, { start, end, weight: runWeight }, nodata, wanted);
}

/**
 * `computeStats` over runs of pixels of one weight each (see `coverageRuns`: pixels
 * `start[r]` to `end[r]` exclusive, ascending, weights positive): the same results, in the
 * same order of summation, without a weight for every pixel of the window.
 */
export function computeStatsOverRuns(
  values: PixelArray,
  runs: { start: ArrayLike<number>; end: ArrayLike<number>; weight: ArrayLike<number> },
  nodata: number | null,
  wanted: readonly StatName[],
): Stats {
  const { start, end, weight } = runs;
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let nodataWeight = 0;
  const needDistribution = wanted.some(isDistributionStat);
  const needStd = wanted.includes('std');
  const kept: number[] = [];
  const keptWeights: number[] = [];
  for (let r = 0; r < start.length; r++) {
    const runWeight = weight[r]!;
    for (let i = start[r]!, last = end[r]!; i < last; i++) {
      const value = values[i]!;
      if (Number.isNaN(value) || value === nodata) {
        nodataWeight += runWeight;
        continue;
      }
      count += runWeight;
      sum += runWeight * value;
      if (value < min) min = value;
      if (value > max) max = value;
      if (needDistribution || needStd) {
        kept.push(value);
        keptWeights.push(runWeight);
      }
    }
  }
  return assemble(
    wanted,
    { count, sum, min, max, nodata: nodataWeight },
    {
      squares: (mean) => {
        let squares = 0;
        for (let i = 0; i < kept.length; i++) squares += keptWeights[i]! * (kept[i]! - mean) ** 2;
        return squares;
      },
      distribution: (name) => distributionStat(name, kept, keptWeights),
    },
  );
}

interface Accumulated {
  /** Weight of the counted pixels. */
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Weight of the nodata and NaN pixels. */
  nodata: number;
}

/**
 * The wanted statistics from the accumulated moments; `squares` gives the weighted sum of
 * squared deviations from the mean (a second pass), `distribution` the median-like ones.
 */
function assemble(
  wanted: readonly StatName[],
  { count, sum, min, max, nodata }: Accumulated,
  passes: {
    squares(mean: number): number;
    distribution?(name: DistributionStat): number | null;
  },
): Stats {
  const empty = count === 0;
  const mean = empty ? null : sum / count;
  const result: Stats = {};
  for (const name of wanted) {
    switch (name) {
      case 'count':
        result.count = count;
        break;
      case 'min':
        result.min = empty ? null : min;
        break;
      case 'max':
        result.max = empty ? null : max;
        break;
      case 'mean':
        result.mean = mean;
        break;
      case 'sum':
        result.sum = empty ? null : sum;
        break;
      case 'range':
        result.range = empty ? null : max - min;
        break;
      case 'nodata':
        result.nodata = nodata;
        break;
      case 'std':
        result.std = empty ? null : Math.sqrt(passes.squares(mean!) / count);
        break;
      default:
        if (passes.distribution === undefined) throw new Error(`${name} needs the pixel values`);
        result[name] = empty && name !== 'unique' ? null : passes.distribution(name);
    }
  }
  return result;
}

/** Median, majority, minority or the number of unique values of the kept pixels. */
function distributionStat(
  name: DistributionStat,
  kept: number[],
  keptWeights: number[],
): number | null {
  if (name === 'median') return weightedMedian(kept, keptWeights);
  const histogram = new Map<number, number>();
  for (let i = 0; i < kept.length; i++)
    histogram.set(kept[i]!, (histogram.get(kept[i]!) ?? 0) + keptWeights[i]!);
  if (name === 'unique') return histogram.size;
  let best: number | null = null;
  let bestWeight = name === 'majority' ? -Infinity : Infinity;
  // Ties go to the smallest value, so the answer does not depend on pixel order.
  for (const [value, weight] of [...histogram].sort((a, b) => a[0] - b[0])) {
    if (name === 'majority' ? weight > bestWeight : weight < bestWeight) {
      best = value;
      bestWeight = weight;
    }
  }
  return best;
}

/**
 * With unit weights, numpy's median (the mean of the two middle values for an even count);
 * otherwise the smallest value at which the cumulative weight reaches half the total.
 */
function weightedMedian(values: number[], weights: number[]): number {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const unit = weights.every((weight) => weight === 1);
  if (unit) {
    const middle = order.length / 2;
    return order.length % 2 === 1
      ? values[order[Math.floor(middle)]!]!
      : (values[order[middle - 1]!]! + values[order[middle]!]!) / 2;
  }
  const half = weights.reduce((total, weight) => total + weight, 0) / 2;
  let cumulative = 0;
  for (const index of order) {
    cumulative += weights[index]!;
    if (cumulative >= half) return values[index]!;
  }
  return values[order[order.length - 1]!]!;
}

/** Whether `computeStatsOverSpans` can give all of `wanted` (no distribution statistics). */
export function spansSuffice(wanted: readonly StatName[]): boolean {
  return !wanted.some(isDistributionStat);
}

/**
 * `computeStats` with unit weights on the pixels of `spans` (flat `row, from, to` triples,
 * inclusive, no pixel twice; see `centreSpans`): the same results, in the same order of
 * summation, without a mask over the whole window.
 */
export function computeStatsOverSpans(
  values: PixelArray,
  width: number,
  spans: Int32Array,
  nodata: number | null,
  wanted: readonly StatName[],
): Stats {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let nodataCount = 0;
  for (let k = 0; k < spans.length; k += 3) {
    const base = spans[k]! * width;
    for (let i = base + spans[k + 1]!, last = base + spans[k + 2]!; i <= last; i++) {
      const value = values[i]!;
      if (Number.isNaN(value) || value === nodata) {
        nodataCount++;
        continue;
      }
      count++;
      sum += value;
      if (value < min) min = value;
      if (value > max) max = value;
    }
  }
  return assemble(
    wanted,
    { count, sum, min, max, nodata: nodataCount },
    {
      squares: (mean) => {
        let squares = 0;
        for (let k = 0; k < spans.length; k += 3) {
          const base = spans[k]! * width;
          for (let i = base + spans[k + 1]!, last = base + spans[k + 2]!; i <= last; i++) {
            const value = values[i]!;
            if (Number.isNaN(value) || value === nodata) continue;
            squares += (value - mean) ** 2;
          }
        }
        return squares;
      },
    },
  );
}
