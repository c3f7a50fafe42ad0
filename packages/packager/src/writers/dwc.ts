import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { ZipArchive } from 'archiver';
import { abortPromise, throwIfAborted } from './abort.js';
import { BatchedWriter } from './batched-writer.js';
import { cell, unwritable } from './cell.js';
import { csvLine } from './delimited.js';
import { fillEml, gbifJson, metaXml } from './dwc-meta.js';
import { planArchive, type DwcPlan } from './dwc-plan.js';
import { checkFields, checkRecord } from './records.js';
import { loadExtension } from './extensions.js';
import { appendEntry, failArchive } from './zip-entry.js';
import type { DatastoreRecord, DwcOptions, Field } from './types.js';

/** One temporary CSV per archive file, and how many data rows went into it. */
interface TempFile {
  path: string;
  location: string;
  stream: WriteStream;
  writer: BatchedWriter;
  rows: number;
}

/**
 * Writes a Darwin Core Archive into `archive`: `meta.xml`, `eml.xml`, one CSV per core or
 * extension (`occurrence.csv`, `multimedia.csv`, ...; `_id` in column 0) and, `forGbif`,
 * `gbif.json`. Fields are mapped to terms as `planArchive` describes.
 *
 * The records are read once, but rows go to several files while a zip can only be written one
 * entry at a time, so the CSVs are written to a private folder under `tempDir` first (each row
 * touches the disk once), then copied into the zip and deleted, on failure too. An extension
 * file with no data rows is left out (and out of meta.xml); the core is always kept, since an
 * archive without one is not valid.
 *
 * Bad options (EML, extensions, id field, dynamic term) fail before any record is read, and a
 * failure while reading records leaves the archive untouched; a failure while copying the
 * files into it leaves an entry half-written, so the archive is then destroyed with the error.
 */
export async function writeDwcArchive(
  archive: ZipArchive,
  fields: Field[],
  records: AsyncIterable<DatastoreRecord> | Iterable<DatastoreRecord>,
  options: DwcOptions,
): Promise<{ rows: number; files: string[] }> {
  const what = 'the Darwin Core archive';
  checkFields(fields);
  const { signal, tempDir } = options;
  const idField = options.idField ?? '_id';
  const now = options.now ?? new Date();
  // No template (ckanpackager's `eml` parameter was optional): no eml.xml, no metadata link.
  const template = typeof options.eml === 'string' ? options.eml : '';
  const eml =
    template.trim() === '' ? undefined : fillEml(template, options.packageId ?? randomUUID(), now);
  const plan = planArchive(fields, {
    idField,
    core: options.core ?? loadExtension('dwc_occurrence'),
    additional: options.additional ?? [],
    dynamicTerm: options.dynamicTerm ?? 'dynamicProperties',
    extensionFields: options.extensionFields ?? {},
  });
  throwIfAborted(signal, what);

  const folder = await mkdtemp(join(tempDir, 'dwca-'));
  const aborted = abortPromise(signal, what);
  const temps: TempFile[] = [];
  try {
    for (const file of plan.files) {
      const location = `${file.extension.name}.csv`;
      const path = join(folder, location);
      const stream = createWriteStream(path, { flags: 'wx' });
      const writer = new BatchedWriter(stream, [aborted.promise]);
      temps.push({ path, location, stream, writer, rows: 0 });
      await writer.push(csvLine([idField, ...file.columns.map((term) => term.name)]));
    }
    const rows = await writeRows(plan, idField, fields, records, temps, signal, what);
    for (const temp of temps) {
      await temp.writer.end();
      await Promise.race([finished(temp.stream), aborted.promise]);
    }

    const kept = plan.files
      .map((file, i) => ({ file, temp: temps[i]! }))
      .filter(({ file, temp }) => file.core || temp.rows > 0)
      .sort((a, b) => a.file.rank - b.file.rank);
    const written: string[] = [];
    const add = async (name: string, source: Buffer | ReadStream) => {
      const entry = appendEntry(archive, source, name);
      try {
        await Promise.race([entry.done, aborted.promise]);
        written.push(name);
      } catch (error) {
        failArchive(archive, error, Buffer.isBuffer(source) ? [] : [source]);
        throw error;
      } finally {
        entry.dispose();
      }
    };
    await add(
      'meta.xml',
      Buffer.from(
        metaXml(
          kept.map(({ file, temp }) => ({ file, location: temp.location })),
          !!eml,
        ),
      ),
    );
    if (eml !== undefined) await add('eml.xml', Buffer.from(eml, 'utf8'));
    for (const { temp } of kept) {
      await add(temp.location, createReadStream(temp.path));
      await rm(temp.path, { force: true });
    }
    if (options.forGbif) await add('gbif.json', Buffer.from(gbifJson(now), 'utf8'));
    return { rows, files: written };
  } finally {
    aborted.dispose();
    // Wait for every file to be closed (one may still be opening) before removing the folder.
    await Promise.all(
      temps.map(({ stream }) => {
        if (stream.closed) return undefined;
        const closed = once(stream, 'close').catch(() => {});
        stream.destroy();
        return closed;
      }),
    );
    await rm(folder, { recursive: true, force: true });
  }
}

