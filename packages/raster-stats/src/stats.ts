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
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let nodataWeight = 0;
  const needDistribution = wanted.some(
    (name) => name === 'median' || name === 'majority' || name === 'minority' || name === 'unique',
  );
  const needStd = wanted.includes('std');
  const kept: number[] = [];
  const keptWeights: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const weight = weights[i]!;
    if (!(weight > 0)) continue;
    const value = values[i]!;
    if (Number.isNaN(value) || value === nodata) {
      nodataWeight += weight;
      continue;
    }
    count += weight;
    sum += weight * value;
    if (value < min) min = value;
    if (value > max) max = value;
    if (needDistribution || needStd) {
      kept.push(value);
      keptWeights.push(weight);
    }
  }
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
        result.nodata = nodataWeight;
        break;
      case 'std': {
        if (empty) {
          result.std = null;
          break;
        }
        let squares = 0;
        for (let i = 0; i < kept.length; i++) squares += keptWeights[i]! * (kept[i]! - mean!) ** 2;
        result.std = Math.sqrt(squares / count);
        break;
      }
      case 'median':
        result.median = empty ? null : weightedMedian(kept, keptWeights);
        break;
      case 'majority':
      case 'minority':
      case 'unique': {
        const histogram = new Map<number, number>();
        for (let i = 0; i < kept.length; i++)
          histogram.set(kept[i]!, (histogram.get(kept[i]!) ?? 0) + keptWeights[i]!);
        if (name === 'unique') {
          result.unique = histogram.size;
          break;
        }
        let best: number | null = null;
        let bestWeight = name === 'majority' ? -Infinity : Infinity;
        // Ties go to the smallest value, so the answer does not depend on pixel order.
        for (const [value, weight] of [...histogram].sort((a, b) => a[0] - b[0])) {
          if (name === 'majority' ? weight > bestWeight : weight < bestWeight) {
            best = value;
            bestWeight = weight;
          }
        }
        result[name] = best;
        break;
      }
    }
  }
  return result;
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
