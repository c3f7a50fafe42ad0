import type { Database } from 'better-sqlite3';

/**
 * The store's tables. `datasets`, `metadata` and `coord_index` mirror the original's MongoDB
 * collections (and are keyed by name so the audit can find entries without a dataset); the
 * values live in `grid_blocks`: for a run of time steps (a time block) and 64 consecutive cells
 * (a cell block), the cells' values step by step (cell-major), so a map reads one row per cell
 * block and a cell's series one row per time block.
 */
const SCHEMA_V1 = `
CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('gridded', 'points')),
  parameters TEXT NOT NULL,
  precision TEXT NOT NULL,
  cell_count INTEGER,
  block_cells INTEGER,
  block_steps INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE metadata (name TEXT PRIMARY KEY, document TEXT NOT NULL);
CREATE TABLE coord_index (name TEXT PRIMARY KEY, cells BLOB NOT NULL);
CREATE TABLE grid_steps (
  dataset_id INTEGER NOT NULL,
  time INTEGER NOT NULL,
  span INTEGER,
  time_block INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, time)
) WITHOUT ROWID;
CREATE TABLE grid_time_blocks (
  dataset_id INTEGER NOT NULL,
  time_block INTEGER NOT NULL,
  step_count INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, time_block)
) WITHOUT ROWID;
CREATE TABLE grid_blocks (
  dataset_id INTEGER NOT NULL,
  parameter INTEGER NOT NULL,
  time_block INTEGER NOT NULL,
  cell_block INTEGER NOT NULL,
  encoding INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX grid_blocks_by_time ON grid_blocks (dataset_id, parameter, time_block, cell_block);
CREATE INDEX grid_blocks_by_cell ON grid_blocks (dataset_id, parameter, cell_block, time_block);
CREATE TABLE step_summaries (
  dataset_id INTEGER NOT NULL,
  parameter INTEGER NOT NULL,
  time INTEGER NOT NULL,
  n INTEGER NOT NULL,
  sum REAL NOT NULL,
  sum_positive REAL NOT NULL,
  sum_negative REAL NOT NULL,
  min REAL,
  max REAL,
  PRIMARY KEY (dataset_id, parameter, time)
) WITHOUT ROWID;
CREATE TABLE value_counts (
  dataset_id INTEGER NOT NULL,
  parameter INTEGER NOT NULL,
  value REAL NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (dataset_id, parameter, value)
) WITHOUT ROWID;
CREATE TABLE points (
  dataset_id INTEGER NOT NULL,
  time INTEGER NOT NULL,
  x REAL NOT NULL,
  y REAL NOT NULL,
  properties TEXT NOT NULL
);
CREATE INDEX points_by_time ON points (dataset_id, time);
`;

const MIGRATIONS = [SCHEMA_V1];

/** Creates or upgrades the schema (`user_version` counts the migrations applied). */
export function migrate(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `The flux database was written by a newer version (schema ${version}, this one knows ${MIGRATIONS.length})`,
    );
  }
  for (let index = version; index < MIGRATIONS.length; index++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[index]!);
      db.pragma(`user_version = ${index + 1}`);
    }).immediate();
  }
}
