/** A datastore field as CKAN lists it in `result.fields` (`_id` first, CKAN order). */
export interface Field {
  id: string;
  /** CKAN's type name (`text`, `int4`, `numeric`, `timestamp`, ...); used by XLSX for numbers. */
  type?: string;
}

export type TableFormat = 'csv' | 'tsv' | 'xlsx';

/** A Darwin Core core or extension: its row type, file stem and terms (GBIF extension XML). */
export interface DwcExtension {
  rowType: string;
  /** File stem in the archive, e.g. `occurrence` (from the definition's `name`, un-camel-cased). */
  name: string;
  terms: DwcTerm[];
}

export interface DwcTerm {
  /** Short name (`eventDate`), matched against input field names. */
  name: string;
  /** Full IRI written in meta.xml (`http://rs.tdwg.org/dwc/terms/eventDate`). */
  qualName: string;
}

/**
 * A field whose values are a JSON list of objects (or a JSON string of one, or one object),
 * each becoming one row of `extension`; `defaults` names the keys taken from each object, in
 * column order, with the value used when an object lacks that key. Other keys are ignored.
 */
export interface DwcExtensionField {
  extension: DwcExtension;
  defaults: Record<string, string>;
}

export interface DwcOptions {
  /** The input field that identifies a record: column 0 of every file. Default `_id`. */
  idField?: string;
  /** Default: the Darwin Core Occurrence core (`loadExtension('dwc_occurrence')`). */
  core?: DwcExtension;
  /** Tried in order after the core when matching a field to a term. */
  additional?: DwcExtension[];
  /** Core term that receives unmatched fields as a JSON object. Default `dynamicProperties`. */
  dynamicTerm?: string;
  /** Input fields expanded into extension rows, keyed by field id (e.g. `associatedMedia`). */
  extensionFields?: Record<string, DwcExtensionField>;
  /** The EML document, with `{package_id}`, `{pub_date}` and `{date_stamp}` placeholders. */
  eml: string;
  /** Adds `gbif.json`. */
  forGbif?: boolean;
  /** Where the CSV files are written before they go into the zip (one pass, several files). */
  tempDir: string;
  /** Clock for `{pub_date}`, `{date_stamp}` and `gbif.json`. Default: now. */
  now?: Date;
  /** `{package_id}`. Default: a random UUID (v4). */
  packageId?: string;
  signal?: AbortSignal;
}

export interface TableEntryOptions {
  /** Entry name in the zip. Default `resource.<format>`. */
  name?: string;
  signal?: AbortSignal;
}

export type DatastoreRecord = Record<string, unknown>;
