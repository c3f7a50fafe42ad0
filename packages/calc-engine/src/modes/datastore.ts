import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import gdal from 'gdal-async';
import type { Label } from '@geoworks/geodata';

/**
 * The job's datastore is a GeoPackage: vector results as layers, tables as attribute tables.
 * GDAL writes it in the job's process; the server reads it (SQLite) for extracts.
 */
export class Datastore {
  readonly path: string;
  #dataset: gdal.Dataset | null = null;

  constructor(path: string) {
    this.path = path;
  }

  #open(): gdal.Dataset {
    this.#dataset ??= gdal.open(this.path, 'w', 'GPKG');
    return this.#dataset;
  }

  /** Copies the first layer of a vector file into the datastore under `name`. */
  copyLayer(source: string, name: string): void {
    const input = gdal.open(source);
    try {
      this.#open().layers.copy(input.layers.get(0), name);
    } finally {
      input.close();
    }
  }

  /** An attribute table (no geometry): columns are text, integer or real. */
  addTable(
    name: string,
    columns: { name: string; type: 'text' | 'integer' | 'real' }[],
    rows: Iterable<unknown[]>,
  ): void {
    const layer = this.#open().layers.create(name, null, gdal.wkbNone);
    for (const column of columns) {
      const type =
        column.type === 'integer'
          ? gdal.OFTInteger64
          : column.type === 'real'
            ? gdal.OFTReal
            : gdal.OFTString;
      layer.fields.add(new gdal.FieldDefn(column.name, type));
    }
    for (const row of rows) {
      const feature = new gdal.Feature(layer);
      columns.forEach((column, i) => {
        const value = row[i];
        if (value !== null && value !== undefined) feature.fields.set(column.name, value);
      });
      layer.features.add(feature);
    }
  }

  close(): void {
    this.#dataset?.close();
    this.#dataset = null;
  }
}

/** Rows of a datastore table, read with SQLite (no GDAL needed in the server). */
export function readTable(
  datastorePath: string,
  table: string,
  columns: readonly string[],
): unknown[][] {
  const db = new Database(datastorePath, { readonly: true, fileMustExist: true });
  try {
    const exists = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(table);
    if (exists === undefined) return [];
    const sql = `SELECT ${columns.map((column) => `"${column.replaceAll('"', '""')}"`).join(', ')} FROM "${table.replaceAll('"', '""')}" ORDER BY fid`;
    return db.prepare(sql).raw().all() as unknown[][];
  } finally {
    db.close();
  }
}

/** CSV as the exports write it: header, `\n`, minimal quoting, empty for null. */
export async function writeCsv(
  path: string,
  header: readonly string[],
  rows: Iterable<readonly unknown[]>,
): Promise<void> {
  const out = createWriteStream(path, { flags: 'wx' });
  const cell = (value: unknown) => {
    if (value === null || value === undefined) return '';
    const text = typeof value === 'string' ? value : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  out.write(`${header.map(cell).join(',')}\n`);
  for (const row of rows) {
    if (!out.write(`${row.map(cell).join(',')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** A vector file copied to another format with GDAL (e.g. GeoJSON to a one-layer GeoPackage). */
export function convertVector(
  source: string,
  target: string,
  driver: 'GPKG' | 'GeoJSON',
  layerName: string,
): void {
  const input = gdal.open(source);
  const output = gdal.open(target, 'w', driver);
  try {
    output.layers.copy(input.layers.get(0), layerName);
  } finally {
    output.close();
    input.close();
  }
}

export function labelText(label: Label): string {
  return label === null ? '' : String(label);
}
