import { readFileSync } from 'node:fs';
import { SaxesParser } from 'saxes';
import { InvalidExtensionError, UnknownExtensionError } from './errors.js';
import { fileStem } from './names.js';
import type { DwcExtension } from './types.js';

export const SHIPPED_EXTENSIONS = ['dwc_occurrence', 'gbif_multimedia'] as const;
export type ShippedExtension = (typeof SHIPPED_EXTENSIONS)[number];

const loaded = new Map<ShippedExtension, DwcExtension>();

/**
 * A term list shipped in the package's `data/` folder (see data/README.md for the sources):
 * `dwc_occurrence` (the Darwin Core Occurrence core) or `gbif_multimedia` (GBIF Simple
 * Multimedia). Read relative to this module, which sits two levels below the package root in
 * both `src/` and `dist/`. Each call returns a fresh copy, so callers may change it.
 */
export function loadExtension(name: ShippedExtension): DwcExtension {
  if (!SHIPPED_EXTENSIONS.includes(name)) throw new UnknownExtensionError(name, SHIPPED_EXTENSIONS);
  let extension = loaded.get(name);
  if (extension === undefined) {
    const text = readFileSync(new URL(`../../data/${name}.json`, import.meta.url), 'utf8');
    extension = checkExtension(JSON.parse(text) as unknown, `data/${name}.json`);
    loaded.set(name, extension);
  }
  return structuredClone(extension);
}

/**
 * Reads a GBIF extension definition (http://rs.gbif.org/schema/extension.xsd, like the files
 * under http://rs.gbif.org/core/ and http://rs.gbif.org/extension/): the root `<extension>`
 * gives `rowType` and `name` (the file stem is `name` un-camel-cased, as ckanpackager did:
 * `Occurrence` -> `occurrence`), each `<property>` a term's `name` and `qualName`.
 */
export function parseExtensionXml(xml: string): DwcExtension {
  if (typeof xml !== 'string') throw new InvalidExtensionError('the definition must be XML text');
  const parser = new SaxesParser({ xmlns: true });
  let depth = 0;
  let rowType: string | undefined;
  let name: string | undefined;
  const terms: { name: string; qualName: string }[] = [];
  parser.on('opentag', (tag) => {
    depth++;
    const attribute = (key: string) => tag.attributes[key]?.value;
    if (depth === 1) {
      if (tag.local !== 'extension') {
        throw new InvalidExtensionError(`the root element is <${tag.name}>, not <extension>`);
      }
      rowType = attribute('rowType');
      name = attribute('name');
    } else if (depth === 2 && tag.local === 'property') {
      terms.push({ name: attribute('name') ?? '', qualName: attribute('qualName') ?? '' });
    }
  });
  parser.on('closetag', () => {
    depth--;
  });
  try {
    parser.write(xml).close();
  } catch (error) {
    if (error instanceof InvalidExtensionError) throw error;
    throw new InvalidExtensionError((error as Error).message);
  }
  if (!rowType) throw new InvalidExtensionError('<extension> has no rowType');
  if (!name) throw new InvalidExtensionError('<extension> has no name');
  return checkExtension({ rowType, name: fileStem(name), terms }, `extension ${name}`);
}

/** Checks the shape of an extension (from JSON, XML or a caller) and returns it. */
export function checkExtension(value: unknown, what: string): DwcExtension {
  const extension = value as Partial<DwcExtension> | null;
  if (typeof extension !== 'object' || extension === null) {
    throw new InvalidExtensionError(`${what} is not an object`);
  }
  const { rowType, name, terms } = extension;
  if (typeof rowType !== 'string' || rowType === '') {
    throw new InvalidExtensionError(`${what} has no rowType`);
  }
  // The name becomes a file name in the archive: keep it to a plain, safe stem.
  if (typeof name !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new InvalidExtensionError(
      `${what}: name ${JSON.stringify(name)} is not a usable file stem`,
    );
  }
  if (!Array.isArray(terms) || terms.length === 0) {
    throw new InvalidExtensionError(`${what} has no terms`);
  }
  const seen = new Set<string>();
  terms.forEach((term, index) => {
    if (typeof term?.name !== 'string' || term.name === '') {
      throw new InvalidExtensionError(`${what}: term ${index + 1} has no name`);
    }
    if (typeof term.qualName !== 'string' || term.qualName === '') {
      throw new InvalidExtensionError(`${what}: term ${term.name} has no qualName`);
    }
    if (seen.has(term.name)) throw new InvalidExtensionError(`${what}: term ${term.name} twice`);
    seen.add(term.name);
  });
  return {
    rowType,
    name,
    terms: terms.map((term) => ({ name: term.name, qualName: term.qualName })),
  };
}
