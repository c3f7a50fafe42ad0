// The read path: maps, aggregate maps and series over the blocks of a grid, and points. Every
// query takes the dataset's name, when (a time, or a range), and what to read as options.
import type {
  Aggregate,
  AggregateMap,
  AggregateMapOptions,
  CellAggregateOptions,
  CellSeriesOptions,
  GridMap,
  PointRecord,
  QueryOptions,
  RegionSeries,
  RegionSeriesOptions,
  SeriesAggregateOptions,
  TimeRange,
  TimeSeries,
} from '../types.js';
import { blockStepCount, groupByBlock, readCellBlocks, stepAt, stepsBetween } from './blocks.js';
import {
  decodeBlock,
  float64View,
  int32View,
  INT32_SCALED,
  MISSING_CODE,
  scaleOf,
} from './codec.js';
import type { Connection } from './connection.js';
import { QueryInputError, TimeNotFoundError, UnsupportedQueryError } from './errors.js';
import { bucketStart } from './intervals.js';
import { Moments } from './statistics.js';

/** The map at `time` (a step's exact time, or within a step's span), one value per cell (NaN: none). */
export function readMap(
  connection: Connection,
  name: string,
  time: Date,
  options: QueryOptions,
): GridMap {
  const dataset = connection.gridded(name, 'has no maps: ask for a time range');
  const parameterIndex = connection.parameterIndex(dataset, options.parameter);
  const step = stepAt(connection, dataset, time.getTime());
  if (step === undefined) throw new TimeNotFoundError(name, time);
  const values = new Float64Array(dataset.cellCount).fill(NaN);
  const stepCount = blockStepCount(connection, dataset, step.timeBlock);
  const scale = scaleOf(dataset.precision[dataset.parameters[parameterIndex]!]);
  const rows = connection
    .statement(
      'SELECT cell_block, encoding, data FROM grid_blocks WHERE dataset_id = ? AND parameter = ? AND time_block = ?',
    )
    .raw()
    .iterate(dataset.id, parameterIndex, step.timeBlock) as IterableIterator<
    [number, number, Buffer]
  >;
  for (const [cellBlock, encoding, data] of rows) {
    const first = cellBlock * dataset.blockCells;
    // Only one value per cell is wanted: pick it out of the stored block without decoding it.
    if (encoding === INT32_SCALED) {
      const codes = int32View(data);
      const divide = scale ?? 1;
      const cellsInBlock = codes.length / stepCount;
      for (let cell = 0; cell < cellsInBlock; cell++) {
        const code = codes[cell * stepCount + step.slot]!;
        values[first + cell] = code === MISSING_CODE ? NaN : code / divide;
      }
    } else {
      const block = float64View(data);
      const cellsInBlock = block.length / stepCount;
      for (let cell = 0; cell < cellsInBlock; cell++)
        values[first + cell] = block[cell * stepCount + step.slot]!;
    }
  }
  return { time: step.time, values };
}

/**
 * Per cell, an aggregate of the maps with start <= time < end (NaN for a cell with no value):
 * min, max, the sum of positive or of negative values, the sum (net) or the mean.
 */
export function aggregateMap(
  connection: Connection,
  name: string,
  { start, end }: TimeRange,
  { aggregate, parameter }: AggregateMapOptions,
): AggregateMap {
  const dataset = connection.gridded(name, 'has no maps');
  const parameterIndex = connection.parameterIndex(dataset, parameter);
  const steps = stepsBetween(connection, dataset, start.getTime(), end.getTime() - 1);
  connection.checkSize(steps.length * dataset.cellCount);
  const cells = dataset.cellCount;
  const acc = new Float64Array(cells).fill(
    aggregate === 'min' ? Infinity : aggregate === 'max' ? -Infinity : 0,
  );
  const counts = new Float64Array(cells);
  const scale = scaleOf(dataset.precision[dataset.parameters[parameterIndex]!]);
  const statement = connection
    .statement(
      'SELECT cell_block, encoding, data FROM grid_blocks WHERE dataset_id = ? AND parameter = ? AND time_block = ?',
    )
    .raw();
  for (const [timeBlock, slots] of groupByBlock(steps)) {
    const stepCount = blockStepCount(connection, dataset, timeBlock);
    for (const [cellBlock, encoding, data] of statement.iterate(
      dataset.id,
      parameterIndex,
      timeBlock,
    ) as IterableIterator<[number, number, Buffer]>) {
      const block = decodeBlock(encoding, data, scale);
      const first = cellBlock * dataset.blockCells;
      const cellsInBlock = block.length / stepCount;
      for (let cell = 0; cell < cellsInBlock; cell++) {
        const at = first + cell;
        for (const slot of slots) {
          const value = block[cell * stepCount + slot]!;
          if (Number.isNaN(value)) continue;
          counts[at]!++;
          switch (aggregate) {
            case 'min':
              if (value < acc[at]!) acc[at] = value;
              break;
            case 'max':
              if (value > acc[at]!) acc[at] = value;
              break;
            case 'positive':
              if (value > 0) acc[at]! += value;
              break;
            case 'negative':
              if (value < 0) acc[at]! += value;
              break;
            default:
              acc[at]! += value;
          }
        }
      }
    }
  }
  for (let cell = 0; cell < cells; cell++) {
    if (counts[cell] === 0) acc[cell] = NaN;
    else if (aggregate === 'mean') acc[cell] = acc[cell]! / counts[cell]!;
  }
  return { steps: steps.length, values: acc };
}

