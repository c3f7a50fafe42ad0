import { PassThrough } from 'node:stream';
import { ZipArchive, type Archiver } from 'archiver';
import { abortPromise, throwIfAborted } from './abort.js';
import { BatchedWriter } from './batched-writer.js';
import { headerLine, lineEncoder, type Delimiter } from './delimited.js';
import { UnknownTableFormatError, XlsxLimitError } from './errors.js';
import { checkFields, checkRecord } from './records.js';
import {
  SHEET_HEAD,
  SHEET_PART,
  SHEET_TAIL,
  XLSX_FIXED_PARTS,
  XLSX_MAX_COLUMNS,
  XLSX_MAX_ROWS,
  sheetHeaderRow,
  sheetRowEncoder,
} from './xlsx.js';
import { appendEntry, failArchive } from './zip-entry.js';
import type { DatastoreRecord, Field, TableEntryOptions, TableFormat } from './types.js';

const DELIMITERS: Record<Exclude<TableFormat, 'xlsx'>, Delimiter> = { csv: ',', tsv: '\t' };

/** The stream between the row encoder and the zip: small, so that backpressure bites early. */
const SOURCE_HIGH_WATER_MARK = 64 * 1024;

/**
 * Writes one file entry (`resource.csv`, `resource.tsv` or `resource.xlsx` unless `name` says
 * otherwise) into `archive` from `records`, pulling the next record only when the archive has
 * taken the previous ones: memory stays flat whatever the row count. Resolves once the archive
 * has written the whole entry, with the data row count and the entry's uncompressed size.
 *
 * On failure (a record source error, an abort, a value that cannot be written, too many rows
 * for XLSX) the entry is left half-written, so the archive is destroyed with the error (its
 * pipe fails with it): delete the partial file.
 */
export async function writeTableEntry(
  archive: ZipArchive,
  format: TableFormat,
  fields: Field[],
  records: AsyncIterable<DatastoreRecord> | Iterable<DatastoreRecord>,
  options: TableEntryOptions = {},
): Promise<{ rows: number; bytes: number }> {
  if (format !== 'csv' && format !== 'tsv' && format !== 'xlsx') {
    throw new UnknownTableFormatError(String(format));
  }
  checkFields(fields);
  const name = options.name ?? `resource.${format}`;
  throwIfAborted(options.signal, name);
  if (format === 'xlsx') return writeXlsx(archive, fields, records, name, options.signal);
  return writeDelimited(archive, DELIMITERS[format], fields, records, name, options.signal);
}

async function writeDelimited(
  archive: Archiver,
  delimiter: Delimiter,
  fields: Field[],
  records: AsyncIterable<DatastoreRecord> | Iterable<DatastoreRecord>,
  name: string,
  signal: AbortSignal | undefined,
): Promise<{ rows: number; bytes: number }> {
  const source = new PassThrough({ highWaterMark: SOURCE_HIGH_WATER_MARK });
  const entry = appendEntry(archive, source, name);
  const aborted = abortPromise(signal, name);
  const writer = new BatchedWriter(source, [entry.failed, aborted.promise]);
  const encode = lineEncoder(fields, delimiter);
  let rows = 0;
  try {
    await writer.push(headerLine(fields, delimiter));
    for await (const record of records) {
      throwIfAborted(signal, name);
      checkRecord(record, rows);
      const wait = writer.push(encode(record));
      rows++;
      if (wait) await wait;
    }
    await writer.end();
    await Promise.race([entry.done, aborted.promise]);
    return { rows, bytes: writer.bytes };
  } catch (error) {
    failArchive(archive, error, [source]);
    throw error;
  } finally {
    entry.dispose();
    aborted.dispose();
  }
}

/**
 * An XLSX file is itself a zip: its parts go into a second archive whose output is the
 * content of the outer entry. The worksheet is streamed row by row like a CSV.
 */
async function writeXlsx(
  archive: Archiver,
  fields: Field[],
  records: AsyncIterable<DatastoreRecord> | Iterable<DatastoreRecord>,
  name: string,
  signal: AbortSignal | undefined,
): Promise<{ rows: number; bytes: number }> {
  if (fields.length > XLSX_MAX_COLUMNS) throw new XlsxLimitError('columns', XLSX_MAX_COLUMNS);
  const xlsx = new ZipArchive({ highWaterMark: SOURCE_HIGH_WATER_MARK });
  // A failure is reported through the outer archive and our promises; the inner zip's own
  // 'error' events must not crash the process for want of a listener.
  xlsx.on('error', () => {});
  const entry = appendEntry(archive, xlsx, name);
  const date = new Date();
  for (const [part, content] of XLSX_FIXED_PARTS) {
    xlsx.append(Buffer.from(content, 'utf8'), { name: part, date });
  }
  const sheet = new PassThrough({ highWaterMark: SOURCE_HIGH_WATER_MARK });
  const sheetEntry = appendEntry(xlsx, sheet, SHEET_PART);
  xlsx.finalize().catch(() => {});
  const aborted = abortPromise(signal, name);
  const writer = new BatchedWriter(sheet, [entry.failed, sheetEntry.failed, aborted.promise]);
  const encode = sheetRowEncoder(fields);
  let rows = 0;
  try {
    await writer.push(SHEET_HEAD + sheetHeaderRow(fields));
    for await (const record of records) {
      throwIfAborted(signal, name);
      checkRecord(record, rows);
      // Row 1 is the header, so data row n is sheet row n + 1.
      if (rows + 2 > XLSX_MAX_ROWS) throw new XlsxLimitError('rows', XLSX_MAX_ROWS);
      const wait = writer.push(encode(record, rows + 2));
      rows++;
      if (wait) await wait;
    }
    await writer.push(SHEET_TAIL);
    await writer.end();
    await Promise.race([entry.done, aborted.promise]);
    return { rows, bytes: xlsx.pointer() };
  } catch (error) {
    failArchive(xlsx, error, [sheet]);
    failArchive(archive, error);
    throw error;
  } finally {
    entry.dispose();
    sheetEntry.dispose();
    aborted.dispose();
  }
}
