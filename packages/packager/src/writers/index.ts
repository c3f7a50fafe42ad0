// Output writers of the packager: datastore records streamed into zip entries (CSV, TSV,
// XLSX) or into a Darwin Core Archive, with backpressure and in constant memory.
export { writeTableEntry } from './table.js';
export { writeDwcArchive } from './dwc.js';
export { loadExtension, parseExtensionXml, SHIPPED_EXTENSIONS } from './extensions.js';
export type { ShippedExtension } from './extensions.js';
export { camelCase } from './names.js';
export { cell } from './cell.js';
export {
  ArchiveFailedError,
  InvalidDwcOptionsError,
  InvalidEmlTemplateError,
  InvalidExtensionError,
  UnknownExtensionError,
  UnknownTableFormatError,
  UnwritableValueError,
  WriteAbortedError,
  XlsxLimitError,
} from './errors.js';
export { XLSX_MAX_CELL_CHARS, XLSX_MAX_COLUMNS, XLSX_MAX_ROWS } from './xlsx.js';
export type {
  DatastoreRecord,
  DwcExtension,
  DwcExtensionField,
  DwcOptions,
  DwcTerm,
  Field,
  TableEntryOptions,
  TableFormat,
} from './types.js';