/** The values of one cell at every step with start <= time <= end. */
export function cellSeries(
  connection: Connection,
  name: string,
  { start, end }: TimeRange,
  { cell, parameter }: CellSeriesOptions,
): TimeSeries {
  const dataset = connection.gridded(name, 'has no cells');
  if (!Number.isInteger(cell) || cell < 0 || cell >= dataset.cellCount) {
    throw new QueryInputError(
      `Cell ${cell} is not one of the ${dataset.cellCount} cells of "${name}"`,
    );
  }
  const parameterIndex = connection.parameterIndex(dataset, parameter);
  const steps = stepsBetween(connection, dataset, start.getTime(), end.getTime());
  const cellBlock = Math.floor(cell / dataset.blockCells);
  const inBlock = cell - cellBlock * dataset.blockCells;
  const byBlock = readCellBlocks(connection, dataset, parameterIndex, [cellBlock], steps);
  const values = steps.map((step) => {
    const block = byBlock.get(step.timeBlock)?.get(cellBlock);
    if (block === undefined) return NaN;
    return block.values[inBlock * block.stepCount + step.slot]!;
  });
  return { times: steps.map((step) => step.time), values };
}

/**
 * One number per step (or per interval) over every cell: the sum of positive values, of
 * negative ones, of all (net), their mean, min or max. Read from per-step summaries kept at
 * load time, so a year of a global grid answers at once.
 */
export function seriesAggregate(
  connection: Connection,
  name: string,
  { start, end }: TimeRange,
  { aggregate, interval, parameter }: SeriesAggregateOptions,
): TimeSeries {
  const dataset = connection.gridded(name, 'has no series');
  const parameterIndex = connection.parameterIndex(dataset, parameter);
  const rows = connection
    .statement(
      'SELECT time, n, sum, sum_positive, sum_negative, min, max FROM step_summaries WHERE dataset_id = ? AND parameter = ? AND time BETWEEN ? AND ? ORDER BY time',
    )
    .all(dataset.id, parameterIndex, start.getTime(), end.getTime()) as {
    time: number;
    n: number;
    sum: number;
    sum_positive: number;
    sum_negative: number;
    min: number | null;
    max: number | null;
  }[];
  const buckets = new Map<
    number,
    { n: number; sum: number; positive: number; negative: number; min: number; max: number }
  >();
  for (const row of rows) {
    const key = interval === undefined ? row.time : bucketStart(row.time, interval);
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = { n: 0, sum: 0, positive: 0, negative: 0, min: Infinity, max: -Infinity };
      buckets.set(key, bucket);
    }
    bucket.n += row.n;
    bucket.sum += row.sum;
    bucket.positive += row.sum_positive;
    bucket.negative += row.sum_negative;
    if (row.min !== null && row.min < bucket.min) bucket.min = row.min;
    if (row.max !== null && row.max > bucket.max) bucket.max = row.max;
  }
  const times = [...buckets.keys()];
  const values = [...buckets.values()].map((bucket) => {
    if (bucket.n === 0) return NaN;
    switch (aggregate) {
      case 'positive':
        return bucket.positive;
      case 'negative':
        return bucket.negative;
      case 'net':
        return bucket.sum;
      case 'mean':
        return bucket.sum / bucket.n;
      case 'min':
        return bucket.min;
      case 'max':
        return bucket.max;
    }
  });
  return { times, values };
}

