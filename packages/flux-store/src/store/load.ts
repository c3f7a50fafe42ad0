// The write path: a model's load, step by step into blocks, with the per-step summaries and
// value counts the queries and statistics read, all in one transaction.
import { isoSeconds } from '../models/describe.js';
import type {
  DatasetLoad,
  DatasetMetadata,
  GriddedLoad,
  LoadOptions,
  LoadSummary,
  MetadataDocument,
  ParameterStats,
  PointsLoad,
} from '../types.js';
import { blockStepsFor, writeBlocks } from './blocks.js';
import { codeOf, encodeStep, scaleOf } from './codec.js';
import { BLOCK_CELLS, type Connection, type DatasetRow } from './connection.js';
import { DatasetConflictError, QueryInputError } from './errors.js';
import { checkName } from './names.js';
import { statsFromCounts, ValueCounts } from './statistics.js';

/**
 * Loads a model's data into `name` in one transaction: on any error (a step that exists,
 * other cells than the dataset's, a reader failure half-way) the database is left as it was.
 */
export async function loadDataset(
  connection: Connection,
  name: string,
  plan: DatasetLoad,
  options: LoadOptions,
): Promise<LoadSummary> {
  checkName(name);
  connection.db.exec('BEGIN IMMEDIATE');
  try {
    const summary =
      plan.kind === 'gridded'
        ? await loadGridded(connection, name, plan, options)
        : loadPoints(connection, name, plan, options);
    connection.db.exec('COMMIT');
    connection.changed();
    return summary;
  } catch (error) {
    if (connection.db.inTransaction) connection.db.exec('ROLLBACK');
    throw error;
  }
}