/** The single pass over the records: each record's rows go to the temporary files. */
async function writeRows(
  plan: DwcPlan,
  idField: string,
  fields: Field[],
  records: AsyncIterable<DatastoreRecord> | Iterable<DatastoreRecord>,
  temps: TempFile[],
  signal: AbortSignal | undefined,
  what: string,
): Promise<number> {
  let count = 0;
  for await (const record of records) {
    throwIfAborted(signal, what);
    checkRecord(record, count);
    count++;
    let lines: { file: number; line: string }[];
    try {
      lines = recordLines(plan, idField, record);
    } catch (error) {
      throw unwritable(error, fields, record);
    }
    for (const { file, line } of lines) {
      const temp = temps[file]!;
      temp.rows++;
      const wait = temp.writer.push(line);
      if (wait) await wait;
    }
  }
  return count;
}

function recordLines(
  plan: DwcPlan,
  idField: string,
  record: DatastoreRecord,
): { file: number; line: string }[] {
  const id = cell(record[idField]);
  const values = new Map<number, string[]>();
  const valuesOf = (file: number) => {
    let row = values.get(file);
    if (row === undefined) {
      row = new Array<string>(plan.files[file]!.columns.length).fill('');
      values.set(file, row);
    }
    return row;
  };
  valuesOf(0);
  for (const direct of plan.direct)
    valuesOf(direct.file)[direct.column] = cell(record[direct.field]);
  const dynamic = plan.dynamic;
  if (dynamic !== undefined) valuesOf(dynamic.file)[dynamic.column] = dynamicValue(dynamic, record);

  const lines: { file: number; line: string }[] = [];
  for (const [file, row] of values) {
    // The core has a row for every record; other 1:1 extensions only when there is something.
    if (file === 0 || row.some((value) => value !== '')) {
      lines.push({ file, line: csvLine([id, ...row]) });
    }
  }
  for (const expansion of plan.expanded) {
    const width = plan.files[expansion.file]!.columns.length;
    for (const item of itemsOf(record[expansion.field])) {
      const row = new Array<string>(width).fill('');
      for (const { key, column, fallback } of expansion.keys) {
        row[column] = cell(Object.hasOwn(item, key) ? item[key] : fallback);
      }
      lines.push({ file: expansion.file, line: csvLine([id, ...row]) });
    }
  }
  return lines;
}

/**
 * The JSON object of unmatched fields: keys camel-cased, null values left out, and values that
 * are JSON text of an object or a list decoded (so nested data stays nested rather than
 * becoming an escaped string; other strings are kept as strings, `"007"` stays `"007"`).
 * Empty when nothing is left.
 */
function dynamicValue(dynamic: NonNullable<DwcPlan['dynamic']>, record: DatastoreRecord): string {
  const object: Record<string, unknown> = {};
  let any = false;
  for (const { field, key } of dynamic.fields) {
    const value = record[field];
    if (value === null || value === undefined) continue;
    object[key] = decodeJsonText(value);
    any = true;
  }
  return any ? JSON.stringify(object) : '';
}

function decodeJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const start = value.trimStart().charAt(0);
  if (start !== '{' && start !== '[') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * The items of an expanded field: a list of objects, one object, or JSON text of either
 * (CKAN gives `json` columns as values, `text` columns as strings). Anything else, and items
 * that are not objects, give no rows, as in ckanpackager.
 */
function itemsOf(value: unknown): Record<string, unknown>[] {
  let decoded = value;
  if (typeof value === 'string') {
    try {
      decoded = JSON.parse(value) as unknown;
    } catch {
      return [];
    }
  }
  const list = Array.isArray(decoded) ? decoded : [decoded];
  return list.filter(
    (item): item is Record<string, unknown> =>
      typeof item === 'object' && item !== null && !Array.isArray(item),
  );
}
