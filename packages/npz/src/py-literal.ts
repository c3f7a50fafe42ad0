/**
 * The small subset of Python literals an .npy header uses: a dict of strings, booleans,
 * integers, tuples and lists (`{'descr': [('lon', '<f8')], 'fortran_order': False, ...}`).
 * numpy reads headers with `ast.literal_eval`; this is the same grammar, minus everything a
 * header never holds (floats, sets, bytes, expressions).
 */

/** Tuples and lists both become arrays: no header field tells them apart by meaning. */
export type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

/** Thrown by {@link parsePyLiteral}; callers turn it into the error their context calls for. */
export class PyLiteralSyntaxError extends Error {}

// Headers nest three levels deep (dict > list > tuple); anything much deeper is an attack.
const MAX_DEPTH = 16;

export function parsePyLiteral(text: string): PyValue {
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.space();
  if (parser.position < text.length) parser.fail('unexpected text after the value');
  return value;
}

class Parser {
  position = 0;

  constructor(private readonly text: string) {}

  fail(what: string): never {
    throw new PyLiteralSyntaxError(`${what} at character ${this.position}`);
  }

  space(): void {
    while (this.position < this.text.length && ' \t\r\n'.includes(this.text[this.position]!)) {
      this.position++;
    }
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    this.space();
    const char = this.text[this.position];
    if (char === undefined) this.fail('unexpected end');
    if (char === '{') return this.dict(depth);
    if (char === '[') return this.sequence(depth, ']').items;
    if (char === '(') {
      // `(x)` is x itself; `()` and `(x,)` are tuples.
      const { items, trailingComma } = this.sequence(depth, ')');
      return items.length === 1 && !trailingComma ? items[0]! : items;
    }
    if (char === "'" || char === '"') return this.string();
    if (/[uU]/.test(char) && /['"]/.test(this.text[this.position + 1] ?? '')) {
      this.position++; // Python 2 headers may spell unicode strings u'...'
      return this.string();
    }
    if (/[-\d]/.test(char)) return this.integer();
    for (const [word, value] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (this.text.startsWith(word, this.position) && !/\w/.test(this.at(word.length))) {
        this.position += word.length;
        return value;
      }
    }
    this.fail(`unexpected ${JSON.stringify(char)}`);
  }

  private at(offset: number): string {
    return this.text[this.position + offset] ?? '';
  }

  private sequence(depth: number, close: string): { items: PyValue[]; trailingComma: boolean } {
    this.position++;
    const items: PyValue[] = [];
    let trailingComma = false;
    for (;;) {
      this.space();
      if (this.text[this.position] === close) {
        this.position++;
        return { items, trailingComma };
      }
      if (items.length > 0 && !trailingComma) this.fail(`expected "," or "${close}"`);
      items.push(this.value(depth + 1));
      this.space();
      trailingComma = this.text[this.position] === ',';
      if (trailingComma) this.position++;
    }
  }

  private dict(depth: number): Map<string, PyValue> {
    this.position++;
    const entries = new Map<string, PyValue>();
    let separated = true;
    for (;;) {
      this.space();
      if (this.text[this.position] === '}') {
        this.position++;
        return entries;
      }
      if (!separated) this.fail('expected "," or "}"');
      const key = this.value(depth + 1);
      if (typeof key !== 'string') this.fail('dict keys must be strings');
      this.space();
      if (this.text[this.position] !== ':') this.fail('expected ":"');
      this.position++;
      if (entries.has(key)) this.fail(`duplicate key ${pyString(key)}`);
      entries.set(key, this.value(depth + 1));
      this.space();
      separated = this.text[this.position] === ',';
      if (separated) this.position++;
    }
  }

  private integer(): number {
    const match = /^-?\d+L?/.exec(this.text.slice(this.position, this.position + 32));
    if (!match) this.fail('expected an integer');
    const digits = match[0].replace('L', ''); // Python 2 longs: (3L, 4L)
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) this.fail(`integer ${digits} is too large`);
    if (/[.eEjJ\w]/.test(this.at(match[0].length))) this.fail('only integers are expected');
    this.position += match[0].length;
    return value;
  }

  private string(): string {
    const quote = this.text[this.position]!;
    this.position++;
    let out = '';
    for (;;) {
      const char = this.text[this.position];
      if (char === undefined || char === '\n') this.fail('unterminated string');
      this.position++;
      if (char === quote) return out;
      if (char !== '\\') {
        out += char;
        continue;
      }
      const escape = this.text[this.position] ?? '';
      this.position++;
      const simple: Record<string, string> = {
        '\\': '\\',
        "'": "'",
        '"': '"',
        n: '\n',
        r: '\r',
        t: '\t',
        '0': '\0',
      };
      const hexLength = { x: 2, u: 4, U: 8 }[escape];
      if (hexLength !== undefined) {
        const hex = this.text.slice(this.position, this.position + hexLength);
        if (!/^[\da-fA-F]+$/.test(hex) || hex.length !== hexLength) this.fail('bad escape');
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) this.fail('bad escape');
        out += String.fromCodePoint(code);
        this.position += hexLength;
      } else if (escape in simple && !/\d/.test(this.at(0))) {
        out += simple[escape];
      } else {
        this.fail(`unsupported escape \\${escape}`);
      }
    }
  }
}

/**
 * A string as Python's repr() writes it, so headers read like numpy's own. What matters is
 * that literal_eval gives the string back: control characters and lone surrogates (which
 * neither latin-1 nor UTF-8 can carry) are escaped.
 */
export function pyString(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === quote) out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${hex(code, 2)}`;
    else if (code >= 0xd800 && code < 0xe000) out += `\\u${hex(code, 4)}`;
    else out += char;
  }
  return out + quote;
}

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0');
}
