// What the store holds: its datasets, their metadata documents, and the cells and steps of a
// grid, with the lookup of a cell by coordinates.
import { gridSpacing } from '../geometry.js';
import type { DatasetSummary, MetadataDocument } from '../types.js';
import { steps } from './blocks.js';
import type { Connection } from './connection.js';
import { CellNotFoundError, DatasetNotFoundError } from './errors.js';

/** Every dataset with metadata: `{_id, title, gridded}` in name order. */
export function datasetSummaries(connection: Connection): DatasetSummary[] {
  connection.refresh();
  return (
    connection.db.prepare('SELECT document FROM metadata ORDER BY name').all() as {
      document: string;
    }[]
  ).map(({ document }) => {
    const parsed = JSON.parse(document) as MetadataDocument;
    return { _id: parsed._id, title: parsed.title, gridded: parsed.gridded };
  });
}

/** Cell centres `[x0, y0, x1, y1, ...]` in the order of every map. */
export function cells(connection: Connection, name: string): Float64Array {
  const dataset = connection.gridded(name, 'has no grid');
  return connection.cached(`cells:${dataset.id}`, () => {
    const row = connection.db.prepare('SELECT cells FROM coord_index WHERE name = ?').get(name) as
      { cells: Buffer } | undefined;
    if (row === undefined) throw new DatasetNotFoundError(name);
    return new Float64Array(Uint8Array.prototype.slice.call(row.cells).buffer);
  });
}

/** The times of a gridded dataset's steps (ms), ascending. */
export function times(connection: Connection, name: string): number[] {
  const dataset = connection.gridded(name, 'has no time steps');
  return steps(connection, dataset).map((step) => step.time);
}

/**
 * The size of a cell: the configured `grid` size, else the spacing of the centres (kriged grids
 * carry no `grid`).
 */
export function cellSize(connection: Connection, name: string): { x: number; y: number } {
  const dataset = connection.gridded(name, 'has no cells');
  const centres = cells(connection, name);
  return connection.cached(`cellSize:${dataset.id}`, () => {
    const grid = connection.metadataOf(name)?.grid as { x?: unknown; y?: unknown } | undefined;
    const count = centres.length / 2;
    const xs = Float64Array.from({ length: count }, (_, cell) => centres[2 * cell]!);
    const ys = Float64Array.from({ length: count }, (_, cell) => centres[2 * cell + 1]!);
    return { x: gridSpacing(xs, grid?.x), y: gridSpacing(ys, grid?.y) };
  });
}

/**
 * The index of the cell at (x, y): its centre, or the cell whose extent (the cell size around
 * the centre) holds the point; CellNotFoundError otherwise.
 */
export function cellIndex(connection: Connection, name: string, x: number, y: number): number {
  const dataset = connection.gridded(name, 'has no cells');
  const centres = cells(connection, name);
  const exact = connection.cached(`cellIndex:${dataset.id}`, () => {
    const index = new Map<string, number>();
    for (let cell = 0; cell < centres.length / 2; cell++)
      index.set(`${centres[2 * cell]},${centres[2 * cell + 1]}`, cell);
    return index;
  });
  const key = `${Math.round(x * 1e5) / 1e5},${Math.round(y * 1e5) / 1e5}`;
  const found = exact.get(key);
  if (found !== undefined) return found;
  // A point inside a cell's extent finds it.
  const size = cellSize(connection, name);
  const [halfX, halfY] = [size.x / 2, size.y / 2];
  let best = -1;
  let bestDistance = Infinity;
  for (let cell = 0; cell < centres.length / 2; cell++) {
    const dx = Math.abs(centres[2 * cell]! - x);
    const dy = Math.abs(centres[2 * cell + 1]! - y);
    if (dx <= halfX && dy <= halfY && dx + dy < bestDistance) {
      best = cell;
      bestDistance = dx + dy;
    }
  }
  if (best < 0) throw new CellNotFoundError(name, x, y);
  return best;
}
