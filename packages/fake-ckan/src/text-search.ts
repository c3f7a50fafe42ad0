import type Database from 'better-sqlite3';

/**
 * CKAN's `q` runs PostgreSQL full-text search (stemming, stop words, ts_rank). This is a
 * smaller, predictable stand-in:
 *
 * - `plain` (the default): the query's words (letters, digits, `_`) must all occur in the
 *   searched text, as case-insensitive substrings (so `bird` also finds `birds`).
 * - `plain: false`: PostgreSQL's tsquery operators `&`, `|`, `!`, `<->` (read as `&`),
 *   parentheses and `:*`; a malformed query is an `Invalid query` error, as in CKAN.
 * - `rank` is n / (n + 1), n being the number of occurrences found: like ts_rank with
 *   normalisation 32 (what CKAN asks for), it grows with the matches and stays below 1.
 */
export const RANK_FUNCTION = 'fake_ckan_rank';

type Node =
  { op: 'word'; word: string } | { op: 'and' | 'or'; items: Node[] } | { op: 'not'; item: Node };

export class TextQueryError extends Error {}

const WORD = /[\p{L}\p{N}_]+/gu;

/** Parses a query; throws TextQueryError for malformed tsquery syntax. */
export function compileTextQuery(query: string, plain: boolean): Node | null {
  if (plain) {
    const words = query.toLowerCase().match(WORD) ?? [];
    // plainto_tsquery of a query without words matches nothing.
    if (words.length === 0) return null;
    return { op: 'and', items: words.map((word) => ({ op: 'word', word })) };
  }
  const tokens = query.toLowerCase().match(/<->|<\d+>|[&|!()]|[\p{L}\p{N}_]+(?::\*)?|\S/gu) ?? [];
  let position = 0;
  const peek = () => tokens[position];
  const fail = (): never => {
    throw new TextQueryError(`syntax error in tsquery: "${query}"`);
  };
  const parseOr = (): Node => {
    const items = [parseAnd()];
    while (peek() === '|') {
      position++;
      items.push(parseAnd());
    }
    return items.length === 1 ? items[0]! : { op: 'or', items };
  };
  const parseAnd = (): Node => {
    const items = [parseFactor()];
    while (peek() === '&' || /^<(->|\d+>)$/.test(peek() ?? '')) {
      position++;
      items.push(parseFactor());
    }
    return items.length === 1 ? items[0]! : { op: 'and', items };
  };
  const parseFactor = (): Node => {
    const token = tokens[position++];
    if (token === '!') return { op: 'not', item: parseFactor() };
    if (token === '(') {
      const inner = parseOr();
      if (tokens[position++] !== ')') fail();
      return inner;
    }
    if (token === undefined || !/^[\p{L}\p{N}_]/u.test(token)) fail();
    return { op: 'word', word: token!.replace(/:\*$/, '') };
  };
  if (tokens.length === 0) return null;
  const node = parseOr();
  if (position !== tokens.length) fail();
  return node;
}

/** Occurrences of the query in `text` (already lower-case); 0 when it does not match. */
function evaluate(node: Node, text: string): number {
  switch (node.op) {
    case 'word': {
      let count = 0;
      for (let at = text.indexOf(node.word); at !== -1; at = text.indexOf(node.word, at + 1))
        count++;
      return count;
    }
    case 'and': {
      let total = 0;
      for (const item of node.items) {
        const count = evaluate(item, text);
        if (count === 0) return 0;
        total += count;
      }
      return total;
    }
    case 'or':
      return node.items.reduce((total, item) => total + evaluate(item, text), 0);
    case 'not':
      return evaluate(node.item, text) === 0 ? 1 : 0;
  }
}

const compiled = new Map<string, Node | null>();

function cachedQuery(query: string, plain: boolean): Node | null {
  const key = `${plain ? 1 : 0}${query}`;
  let node = compiled.get(key);
  if (node === undefined) {
    if (compiled.size > 1000) compiled.clear();
    node = compileTextQuery(query, plain);
    compiled.set(key, node);
  }
  return node;
}

/** `fake_ckan_rank(query, plain, value…)`: the rank of the values' text, 0 if no match. */
export function registerTextSearch(db: Database.Database): void {
  db.function(
    RANK_FUNCTION,
    { varargs: true, deterministic: true },
    (query: unknown, plain: unknown, ...values: unknown[]) => {
      const node = cachedQuery(String(query), plain === 1);
      if (node === null) return 0;
      const text = values
        .filter((value) => value !== null)
        .join(' ')
        .toLowerCase();
      const count = evaluate(node, text);
      return count / (count + 1);
    },
  );
}