function datasetForLoad(
  connection: Connection,
  name: string,
  plan: DatasetLoad,
  cellCount: number,
): { dataset: DatasetRow; created: boolean } {
  const existing = connection.datasetRow(name);
  if (existing !== undefined) {
    if (existing.kind !== plan.kind) {
      throw new DatasetConflictError(
        `Dataset "${name}" holds ${existing.kind} data; this load is ${plan.kind}`,
        { dataset: name },
      );
    }
    if (existing.parameters.join() !== plan.parameters.join()) {
      throw new DatasetConflictError(
        `Dataset "${name}" has parameters ${existing.parameters.join(', ')}; this load has ${plan.parameters.join(', ')}`,
        { dataset: name },
      );
    }
    return { dataset: existing, created: false };
  }
  const now = new Date().toISOString();
  const blockSteps = blockStepsFor(cellCount);
  const { lastInsertRowid } = connection.db
    .prepare(
      `INSERT INTO datasets (name, kind, parameters, precision, cell_count, block_cells, block_steps, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      name,
      plan.kind,
      JSON.stringify(plan.parameters),
      JSON.stringify(plan.precision),
      cellCount,
      BLOCK_CELLS,
      blockSteps,
      now,
      now,
    );
  return { dataset: connection.datasetRow(name, Number(lastInsertRowid))!, created: true };
}

async function loadGridded(
  connection: Connection,
  name: string,
  plan: GriddedLoad,
  options: LoadOptions,
): Promise<LoadSummary> {
  const cellCount = plan.cells.length / 2;
  if (!Number.isInteger(cellCount) || cellCount === 0) {
    throw new QueryInputError(
      `A gridded load needs cell coordinates (got ${plan.cells.length} numbers)`,
    );
  }
  const { dataset, created } = datasetForLoad(connection, name, plan, cellCount);
  const cellsBlob = Buffer.from(plan.cells.buffer, plan.cells.byteOffset, plan.cells.byteLength);
  const stored = connection.db.prepare('SELECT cells FROM coord_index WHERE name = ?').get(name) as
    { cells: Buffer } | undefined;
  if (stored === undefined) {
    connection.db
      .prepare('INSERT INTO coord_index (name, cells) VALUES (?, ?)')
      .run(name, cellsBlob);
  } else if (!stored.cells.equals(cellsBlob)) {
    // The original wrote the index once and silently mixed other grids in (its bug).
    throw new DatasetConflictError(
      `Dataset "${name}" is indexed on ${stored.cells.length / 16} other cells; this load has ${cellCount} cells that differ: load it under another name`,
      { dataset: name },
    );
  }
  const parameters = dataset.parameters;
  const scales = parameters.map((parameter) =>
    scaleOf(plan.precision[parameter] ?? dataset.precision[parameter]),
  );
  const counts = parameters.map(() => new ValueCounts());
  const blockSteps = dataset.blockSteps;
  const buffers = parameters.map(() => new Float64Array(blockSteps * cellCount));
  const insertStep = connection.db.prepare(
    'INSERT INTO grid_steps (dataset_id, time, span, time_block, slot) VALUES (?, ?, ?, ?, ?)',
  );
  const insertSummary = connection.db.prepare(
    `INSERT INTO step_summaries (dataset_id, parameter, time, n, sum, sum_positive, sum_negative, min, max)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertTimeBlock = connection.db.prepare(
    'INSERT INTO grid_time_blocks (dataset_id, time_block, step_count) VALUES (?, ?, ?)',
  );
  const insertBlock = connection.db.prepare(
    'INSERT INTO grid_blocks (dataset_id, parameter, time_block, cell_block, encoding, data) VALUES (?, ?, ?, ?, ?, ?)',
  );
  let timeBlock =
    ((
      connection.db
        .prepare('SELECT max(time_block) AS last FROM grid_time_blocks WHERE dataset_id = ?')
        .get(dataset.id) as { last: number | null }
    ).last ?? -1) + 1;
  let slot = 0;
  let fitsInt = parameters.map(() => true);
  let records = 0;
  let lastTime = -Infinity;
  const flush = (): void => {
    if (slot === 0) return;
    insertTimeBlock.run(dataset.id, timeBlock, slot);
    for (let parameter = 0; parameter < parameters.length; parameter++) {
      writeBlocks(
        insertBlock,
        dataset.id,
        parameter,
        timeBlock,
        buffers[parameter]!,
        cellCount,
        slot,
        scales[parameter],
        fitsInt[parameter]!,
      );
    }
    timeBlock++;
    slot = 0;
    fitsInt = parameters.map(() => true);
  };
  for await (const step of plan.steps) {
    const time = step.time.getTime();
    if (!Number.isFinite(time)) throw new QueryInputError(`Step ${records + 1} has no valid time`);
    if (time <= lastTime) {
      throw new QueryInputError(
        `Steps must come in time order: ${step.time.toISOString()} follows ${new Date(lastTime).toISOString()}`,
      );
    }
    lastTime = time;
    try {
      insertStep.run(dataset.id, time, step.span ?? null, timeBlock, slot);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new DatasetConflictError(
          `Dataset "${name}" already has a time step at ${isoSeconds(step.time)}: nothing was loaded`,
          {
            dataset: name,
            time: step.time.toISOString(),
          },
        );
      }
      throw error;
    }
    for (let parameter = 0; parameter < parameters.length; parameter++) {
      const values = step.values[parameters[parameter]!];
      if (values === undefined || values.length !== cellCount) {
        throw new QueryInputError(
          `Step ${isoSeconds(step.time)}: parameter "${parameters[parameter]}" has ${values?.length ?? 0} values for ${cellCount} cells`,
        );
      }
      const summary = encodeStep(
        values,
        buffers[parameter]!,
        slot * cellCount,
        scales[parameter],
        counts[parameter]!,
      );
      if (!summary.fitsInt) fitsInt[parameter] = false;
      const scale = scales[parameter] ?? 1;
      insertSummary.run(
        dataset.id,
        parameter,
        time,
        summary.n,
        summary.sum / scale,
        summary.sumPositive / scale,
        summary.sumNegative / scale,
        summary.n === 0 ? null : summary.min / scale,
        summary.n === 0 ? null : summary.max / scale,
      );
    }
    records++;
    slot++;
    if (slot === blockSteps) flush();
    options.onProgress?.(records, plan.stepCount);
    // Let the event loop breathe between steps (progress output, signals).
    if (records % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  flush();
  if (records === 0) throw new QueryInputError(`The load of "${name}" has no time steps`);
  mergeCounts(connection, dataset, counts, scales);
  const totalRecords = connection.recordCount(dataset);
  writeMetadata(connection, dataset, plan.metadata, created);
  return {
    dataset: name,
    records,
    totalRecords,
    values: records * cellCount * parameters.length,
  };
}

function loadPoints(
  connection: Connection,
  name: string,
  plan: PointsLoad,
  options: LoadOptions,
): LoadSummary {
  const count = plan.times.length;
  if (plan.x.length !== count || plan.y.length !== count) {
    throw new QueryInputError('A points load needs as many x and y as times');
  }
  const { dataset, created } = datasetForLoad(connection, name, plan, 0);
  const parameters = dataset.parameters;
  const scales = parameters.map((parameter) => scaleOf(plan.precision[parameter]));
  const counts = parameters.map(() => new ValueCounts());
  const insert = connection.db.prepare(
    'INSERT INTO points (dataset_id, time, x, y, properties) VALUES (?, ?, ?, ?, ?)',
  );
  for (let index = 0; index < count; index++) {
    const properties: Record<string, number | null> = {};
    for (let parameter = 0; parameter < parameters.length; parameter++) {
      const key = parameters[parameter]!;
      const raw = plan.properties[key]?.[index];
      if (raw === undefined) throw new QueryInputError(`Point ${index + 1} has no "${key}"`);
      const scale = scales[parameter];
      if (Number.isNaN(raw)) {
        properties[key] = null;
        continue;
      }
      const code = scale === undefined ? raw : codeOf(raw, scale);
      counts[parameter]!.add(code);
      properties[key] = scale === undefined ? raw : code / scale;
    }
    insert.run(
      dataset.id,
      plan.times[index]!,
      plan.x[index]!,
      plan.y[index]!,
      JSON.stringify(properties),
    );
  }
  options.onProgress?.(count, count);
  mergeCounts(connection, dataset, counts, scales);
  const totalRecords = connection.recordCount(dataset);
  writeMetadata(connection, dataset, plan.metadata, created);
  return { dataset: name, records: count, totalRecords, values: count * parameters.length };
}

function mergeCounts(
  connection: Connection,
  dataset: DatasetRow,
  counts: ValueCounts[],
  scales: (number | undefined)[],
): void {
  const upsert = connection.db.prepare(
    `INSERT INTO value_counts (dataset_id, parameter, value, count) VALUES (?, ?, ?, ?)
     ON CONFLICT (dataset_id, parameter, value) DO UPDATE SET count = count + excluded.count`,
  );
  counts.forEach((valueCounts, parameter) => {
    const scale = scales[parameter] ?? 1;
    for (const [key, count] of valueCounts.entries())
      upsert.run(dataset.id, parameter, key / scale, count);
  });
}

/** Statistics of every stored value, per parameter (the original's were per-step averages). */
function stats(connection: Connection, dataset: DatasetRow): Record<string, ParameterStats> {
  const rows = connection.db.prepare(
    'SELECT value, count FROM value_counts WHERE dataset_id = ? AND parameter = ? ORDER BY value',
  );
  const stats: Record<string, ParameterStats> = {};
  dataset.parameters.forEach((parameter, index) => {
    const pairs = (rows.raw().all(dataset.id, index) as [number, number][]).map(
      ([value, count]) => [value, count] as [number, number],
    );
    const { mean, min, max, std, median } = statsFromCounts(pairs);
    stats[parameter] = { mean, min, max, std, median };
  });
  return stats;
}

function writeMetadata(
  connection: Connection,
  dataset: DatasetRow,
  described: DatasetMetadata,
  created: boolean,
): void {
  const previous = created ? undefined : connection.metadataOf(dataset.name);
  const document: MetadataDocument = {
    ...described,
    _id: dataset.name,
    stats: stats(connection, dataset),
  };
  if (previous !== undefined) {
    // A later load adds breakpoints and step sizes; the rest stays as first described.
    const { stats: _stale, ...kept } = previous;
    Object.assign(document, kept, { stats: document.stats });
    document.dates = [...new Set([...previous.dates, ...described.dates])].sort();
    for (const key of ['steps', 'spans'] as const) {
      const merged = [...new Set([...(previous[key] ?? []), ...(described[key] ?? [])])];
      if (merged.length > 0) document[key] = merged;
    }
  }
  connection.db
    .prepare(
      'INSERT INTO metadata (name, document) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET document = excluded.document',
    )
    .run(
      dataset.name,
      JSON.stringify(document, (_key, value: unknown) =>
        typeof value === 'number' && !Number.isFinite(value) ? null : value,
      ),
    );
  connection.db
    .prepare('UPDATE datasets SET updated_at = ? WHERE id = ?')
    .run(new Date().toISOString(), dataset.id);
}
