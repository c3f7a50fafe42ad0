import { AbortedError, GeoworksError, InvalidInputError, TooLargeError } from '@geoworks/errors';

export class UnknownTableFormatError extends InvalidInputError {
  constructor(format: string) {
    super(`Unknown table format "${format}"; formats: csv, tsv, xlsx`, {
      code: 'UNKNOWN_TABLE_FORMAT',
      details: { format },
    });
  }
}

/** A GBIF extension definition (XML) or a shipped term list that cannot be used. */
export class InvalidExtensionError extends InvalidInputError {
  constructor(reason: string) {
    super(`Invalid Darwin Core extension definition: ${reason}`, { code: 'BAD_DWC_EXTENSION' });
  }
}

export class UnknownExtensionError extends InvalidInputError {
  constructor(name: string, known: readonly string[]) {
    super(`Unknown Darwin Core extension "${name}"; shipped: ${known.join(', ')}`, {
      code: 'UNKNOWN_DWC_EXTENSION',
      details: { name, known },
    });
  }
}

/** The EML template is not well-formed XML once its placeholders are filled in. */
export class InvalidEmlTemplateError extends InvalidInputError {
  constructor(reason: string) {
    super(`The EML template is not well-formed XML: ${reason}`, { code: 'BAD_EML_TEMPLATE' });
  }
}

/** Darwin Core options that contradict each other or the fields (caught before any row). */
export class InvalidDwcOptionsError extends InvalidInputError {
  constructor(reason: string, details?: Record<string, unknown>) {
    super(`Invalid Darwin Core archive options: ${reason}`, { code: 'BAD_DWC_OPTIONS', details });
  }
}

/** A value that cannot be written as a cell (a BigInt or a cycle inside an object). */
export class UnwritableValueError extends InvalidInputError {
  constructor(field: string, reason: string) {
    super(`Field "${field}" has a value that cannot be written: ${reason}`, {
      code: 'UNWRITABLE_VALUE',
      details: { field },
    });
  }
}

/** More rows or columns than an Excel worksheet holds. */
export class XlsxLimitError extends TooLargeError {
  constructor(what: 'rows' | 'columns', limit: number) {
    super(
      what === 'rows'
        ? `Too many rows for XLSX: a worksheet holds ${limit.toLocaleString('en')} rows including the header; ask for CSV or a smaller range`
        : `Too many columns for XLSX: a worksheet holds ${limit.toLocaleString('en')} columns`,
      {
        code: what === 'rows' ? 'XLSX_TOO_MANY_ROWS' : 'XLSX_TOO_MANY_COLUMNS',
        details: { limit },
      },
    );
  }
}

export class WriteAbortedError extends AbortedError {
  constructor(what: string, reason: unknown) {
    super(`Writing ${what} was aborted`, { code: 'WRITE_ABORTED', cause: reason });
  }
}

/** The zip the entry was going into failed or closed before the entry was complete. */
export class ArchiveFailedError extends GeoworksError {
  constructor(entry: string, cause?: unknown) {
    super(
      'internal',
      `The zip archive ${cause === undefined ? 'closed' : 'failed'} before ${entry} was written${
        cause instanceof Error ? `: ${cause.message}` : ''
      }`,
      { code: 'ARCHIVE_FAILED', cause },
    );
  }
}
