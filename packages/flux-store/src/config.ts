import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '@geoworks/errors';
import { parseIsoDate } from './dates.js';

/** A loading configuration: the JSON file's keys, then the overrides, as settings. */
export type FluxConfig = Record<string, unknown>;

/** The configuration is unusable: every problem is listed at once. */
export class FluxConfigError extends InvalidInputError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], source: string) {
    super(
      `Invalid configuration (${source}):\n${problems.map((problem) => `  ${problem}`).join('\n')}`,
      {
        code: 'BAD_FLUX_CONFIG',
        details: { problems },
      },
    );
    this.problems = problems;
  }
}

// Overrides that stay text even when they look like literals (`timestamp=2004-06-30` is not
// arithmetic), as in the original's manage.py.
const TEXT_KEYS = new Set(['timestamp', 'title', 'var_name']);

/**
 * Parses `-o "k=v;k=v"` overrides: `timestamp`, `title` and `var_name` stay strings; other
 * values are read as Python literals (`steps=[10800]`, `grid={'units':'degrees','x':1,'y':1}`,
 * `precision=2`, `True`), and a value that is not a literal stays a string.
 */
export function parseOverrides(text: string): FluxConfig {
  const settings: FluxConfig = {};
  for (const part of splitTopLevel(text, ';')) {
    if (part.trim() === '') continue;
    const equals = part.indexOf('=');
    if (equals <= 0) {
      throw new FluxConfigError([`override "${part.trim()}" is not key=value`], '-o');
    }
    const key = part.slice(0, equals).trim();
    const raw = part.slice(equals + 1).trim();
    if (TEXT_KEYS.has(key)) {
      settings[key] = unquote(raw);
      continue;
    }
    try {
      settings[key] = parsePythonLiteral(raw);
    } catch {
      settings[key] = raw;
    }
  }
  return settings;
}

/**
 * The configuration of a data file: `configFile` when given, else `<file without extension>.json`
 * beside it when that exists, else nothing; then `overrides` on top. `gridres` (the old name)
 * becomes `grid`. Known keys are checked; every problem is reported at once.
 */