/** A cell's series bucketed by interval: every bucket with data, each a true aggregate. */
export function cellSeriesAggregate(
  connection: Connection,
  name: string,
  range: TimeRange,
  { aggregate, interval, ...options }: CellAggregateOptions,
): TimeSeries {
  const series = cellSeries(connection, name, range, options);
  const buckets = new Map<number, number[]>();
  series.times.forEach((time, index) => {
    const value = series.values[index]!;
    const key = bucketStart(time, interval);
    let bucket = buckets.get(key);
    if (bucket === undefined) buckets.set(key, (bucket = []));
    if (!Number.isNaN(value)) bucket.push(value);
  });
  return {
    times: [...buckets.keys()],
    values: [...buckets.values()].map((values) => aggregateOf(values, aggregate)),
  };
}

/**
 * Statistics over the given cells at each step (or each interval: all cells x steps in it),
 * and over everything: mean, min, max, population std and the number of values.
 */
export function regionSeries(
  connection: Connection,
  name: string,
  { start, end }: TimeRange,
  { cells, interval, parameter }: RegionSeriesOptions,
): RegionSeries {
  const dataset = connection.gridded(name, 'has no cells');
  const parameterIndex = connection.parameterIndex(dataset, parameter);
  const steps = stepsBetween(connection, dataset, start.getTime(), end.getTime());
  connection.checkSize(steps.length * cells.length);
  const scale = scaleOf(dataset.precision[dataset.parameters[parameterIndex]!]) ?? 1;
  const byCellBlock = new Map<number, number[]>();
  for (const cell of cells) {
    const cellBlock = Math.floor(cell / dataset.blockCells);
    let members = byCellBlock.get(cellBlock);
    if (members === undefined) byCellBlock.set(cellBlock, (members = []));
    members.push(cell - cellBlock * dataset.blockCells);
  }
  const blocks = readCellBlocks(
    connection,
    dataset,
    parameterIndex,
    [...byCellBlock.keys()],
    steps,
  );
  const buckets = new Map<number, Moments>();
  const all = new Moments();
  for (const step of steps) {
    const key = interval === undefined ? step.time : bucketStart(step.time, interval);
    let moments = buckets.get(key);
    if (moments === undefined) buckets.set(key, (moments = new Moments()));
    const inTime = blocks.get(step.timeBlock);
    for (const [cellBlock, members] of byCellBlock) {
      const block = inTime?.get(cellBlock);
      if (block === undefined) continue;
      for (const member of members) {
        const value = block.values[member * block.stepCount + step.slot]!;
        // Scaled values are summed as integers: exact sums of squares, exact std.
        if (!Number.isNaN(value)) moments.add(Math.round(value * scale));
      }
    }
  }
  const result: RegionSeries = {
    times: [],
    mean: [],
    min: [],
    max: [],
    std: [],
    n: [],
    all: all.result(scale),
  };
  for (const [time, moments] of buckets) {
    const stats = moments.result(scale);
    result.times.push(time);
    result.mean.push(stats.mean);
    result.min.push(stats.min);
    result.max.push(stats.max);
    result.std.push(stats.std);
    result.n.push(stats.n);
    all.merge(moments);
  }
  result.all = all.result(scale);
  return result;
}

/** Point retrievals with start <= time <= end, in time order. */
export function points(
  connection: Connection,
  name: string,
  { start, end }: TimeRange,
): PointRecord[] {
  const dataset = connection.dataset(name);
  if (dataset.kind !== 'points')
    throw new UnsupportedQueryError(`Dataset "${name}" is gridded: ask for a map or a series`);
  const rows = connection
    .statement(
      'SELECT time, x, y, properties FROM points WHERE dataset_id = ? AND time BETWEEN ? AND ? ORDER BY time, rowid',
    )
    .all(dataset.id, start.getTime(), end.getTime()) as {
    time: number;
    x: number;
    y: number;
    properties: string;
  }[];
  connection.checkSize(rows.length);
  return rows.map((row) => ({
    time: row.time,
    x: row.x,
    y: row.y,
    properties: JSON.parse(row.properties) as Record<string, number | null>,
  }));
}

function aggregateOf(values: number[], aggregate: Aggregate): number {
  if (values.length === 0) return NaN;
  switch (aggregate) {
    case 'positive':
      return values.reduce((sum, value) => (value > 0 ? sum + value : sum), 0);
    case 'negative':
      return values.reduce((sum, value) => (value < 0 ? sum + value : sum), 0);
    case 'net':
      return values.reduce((sum, value) => sum + value, 0);
    case 'mean':
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
  }
}
