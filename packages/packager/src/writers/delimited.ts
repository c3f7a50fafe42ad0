import { cell, unwritable } from './cell.js';
import type { Field } from './types.js';

export type Delimiter = ',' | '\t';

/**
 * Quotes a value only when it must be (it holds a quote, the delimiter, CR or LF), doubling
 * its quotes: RFC 4180 and Python's `csv.QUOTE_MINIMAL`, which ckanpackager used.
 *
 * TSV follows the same rule with a tab as the delimiter: a value holding a tab or a line
 * break is written quoted rather than altered, so every value survives a round trip through
 * a CSV-aware reader (Python csv, pandas, Excel, LibreOffice). A naive reader that splits
 * lines on `\n` and `\t` without honouring quotes would mis-split those rows; escaping them
 * instead (`\t`, `\n`) would lose the distinction from a literal backslash.
 */
export function quoter(delimiter: Delimiter): (text: string) => string {
  const special = delimiter === ',' ? /[",\r\n]/ : /["\t\r\n]/;
  return (text) => (special.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
}

/** The header line: field ids in order, `\n`-terminated. */
export function headerLine(fields: readonly Field[], delimiter: Delimiter): string {
  const quote = quoter(delimiter);
  return `${fields.map((field) => quote(field.id)).join(delimiter)}\n`;
}

/** Turns a record into its `\n`-terminated line, values in field order. */
export function lineEncoder(
  fields: readonly Field[],
  delimiter: Delimiter,
): (record: Record<string, unknown>) => string {
  const ids = fields.map((field) => field.id);
  const quote = quoter(delimiter);
  const count = ids.length;
  return (record) => {
    try {
      let line = '';
      for (let i = 0; i < count; i++) {
        const value = record[ids[i]!];
        const text = typeof value === 'string' ? value : cell(value);
        if (i > 0) line += delimiter;
        if (text.length > 0) line += quote(text);
      }
      // A lone empty value would make a blank line, which many readers skip: quote it, as
      // Python's csv module does.
      return line === '' && count === 1 ? '""\n' : `${line}\n`;
    } catch (error) {
      throw unwritable(error, fields, record);
    }
  };
}

const quoteCsv = quoter(',');

/** One `\n`-terminated CSV line from values already turned into text. */
export function csvLine(values: readonly string[]): string {
  if (values.length === 1 && values[0] === '') return '""\n';
  return `${values.map(quoteCsv).join(',')}\n`;
}
