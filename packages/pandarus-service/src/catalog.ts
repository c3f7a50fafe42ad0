import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { displayName } from './names.js';

export type DatasetKind = 'vector' | 'raster';

export interface FileRecord {
  sha256: string;
  /** The name shown: the client's, cleaned (`displayName`). */
  name: string;
  /** The name it is stored under (`<uuid>.<safe name>`), answered to the upload. */
  storedName: string;
  path: string;
  kind: DatasetKind;
  field: string | null;
  layer: string | null;
  band: number | null;
  /** `polygon`, `line` or `point` for vectors. */
  geometryType: string | null;
  createdAt: Date;
}

export interface IntersectionRecord {
  firstSha256: string;
  secondSha256: string;
  dataPath: string;
  vectorPath: string;
}

export interface CatalogSummary {
  files: [string, string, DatasetKind][];
  intersections: [string, string][];
  remaining: [string, string][];
  rasterstats: [string, string][];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS files (
  sha256 TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  stored_name TEXT NOT NULL,
  path TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('vector', 'raster')),
  field TEXT,
  layer TEXT,
  band INTEGER,
  geometry_type TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS intersections (
  first_sha256 TEXT NOT NULL REFERENCES files (sha256),
  second_sha256 TEXT NOT NULL REFERENCES files (sha256),
  data_path TEXT NOT NULL,
  vector_path TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (first_sha256, second_sha256)
);
CREATE TABLE IF NOT EXISTS remaining (
  first_sha256 TEXT NOT NULL,
  second_sha256 TEXT NOT NULL,
  data_path TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (first_sha256, second_sha256),
  FOREIGN KEY (first_sha256, second_sha256) REFERENCES intersections (first_sha256, second_sha256)
);
CREATE TABLE IF NOT EXISTS rasterstats (
  vector_sha256 TEXT NOT NULL REFERENCES files (sha256),
  raster_sha256 TEXT NOT NULL REFERENCES files (sha256),
  output_path TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (vector_sha256, raster_sha256)
);
`;

interface FileRow {
  sha256: string;
  name: string;
  stored_name: string;
  path: string;
  kind: DatasetKind;
  field: string | null;
  layer: string | null;
  band: number | null;
  geometry_type: string | null;
  created_at: number;
}

/**
 * The catalog of datasets and results (pandarus_remote's File, Intersection, Remaining and
 * RasterStats tables) in one SQLite file. Only the service process writes it; a result is
 * added only once its files are complete.
 */
export class Catalog {
  readonly #db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
  }

  /** Adds a dataset; false when one with this hash is already there. */
  addFile(file: Omit<FileRecord, 'createdAt'>): boolean {
    const result = this.#db
      .prepare(
        `INSERT OR IGNORE INTO files (sha256, name, stored_name, path, kind, field, layer, band, geometry_type, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        file.sha256,
        file.name,
        file.storedName,
        file.path,
        file.kind,
        file.field,
        file.layer,
        file.band,
        file.geometryType,
        Date.now(),
      );
    return result.changes > 0;
  }

  file(sha256: string): FileRecord | null {
    const row = this.#db.prepare('SELECT * FROM files WHERE sha256 = ?').get(sha256) as
      FileRow | undefined;
    return row === undefined ? null : toFile(row);
  }

  addIntersection(record: IntersectionRecord): void {
    this.#db
      .prepare(
        `INSERT OR IGNORE INTO intersections (first_sha256, second_sha256, data_path, vector_path, created_at)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(record.firstSha256, record.secondSha256, record.dataPath, record.vectorPath, Date.now());
  }

  intersection(first: string, second: string): IntersectionRecord | null {
    const row = this.#db
      .prepare(
        `SELECT first_sha256 AS firstSha256, second_sha256 AS secondSha256, data_path AS dataPath,
                vector_path AS vectorPath
         FROM intersections WHERE first_sha256 = ? AND second_sha256 = ?`,
      )
      .get(first, second) as IntersectionRecord | undefined;
    return row ?? null;
  }

  addRemaining(first: string, second: string, dataPath: string): void {
    this.#db
      .prepare(
        'INSERT OR IGNORE INTO remaining (first_sha256, second_sha256, data_path, created_at) VALUES (?, ?, ?, ?)',
      )
      .run(first, second, dataPath, Date.now());
  }

  remaining(first: string, second: string): string | null {
    const row = this.#db
      .prepare(
        'SELECT data_path AS path FROM remaining WHERE first_sha256 = ? AND second_sha256 = ?',
      )
      .get(first, second) as { path: string } | undefined;
    return row?.path ?? null;
  }

  addRasterStats(vector: string, raster: string, outputPath: string): void {
    this.#db
      .prepare(
        'INSERT OR IGNORE INTO rasterstats (vector_sha256, raster_sha256, output_path, created_at) VALUES (?, ?, ?, ?)',
      )
      .run(vector, raster, outputPath, Date.now());
  }

  rasterStats(vector: string, raster: string): string | null {
    const row = this.#db
      .prepare(
        'SELECT output_path AS path FROM rasterstats WHERE vector_sha256 = ? AND raster_sha256 = ?',
      )
      .get(vector, raster) as { path: string } | undefined;
    return row?.path ?? null;
  }

  /**
   * pandarus_remote 1.1's /catalog: lists, in the order things were added. Names are cleaned
   * again on the way out: catalogs written before names were cleaned at upload hold raw ones.
   */
  summary(): CatalogSummary {
    const pairs = (sql: string) =>
      (this.#db.prepare(sql).raw().all() as [string, string][]).map(
        ([a, b]) => [a, b] as [string, string],
      );
    return {
      files: (
        this.#db
          .prepare('SELECT name, sha256, kind FROM files ORDER BY created_at, rowid')
          .raw()
          .all() as [string, string, DatasetKind][]
      ).map(([name, sha, kind]) => [displayName(name), sha, kind]),
      intersections: pairs(
        'SELECT first_sha256, second_sha256 FROM intersections ORDER BY created_at, rowid',
      ),
      remaining: pairs(
        'SELECT first_sha256, second_sha256 FROM remaining ORDER BY created_at, rowid',
      ),
      rasterstats: pairs(
        'SELECT vector_sha256, raster_sha256 FROM rasterstats ORDER BY created_at, rowid',
      ),
    };
  }

  /** The database, for records that must be written in the same transaction as the catalog. */
  get database(): Database.Database {
    return this.#db;
  }

  close(): void {
    this.#db.close();
  }
}

function toFile(row: FileRow): FileRecord {
  return {
    sha256: row.sha256,
    name: row.name,
    storedName: row.stored_name,
    path: row.path,
    kind: row.kind,
    field: row.field,
    layer: row.layer,
    band: row.band,
    geometryType: row.geometry_type,
    createdAt: new Date(row.created_at),
  };
}
