import { InvalidInputError } from '@geoworks/errors';
import type { FieldSpec, Row } from './types.js';

/** The first columns; later ones repeat text, int and numeric. */
const PALETTE: FieldSpec[] = [
  { id: 'name', type: 'text' },
  { id: 'count', type: 'int' },
  { id: 'value', type: 'numeric' },
  { id: 'observed', type: 'timestamp' },
  { id: 'properties', type: 'json' },
  { id: 'category', type: 'text' },
  { id: 'flag', type: 'bool' },
];
const REPEATED = ['text', 'int', 'numeric'] as const;

const WORDS = [
  'alpha',
  'Beta',
  'gamma',
  'delta',
  'Zürich',
  'Ångström',
  'naïve',
  'café',
  'São Paulo',
  'Łódź',
  '東京',
  'Ελλάδα',
  'Москва',
  'owl 🦉',
  'niño',
  'façade',
  'Kraków',
  'Reykjavík',
  'smörgåsbord',
  'x',
];
/** What CSV writers get wrong: separators, quotes, line breaks, tabs, backslashes. */
const AWKWARD = [
  ', with a comma',
  ' "quoted"',
  '\nsecond line',
  '\ttabbed',
  " it's",
  ' back\\slash',
  ',"both",\nand more',
  '\r\nCRLF',
  ';semicolon',
  ' trailing space ',
];
const CATEGORIES = [
  'Aves',
  'Mammalia',
  'Reptilia',
  'Amphibia',
  'Insecta',
  'Arachnida',
  'Mollusca',
  'Plantae',
  'Fungi',
  'Bacteria',
  'Minerals',
  'Fossils',
];
const START_2000 = Date.UTC(2000, 0, 1) / 1000;

/** mulberry32 state: one generator, reseeded for each row so any row can be made on its own. */
let state = 0;
function next(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function pick<T>(items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

/**
 * Deterministic test rows: the same (count, columns, seed) always gives the same rows, and row
 * `i` can be made without the others (`row(i)`), so a test can check any record it gets back.
 * Values are already in the form `datastore_search` returns them (timestamps as
 * `YYYY-MM-DDTHH:MM:SS`, numbers with at most 3 decimals, JSON as parsed values), so a
 * returned record equals `{ _id: i + 1, ...rows.row(i) }`.
 *
 * Columns: `name` (text with commas, quotes, newlines, tabs, backslashes and non-ASCII, often
 * all at once), `count` (int), `value` (numeric), `observed` (timestamp), `properties` (json),
 * `category` (12 values, for filters), `flag` (bool), then text, int and numeric in turn
 * (`text_07`, `int_08`, `numeric_09`, …). About 5% of values are null, except in `name` and
 * `category`.
 */
export class GeneratedRows implements Iterable<Row> {
  readonly fields: FieldSpec[];

  constructor(
    readonly count: number,
    columns: number,
    readonly seed: number,
  ) {
    if (!Number.isInteger(count) || count < 0)
      throw new InvalidInputError(`Row count must be a whole number >= 0; got ${count}`);
    if (!Number.isInteger(columns) || columns < 1)
      throw new InvalidInputError(`Column count must be a whole number >= 1; got ${columns}`);
    this.fields = Array.from({ length: columns }, (_, index): FieldSpec => {
      if (index < PALETTE.length) return PALETTE[index]!;
      const type = REPEATED[(index - PALETTE.length) % REPEATED.length]!;
      return { id: `${type}_${String(index).padStart(2, '0')}`, type };
    });
  }

  /** Row `index` (from 0); its `_id` once loaded is index + 1. */
  row(index: number): Row {
    state = (Math.imul(this.seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) | 0;
    next();
    const row: Row = {};
    const fields = this.fields;
    for (let column = 0; column < fields.length; column++) {
      const field = fields[column]!;
      row[field.id] =
        column < PALETTE.length ? paletteValue(column, index) : repeatedValue(field.type);
    }
    return row;
  }

  *[Symbol.iterator](): Iterator<Row> {
    for (let index = 0; index < this.count; index++) yield this.row(index);
  }
}

export function generateRows(count: number, columns = 20, seed = 1): GeneratedRows {
  return new GeneratedRows(count, columns, seed);
}

function paletteValue(column: number, index: number): unknown {
  switch (column) {
    case 0: {
      const awkward = next() < 0.6 ? pick(AWKWARD) : '';
      return `${pick(WORDS)} ${pick(WORDS)}${awkward} #${index}`;
    }
    case 1:
      return next() < 0.05 ? null : Math.floor(next() * 2_000_001) - 1_000_000;
    case 2:
      return next() < 0.05 ? null : Math.round((next() - 0.5) * 2e8) / 1000;
    case 3:
      return next() < 0.05
        ? null
        : new Date((START_2000 + Math.floor(next() * 800_000_000)) * 1000)
            .toISOString()
            .slice(0, 19);
    case 4: {
      const roll = next();
      if (roll < 0.05) return null;
      if (roll < 0.1) return [pick(WORDS), Math.floor(next() * 100), null];
      return {
        row: index,
        tags: [pick(CATEGORIES), pick(WORDS)],
        note: `${pick(WORDS)}${pick(AWKWARD)}`,
        nested: { ok: next() < 0.5, score: Math.round(next() * 1e6) / 1000 },
      };
    }
    case 5:
      return pick(CATEGORIES);
    default: {
      const roll = next();
      return roll < 0.05 ? null : roll < 0.525;
    }
  }
}

function repeatedValue(type: string): unknown {
  if (next() < 0.05) return null;
  if (type === 'int') return Math.floor(next() * 2_000_001) - 1_000_000;
  if (type === 'numeric') return Math.round((next() - 0.5) * 2e9) / 1000;
  return next() < 0.2 ? `${pick(WORDS)}${pick(AWKWARD)}` : `${pick(WORDS)} ${pick(WORDS)}`;
}
