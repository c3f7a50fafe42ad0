// Administration, as flux-manage's remove, rename and db commands: each change in one
// transaction, and the original's audit of datasets against their metadata and coord_index.
import type { MetadataDocument } from '../types.js';
import type { Connection } from './connection.js';
import { DatasetConflictError, DatasetNotFoundError } from './errors.js';
import { checkName } from './names.js';

/** Drops a dataset with its metadata and coord_index entries; false when there is nothing of that name. */
export function removeDataset(connection: Connection, name: string): boolean {
  const removed = connection.db
    .transaction(() => {
      const dataset = connection.datasetRow(name);
      let changes = 0;
      if (dataset !== undefined) {
        for (const table of [
          'grid_blocks',
          'grid_steps',
          'grid_time_blocks',
          'step_summaries',
          'value_counts',
          'points',
        ]) {
          connection.db.prepare(`DELETE FROM ${table} WHERE dataset_id = ?`).run(dataset.id);
        }
        changes += connection.db
          .prepare('DELETE FROM datasets WHERE id = ?')
          .run(dataset.id).changes;
      }
      changes += connection.db.prepare('DELETE FROM metadata WHERE name = ?').run(name).changes;
      changes += connection.db.prepare('DELETE FROM coord_index WHERE name = ?').run(name).changes;
      return changes > 0;
    })
    .immediate();
  connection.changed();
  return removed;
}

/** Renames a dataset and its entries, in one transaction. */
export function renameDataset(connection: Connection, name: string, newName: string): void {
  checkName(newName);
  connection.db
    .transaction(() => {
      if (connection.datasetRow(name) === undefined) throw new DatasetNotFoundError(name);
      const taken = connection.db
        .prepare(
          'SELECT 1 FROM datasets WHERE name = ? UNION ALL SELECT 1 FROM metadata WHERE name = ? UNION ALL SELECT 1 FROM coord_index WHERE name = ?',
        )
        .get(newName, newName, newName);
      if (taken !== undefined)
        throw new DatasetConflictError(`A dataset named "${newName}" exists already`, {
          dataset: newName,
        });
      connection.db
        .prepare('UPDATE datasets SET name = ?, updated_at = ? WHERE name = ?')
        .run(newName, new Date().toISOString(), name);
      connection.db.prepare('UPDATE coord_index SET name = ? WHERE name = ?').run(newName, name);
      const row = connection.db
        .prepare('SELECT document FROM metadata WHERE name = ?')
        .get(name) as { document: string } | undefined;
      if (row !== undefined) {
        const document = JSON.parse(row.document) as MetadataDocument;
        document._id = newName;
        connection.db
          .prepare('UPDATE metadata SET name = ?, document = ? WHERE name = ?')
          .run(newName, JSON.stringify(document), name);
      }
    })
    .immediate();
  connection.changed();
}

/** Names in a collection, in name order; `counts` adds each dataset's records. */
export function listNames(
  connection: Connection,
  kind: 'collections' | 'metadata' | 'coord_index',
  options: { counts?: boolean } = {},
): { name: string; count?: number }[] {
  connection.refresh();
  if (kind === 'metadata' || kind === 'coord_index') {
    return (
      connection.db.prepare(`SELECT name FROM ${kind} ORDER BY name`).all() as { name: string }[]
    ).map(({ name }) => ({ name }));
  }
  return connection
    .datasetRows()
    .map((dataset) =>
      options.counts === true
        ? { name: dataset.name, count: connection.recordCount(dataset) }
        : { name: dataset.name },
    );
}

/** The original's audit messages for datasets missing entries and entries without a dataset. */
export function audit(connection: Connection): string[] {
  connection.refresh();
  const problems: string[] = [];
  const names = (table: string): Set<string> =>
    new Set(
      (connection.db.prepare(`SELECT name FROM ${table}`).all() as { name: string }[]).map(
        ({ name }) => name,
      ),
    );
  const metadata = names('metadata');
  const coordIndex = names('coord_index');
  const datasets = connection.datasetRows();
  for (const dataset of datasets) {
    if (!metadata.has(dataset.name))
      problems.push(
        `INCONSISTENCY FOUND: missing metadata entry for collection ID "${dataset.name}"`,
      );
    if (dataset.kind === 'gridded' && !coordIndex.has(dataset.name)) {
      problems.push(
        `INCONSISTENCY FOUND: missing coord_index entry for collection ID "${dataset.name}"`,
      );
    }
  }
  const known = new Set(datasets.map((dataset) => dataset.name));
  for (const [table, entries] of [
    ['metadata', metadata],
    ['coord_index', coordIndex],
  ] as const) {
    for (const name of [...entries].sort()) {
      if (!known.has(name))
        problems.push(`INCONSISTENCY FOUND: stale entry for collection ID "${name}" in ${table}`);
    }
  }
  return problems;
}
