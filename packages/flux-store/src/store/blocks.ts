// How a grid's values are laid out in `grid_blocks`: for a run of time steps (a time block) and
// 64 consecutive cells (a cell block), the cells' values step by step, cell-major. A map reads
// one row per cell block, a cell's series one row per time block.
import type { Statement } from 'better-sqlite3';
import { decodeBlock, FLOAT64, INT32_SCALED, MISSING_CODE, scaleOf } from './codec.js';
import { BLOCK_CELLS, type Connection, type DatasetRow } from './connection.js';

/**
 * Values buffered per time block while loading (32 MB of doubles), at most 32 steps: an 8 KB
 * block keeps a map read near 8 MB of blobs for a global grid while a year of one cell is still
 * only 92 rows (64 steps doubled map reads; 16 took 6% more space and twice the series rows).
 */
const BLOCK_VALUES = 1 << 22;
const MAX_BLOCK_STEPS = 32;

/** Steps per time block for a grid of `cellCount` cells. */
export function blockStepsFor(cellCount: number): number {
  return Math.max(1, Math.min(MAX_BLOCK_STEPS, Math.floor(BLOCK_VALUES / Math.max(1, cellCount))));
}

/** A time step of a grid, and where its values are: which time block, which slot in it. */
export interface StepRow {
  time: number;
  span: number | null;
  timeBlock: number;
  slot: number;
}

/** A decoded block: `stepCount` values per cell, cell-major. */
export interface Block {
  stepCount: number;
  values: Float64Array;
}

/** The dataset's steps in time order (cached until the data changes). */
export function steps(connection: Connection, dataset: DatasetRow): StepRow[] {
  return connection.cached(
    `steps:${dataset.id}`,
    () =>
      connection.db
        .prepare(
          'SELECT time, span, time_block AS timeBlock, slot FROM grid_steps WHERE dataset_id = ? ORDER BY time',
        )
        .all(dataset.id) as StepRow[],
  );
}

/** The steps with first <= time <= last. */
export function stepsBetween(
  connection: Connection,
  dataset: DatasetRow,
  first: number,
  last: number,
): StepRow[] {
  if (!(first <= last)) return [];
  const all = steps(connection, dataset);
  return all.slice(lowerBound(all, first), lowerBound(all, last + 1));
}

/** The step at `time`, or the step whose span holds it; undefined when there is none. */
export function stepAt(
  connection: Connection,
  dataset: DatasetRow,
  time: number,
): StepRow | undefined {
  const all = steps(connection, dataset);
  const at = lowerBound(all, time);
  if (all[at]?.time === time) return all[at];
  // A 3-D grid's map covers its span: a time inside it is that map.
  const before = all[at - 1];
  if (before?.span != null && time < before.time + before.span * 1000) return before;
  return undefined;
}

/** How many steps a time block holds (the last block of a load may be short). */
export function blockStepCount(
  connection: Connection,
  dataset: DatasetRow,
  timeBlock: number,
): number {
  const counts = connection.cached(`blocks:${dataset.id}`, () => {
    const map = new Map<number, number>();
    for (const row of connection.db
      .prepare('SELECT time_block, step_count FROM grid_time_blocks WHERE dataset_id = ?')
      .raw()
      .all(dataset.id) as [number, number][]) {
      map.set(row[0], row[1]);
    }
    return map;
  });
  return counts.get(timeBlock) ?? 0;
}

/** Decoded blocks of some cell blocks over the time blocks of `steps`: timeBlock -> cellBlock -> block. */
export function readCellBlocks(
  connection: Connection,
  dataset: DatasetRow,
  parameterIndex: number,
  cellBlocks: number[],
  steps: StepRow[],
): Map<number, Map<number, Block>> {
  const result = new Map<number, Map<number, Block>>();
  if (steps.length === 0) return result;
  const wanted = new Set(steps.map((step) => step.timeBlock));
  const firstBlock = Math.min(...wanted);
  const lastBlock = Math.max(...wanted);
  const scale = scaleOf(dataset.precision[dataset.parameters[parameterIndex]!]);
  const statement = connection
    .statement(
      'SELECT time_block, encoding, data FROM grid_blocks WHERE dataset_id = ? AND parameter = ? AND cell_block = ? AND time_block BETWEEN ? AND ?',
    )
    .raw();
  for (const cellBlock of cellBlocks) {
    for (const [timeBlock, encoding, data] of statement.iterate(
      dataset.id,
      parameterIndex,
      cellBlock,
      firstBlock,
      lastBlock,
    ) as IterableIterator<[number, number, Buffer]>) {
      if (!wanted.has(timeBlock)) continue;
      let inTime = result.get(timeBlock);
      if (inTime === undefined) result.set(timeBlock, (inTime = new Map()));
      inTime.set(cellBlock, {
        stepCount: blockStepCount(connection, dataset, timeBlock),
        values: decodeBlock(encoding, data, scale),
      });
    }
  }
  return result;
}

/** Writes a time block's cell blocks: each the block's cells x steps, cell-major. */
export function writeBlocks(
  insert: Statement,
  datasetId: number,
  parameter: number,
  timeBlock: number,
  buffer: Float64Array,
  cellCount: number,
  stepCount: number,
  scale: number | undefined,
  asInt: boolean,
): void {
  for (let first = 0, cellBlock = 0; first < cellCount; first += BLOCK_CELLS, cellBlock++) {
    const cells = Math.min(BLOCK_CELLS, cellCount - first);
    if (asInt) {
      const out = new Int32Array(cells * stepCount);
      for (let step = 0; step < stepCount; step++) {
        const row = step * cellCount + first;
        for (let cell = 0; cell < cells; cell++) {
          const code = buffer[row + cell]!;
          out[cell * stepCount + step] = Number.isNaN(code) ? MISSING_CODE : code;
        }
      }
      insert.run(datasetId, parameter, timeBlock, cellBlock, INT32_SCALED, Buffer.from(out.buffer));
    } else {
      const out = new Float64Array(cells * stepCount);
      const divide = scale ?? 1;
      for (let step = 0; step < stepCount; step++) {
        const row = step * cellCount + first;
        for (let cell = 0; cell < cells; cell++)
          out[cell * stepCount + step] = buffer[row + cell]! / divide;
      }
      insert.run(datasetId, parameter, timeBlock, cellBlock, FLOAT64, Buffer.from(out.buffer));
    }
  }
}

/** The slots wanted from each time block, for reading every cell block once per time block. */
export function groupByBlock(steps: StepRow[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const step of steps) {
    let slots = groups.get(step.timeBlock);
    if (slots === undefined) groups.set(step.timeBlock, (slots = []));
    slots.push(step.slot);
  }
  return groups;
}

function lowerBound(steps: StepRow[], time: number): number {
  let low = 0;
  let high = steps.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (steps[middle]!.time < time) low = middle + 1;
    else high = middle;
  }
  return low;
}
