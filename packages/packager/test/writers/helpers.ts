import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { SaxesParser } from 'saxes';
import yauzl from 'yauzl';

/**
 * Runs `build` on a fresh zip and returns the zip's bytes with `build`'s result, the way the
 * service does it: the archive is piped, built, then finalized.
 */
export async function buildZip<T>(
  build: (archive: ZipArchive) => Promise<T>,
): Promise<{ zip: Buffer; result: T }> {
  const archive = new ZipArchive();
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const writing = pipeline(archive, sink);
  writing.catch(() => {});
  try {
    const result = await build(archive);
    await archive.finalize();
    await writing;
    return { zip: Buffer.concat(chunks), result };
  } catch (error) {
    archive.abort();
    await writing.catch(() => {});
    throw error;
  }
}

/** Every entry of a zip, by name, in archive order. */
export async function readZip(zip: Buffer): Promise<Map<string, Buffer>> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const entries = new Map<string, Buffer>();
  for await (const entry of file.eachEntry()) {
    const stream = await file.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    entries.set(entry.fileName, Buffer.concat(chunks));
  }
  return entries;
}

/** The text of one entry (fails the test when it is missing). */
export async function zipEntryText(zip: Buffer, name: string): Promise<string> {
  const entry = (await readZip(zip)).get(name);
  if (entry === undefined) throw new Error(`no ${name} in the zip`);
  return entry.toString('utf8');
}

/**
 * An RFC 4180 reader written independently of the writers (state machine over characters), so
 * round trips test the format rather than the writer against itself.
 */
export function parseDelimited(text: string, delimiter: ',' | '\t'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (char === '"') quoted = false;
      else field += char;
      i++;
      continue;
    }
    if (char === '"' && field === '') quoted = true;
    else if (char === delimiter) {
      row.push(field);
      field = '';
    } else if (char === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
    i++;
  }
  if (field !== '' || row.length > 0) throw new Error('text does not end with a line break');
  return rows;
}

export interface SheetCell {
  ref: string;
  /** `t` attribute: `inlineStr`, `b`, or undefined for numbers. */
  type: string | undefined;
  style: string | undefined;
  value: string;
}

/** Rows of a SpreadsheetML worksheet as Excel would read them (`_xHHHH_` decoded). */
export function readSheet(xml: string): {
  rows: { r: string; cells: SheetCell[] }[];
  root: string;
} {
  const parser = new SaxesParser({ xmlns: true });
  const rows: { r: string; cells: SheetCell[] }[] = [];
  let root = '';
  let current: SheetCell | undefined;
  let inText = false;
  parser.on('opentag', (tag) => {
    if (root === '') root = `{${tag.uri}}${tag.local}`;
    const attribute = (name: string) => tag.attributes[name]?.value;
    if (tag.local === 'row') rows.push({ r: attribute('r') ?? '', cells: [] });
    if (tag.local === 'c') {
      current = {
        ref: attribute('r') ?? '',
        type: attribute('t'),
        style: attribute('s'),
        value: '',
      };
      rows.at(-1)!.cells.push(current);
    }
    if (tag.local === 't' || tag.local === 'v') inText = true;
  });
  parser.on('text', (text) => {
    if (inText && current) current.value += text;
  });
  parser.on('closetag', (tag) => {
    if (tag.local === 't' || tag.local === 'v') inText = false;
    if (tag.local === 'c' && current) {
      current.value = current.value.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      );
      current = undefined;
    }
  });
  parser.write(xml).close();
  return { rows, root };
}

/** `count` records made by `make`, as an async source (like the CKAN reader). */
export async function* generate<T>(count: number, make: (i: number) => T): AsyncGenerator<T> {
  for (let i = 0; i < count; i++) yield make(i);
}