export async function loadFluxConfig(
  dataPath: string,
  options: { configFile?: string; overrides?: string | FluxConfig } = {},
): Promise<{ config: FluxConfig; configFile: string | undefined }> {
  const besideData = dataPath.replace(/\.[^./]+$/, '') + '.json';
  const configFile = options.configFile ?? (existsSync(besideData) ? besideData : undefined);
  let fromFile: FluxConfig = {};
  if (configFile !== undefined) {
    let text: string;
    try {
      text = await readFile(configFile, 'utf8');
    } catch (error) {
      throw new FluxConfigError(
        [
          `cannot read ${configFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        ],
        configFile,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new FluxConfigError([`not JSON: ${(error as Error).message}`], configFile);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new FluxConfigError(['must hold a JSON object'], configFile);
    }
    fromFile = parsed as FluxConfig;
  }
  const overrides =
    typeof options.overrides === 'string'
      ? parseOverrides(options.overrides)
      : (options.overrides ?? {});
  const config = normalise({ ...normalise(fromFile), ...normalise(overrides) });
  const problems = checkConfig(config);
  if (problems.length > 0) throw new FluxConfigError(problems, configFile ?? 'overrides');
  return { config, configFile };
}

function normalise(config: FluxConfig): FluxConfig {
  const copy = { ...config };
  if ('gridres' in copy) {
    if (!('grid' in copy)) copy.grid = copy.gridres;
    delete copy.gridres;
  }
  // The README's singular names.
  if ('step' in copy && !('steps' in copy)) {
    copy.steps = Array.isArray(copy.step) ? copy.step : [copy.step];
    delete copy.step;
  }
  return copy;
}

const isStringList = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
const isPositiveNumberList = (value: unknown) =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((item) => typeof item === 'number' && Number.isFinite(item) && item > 0);

/** Problems with the known keys; unknown keys are kept as they are. */
export function checkConfig(config: FluxConfig): string[] {
  const problems: string[] = [];
  const check = (key: string, ok: (value: unknown) => boolean, expected: string) => {
    if (key in config && config[key] !== undefined && !ok(config[key])) {
      problems.push(`${key}: expected ${expected}, got ${JSON.stringify(config[key])}`);
    }
  };
  check('columns', isStringList, 'a list of column names such as ["x", "y"]');
  check('header', isStringList, 'a list of strings');
  check(
    'parameters',
    (value) => isStringList(value) && (value as string[]).length > 0,
    'a non-empty list of names',
  );
  check('steps', isPositiveNumberList, 'a list of positive numbers of seconds, e.g. [10800]');
  check('spans', isPositiveNumberList, 'a list of positive numbers of seconds, e.g. [518400]');
  check('title', (value) => typeof value === 'string', 'a string');
  check('var_name', (value) => typeof value === 'string' && value !== '', 'a variable name');
  check('regex', (value) => typeof value === 'string', 'a regular expression');
  check(
    'precision',
    (value) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 12,
    'a whole number from 0 to 12',
  );
  check(
    'units',
    (value) =>
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.values(value).every((unit) => typeof unit === 'string'),
    'an object of unit names, e.g. {"values": "ppm"}',
  );
  check(
    'grid',
    (value) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
      const grid = value as Record<string, unknown>;
      return ['x', 'y'].every(
        (axis) =>
          grid[axis] === undefined ||
          (typeof grid[axis] === 'number' && (grid[axis] as number) > 0),
      );
    },
    'an object such as {"units": "degrees", "x": 1, "y": 1}',
  );
  check(
    'timestamp',
    (value) => typeof value === 'string' && parseIsoDate(value) !== undefined,
    'an ISO 8601 date and time such as 2004-06-30T00:00:00',
  );
  return problems;
}

function unquote(text: string): string {
  const match = /^(['"])(.*)\1$/s.exec(text);
  return match === null ? text : match[2]!;
}

/** Splits on `separator` outside brackets and quotes. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote !== undefined) {
      if (char === '\\') index++;
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if ('[{('.includes(char)) depth++;
    else if (']})'.includes(char)) depth--;
    else if (char === separator && depth === 0) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * A Python literal as `ast.literal_eval` reads the common cases: numbers, strings in single or
 * double quotes, True/False/None, lists, tuples (as lists) and dicts.
 */
export function parsePythonLiteral(text: string): unknown {
  let index = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${index} of ${JSON.stringify(text)}`);
  };
  const skip = () => {
    while (index < text.length && /\s/.test(text[index]!)) index++;
  };
  const value = (): unknown => {
    skip();
    const char = text[index];
    if (char === undefined) return fail('value expected');
    if (char === '[' || char === '(') return sequence(char === '[' ? ']' : ')');
    if (char === '{') return dict();
    if (char === '"' || char === "'") return string(char);
    const word = /^(True|False|None)\b/.exec(text.slice(index));
    if (word !== null) {
      index += word[1]!.length;
      return word[1] === 'True' ? true : word[1] === 'False' ? false : null;
    }
    const number = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(index));
    if (number !== null) {
      index += number[0].length;
      return Number(number[0]);
    }
    return fail('unexpected character');
  };
  const sequence = (close: string): unknown[] => {
    index++;
    const items: unknown[] = [];
    skip();
    while (text[index] !== close) {
      items.push(value());
      skip();
      if (text[index] === ',') index++;
      else if (text[index] !== close) fail(`"," or "${close}" expected`);
      skip();
    }
    index++;
    return items;
  };
  const dict = (): Record<string, unknown> => {
    index++;
    const entries: Record<string, unknown> = {};
    skip();
    while (text[index] !== '}') {
      const key = value();
      if (typeof key !== 'string' && typeof key !== 'number')
        fail('dict key must be a string or number');
      skip();
      if (text[index] !== ':') fail('":" expected');
      index++;
      entries[String(key)] = value();
      skip();
      if (text[index] === ',') index++;
      else if (text[index] !== '}') fail('"," or "}" expected');
      skip();
    }
    index++;
    return entries;
  };
  const string = (quote: string): string => {
    index++;
    let result = '';
    while (index < text.length && text[index] !== quote) {
      if (text[index] === '\\') {
        const next = text[index + 1];
        result += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '');
        index += 2;
      } else result += text[index++];
    }
    if (text[index] !== quote) fail('unterminated string');
    index++;
    return result;
  };
  const result = value();
  skip();
  if (index !== text.length) fail('trailing characters');
  return result;
}
