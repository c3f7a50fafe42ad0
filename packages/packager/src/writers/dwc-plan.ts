import { InvalidDwcOptionsError } from './errors.js';
import { checkExtension } from './extensions.js';
import { camelCase } from './names.js';
import type { DwcExtension, DwcExtensionField, DwcTerm, Field } from './types.js';

/** One CSV file of the archive: column 0 is the record id, then `columns`. */
export interface DwcFile {
  extension: DwcExtension;
  core: boolean;
  columns: DwcTerm[];
  /** Ordering rank: the core, then additional extensions as configured, then the others. */
  rank: number;
}

/** Input field -> one column, one row per record. */
export interface DirectField {
  field: string;
  file: number;
  column: number;
}

/** Input fields gathered, under camel-cased keys, into a JSON object in one column. */
export interface DynamicColumn {
  file: number;
  column: number;
  fields: { field: string; key: string }[];
}

/** Input field whose items each become a row of `file`. */
export interface ExpandedField {
  field: string;
  file: number;
  keys: { key: string; column: number; fallback: string }[];
}

export interface DwcPlan {
  files: DwcFile[];
  direct: DirectField[];
  dynamic: DynamicColumn | undefined;
  expanded: ExpandedField[];
}

export interface PlanOptions {
  idField: string;
  core: DwcExtension;
  additional: DwcExtension[];
  dynamicTerm: string;
  extensionFields: Record<string, DwcExtensionField>;
}

/**
 * Decides, once from the field list, where every input field goes (ckanpackager's rules):
 *
 * - a field listed in `extensionFields` is expanded into rows of that extension, each
 *   configured key matched to one of its terms by exact name or camel-cased name;
 * - any other field goes to the term of the same name, or of its camel-cased name (`Event
 *   date` -> `eventDate`), looked up in the core first, then in the additional extensions;
 * - fields that match no term (and a second field matching a term already taken, which
 *   ckanpackager turned into a JSON object inside that term) go, camel-cased, into the JSON
 *   object of `dynamicTerm`.
 *
 * Columns are in the order their first field appears, as in ckanpackager.
 */
export function planArchive(fields: readonly Field[], options: PlanOptions): DwcPlan {
  const core = checkExtension(options.core, 'core');
  const additional = options.additional.map((extension, i) =>
    checkExtension(extension, `additional extension ${i + 1}`),
  );
  const homes = [core, ...additional];
  for (const extension of additional) {
    if (extension.name === core.name) {
      throw new InvalidDwcOptionsError(
        `additional extension ${extension.name} has the core's name`,
      );
    }
  }
  const files: DwcFile[] = [];
  const fileIndex = new Map<string, number>();
  let nextRank = homes.length;

  function fileFor(extension: DwcExtension): number {
    const known = fileIndex.get(extension.name);
    if (known !== undefined) {
      if (files[known]!.extension.rowType !== extension.rowType) {
        throw new InvalidDwcOptionsError(
          `two extensions would both be written to ${extension.name}.csv`,
          { name: extension.name },
        );
      }
      return known;
    }
    const home = homes.findIndex((candidate) => candidate.name === extension.name);
    files.push({
      extension,
      core: files.length === 0,
      columns: [],
      rank: home >= 0 ? home : nextRank++,
    });
    fileIndex.set(extension.name, files.length - 1);
    return files.length - 1;
  }
  function columnFor(file: number, term: DwcTerm): number {
    const columns = files[file]!.columns;
    const index = columns.findIndex((column) => column.name === term.name);
    if (index >= 0) return index;
    columns.push(term);
    return columns.length - 1;
  }

  fileFor(core);
  const termHome = new Map<string, { extension: DwcExtension; term: DwcTerm }>();
  for (const extension of homes) {
    for (const term of extension.terms) {
      if (!termHome.has(term.name)) termHome.set(term.name, { extension, term });
    }
  }
  const dynamicHome = termHome.get(options.dynamicTerm);
  if (dynamicHome === undefined) {
    throw new InvalidDwcOptionsError(
      `dynamicTerm "${options.dynamicTerm}" is not a term of the core or additional extensions`,
    );
  }
  if (!fields.some((field) => field.id === options.idField)) {
    throw new InvalidDwcOptionsError(`the id field "${options.idField}" is not among the fields`, {
      idField: options.idField,
    });
  }

  const direct: DirectField[] = [];
  const expanded: ExpandedField[] = [];
  let dynamic: DynamicColumn | undefined;
  const taken = new Set<string>();
  for (const { id } of fields) {
    if (id === options.idField) continue;
    const expansion = Object.hasOwn(options.extensionFields, id)
      ? options.extensionFields[id]
      : undefined;
    if (expansion !== undefined) {
      expanded.push(planExpansion(id, expansion));
      continue;
    }
    const home = termHome.get(id) ?? termHome.get(camelCase(id));
    if (home !== undefined && !taken.has(home.term.name)) {
      taken.add(home.term.name);
      const file = fileFor(home.extension);
      direct.push({ field: id, file, column: columnFor(file, home.term) });
      continue;
    }
    if (dynamic === undefined) {
      const file = fileFor(dynamicHome.extension);
      dynamic = { file, column: columnFor(file, dynamicHome.term), fields: [] };
    }
    dynamic.fields.push({ field: id, key: camelCase(id) });
  }

  function planExpansion(id: string, expansion: DwcExtensionField): ExpandedField {
    const extension = checkExtension(expansion?.extension, `the extension of field ${id}`);
    if (typeof expansion.defaults !== 'object' || expansion.defaults === null) {
      throw new InvalidDwcOptionsError(`extension field ${id} has no defaults`);
    }
    const file = fileFor(extension);
    if (file === 0) {
      throw new InvalidDwcOptionsError(`extension field ${id} cannot expand into the core`);
    }
    const keys: ExpandedField['keys'] = [];
    for (const [key, fallback] of Object.entries(expansion.defaults)) {
      const term =
        extension.terms.find((candidate) => candidate.name === key) ??
        extension.terms.find((candidate) => candidate.name === camelCase(key));
      // A key that is no term of the extension is dropped, as in ckanpackager.
      if (term === undefined) continue;
      if (keys.some((known) => files[file]!.columns[known.column]?.name === term.name)) continue;
      keys.push({ key, column: columnFor(file, term), fallback: String(fallback ?? '') });
    }
    return { field: id, file, keys };
  }

  return { files, direct, dynamic, expanded };
}
