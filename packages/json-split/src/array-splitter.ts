import { InvalidInputError } from '@geoworks/errors';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Where the scan is relative to the array being split out. */
const enum Phase {
  Before,
  Inside,
  After,
}

/** What went wrong, for callers that word it their own way. */
export type JsonSplitProblem = 'scalar-element' | 'not-json' | 'skeleton-too-large';
// (For 'not-json' the error's `cause` is the SyntaxError saying why.)

/** A document the splitter cannot take: see `problem`. */
export class JsonSplitError extends InvalidInputError {
  readonly problem: JsonSplitProblem;

  constructor(problem: JsonSplitProblem, message: string, options: { cause?: unknown } = {}) {
    super(message, { code: `JSON_SPLIT_${problem.toUpperCase().replace(/-/g, '_')}`, ...options });
    this.problem = problem;
  }
}

export interface JsonArraySplitterOptions {
  /**
   * Member names from the top-level object down to the array, e.g. `['result', 'records']`
   * for a CKAN `datastore_search` answer or `['features']` for a GeoJSON FeatureCollection.
   */
  path: readonly string[];
  /** Most bytes kept for the rest of the document; beyond, a `JsonSplitError`. Default none. */
  maxSkeletonBytes?: number;
}

export interface SplitEnd {
  /** The document without the array's elements (the array left empty), parsed; undefined when
   * that is not a complete JSON object (not JSON at all, or cut short). */
  document: Record<string, unknown> | undefined;
  /** Its text. */
  text: string;
}

/**
 * Splits a JSON document, as its bytes arrive, into the elements of the array at `path`
 * (parsed one chunk's worth at a time) and the rest of the document (the "skeleton"). A large
 * answer or file thus never sits in memory as one string or one tree: memory follows the chunk
 * size, and parsed elements die young.
 *
 * It is a byte scanner, not a validating parser: it follows strings, escapes and nesting just
 * well enough to find where each element starts and ends, and `JSON.parse` then checks every
 * run of elements (and the skeleton) for real. Structural bytes are ASCII, so the UTF-8 inside
 * strings needs no decoding here, and strings are skipped with `indexOf`. Elements must be
 * objects or arrays.
 */
export class JsonArraySplitter {
  readonly #path: readonly string[];
  readonly #maxSkeletonBytes: number;
  readonly #skeleton: Buffer[] = [];
  #skeletonBytes = 0;
  /** The start of an element not complete at the end of the previous chunk (already scanned). */
  #tail: Buffer | undefined;
  /** Open containers, OPEN_OBJECT or OPEN_ARRAY per level. */
  readonly #stack: number[] = [];
  /** The key of the member being read in the open object at each depth up to the path's. */
  readonly #keys: (string | undefined)[] = [];
  #inString = false;
  /** Backslashes ending the previous chunk while inside a string (an escape may span chunks). */
  #carriedBackslashes = 0;
  /** Index of a key's first byte while a key on the path's levels is scanned; -1 otherwise. */
  #keyStart = -1;
  #keyPrefix = '';
  #expectKey = false;
  #phase = Phase.Before;
  /** Directly inside the array: what may come next (elements and commas must alternate). */
  #between: 'first' | 'after-comma' | 'after-element' = 'first';
  #elements = 0;

  constructor(options: JsonArraySplitterOptions) {
    if (options.path.length === 0) throw new InvalidInputError('The path must name a member');
    this.#path = [...options.path];
    this.#maxSkeletonBytes = options.maxSkeletonBytes ?? Infinity;
  }

  /** Elements parsed so far. */
  get count(): number {
    return this.#elements;
  }

  /** Takes the next chunk; returns the elements it completed, in order. */
  push(chunk: Buffer): unknown[] {
    const tailLength = this.#tail?.length ?? 0;
    const buffer = this.#tail === undefined ? chunk : Buffer.concat([this.#tail, chunk]);
    this.#tail = undefined;
    const scanStart = tailLength;
    let index = scanStart;
    let skeletonFrom = this.#phase === Phase.Inside ? -1 : scanStart;
    let elementStart = tailLength > 0 ? 0 : -1;
    let runFrom = -1;
    let runTo = -1;
    const keyDepth = this.#path.length;
    const arrayDepth = keyDepth + 1;
    const stack = this.#stack;
    const length = buffer.length;
    while (index < length) {
      if (this.#inString) {
        const quote = buffer.indexOf(QUOTE, index);
        if (quote < 0) {
          let run = 0;
          for (let back = length - 1; back >= scanStart && buffer[back] === BACKSLASH; back--)
            run++;
          this.#carriedBackslashes =
            run === length - scanStart ? this.#carriedBackslashes + run : run;
          index = length;
          break;
        }
        let slashes = 0;
        let back = quote - 1;
        for (; back >= scanStart && buffer[back] === BACKSLASH; back--) slashes++;
        if (back < scanStart) slashes += this.#carriedBackslashes;
        this.#carriedBackslashes = 0;
        index = quote + 1;
        if (slashes % 2 === 1) continue;
        this.#inString = false;
        if (this.#keyStart >= 0) {
          this.#keys[stack.length] =
            this.#keyPrefix + buffer.toString('utf8', this.#keyStart, quote);
          this.#keyStart = -1;
          this.#keyPrefix = '';
        }
        continue;
      }
      if (this.#phase === Phase.Inside && stack.length > arrayDepth) {
        // Inside an element only the nesting depth matters: a tight loop to its next string,
        // its closing byte or the chunk's end.
        index = skipInside(buffer, index, stack, arrayDepth);
        if (index >= length) break;
      }
      const byte = buffer[index]!;
      if (byte === QUOTE) {
        this.#inString = true;
        this.#carriedBackslashes = 0;
        if (this.#expectKey && stack.length <= keyDepth) this.#keyStart = index + 1;
        this.#expectKey = false;
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        if (this.#phase === Phase.Inside && stack.length === arrayDepth && elementStart < 0) {
          if (this.#between === 'after-element') throw this.#syntax('a comma is missing', index);
          elementStart = index;
        }
        stack.push(byte);
        this.#expectKey = byte === OPEN_OBJECT;
        if (
          byte === OPEN_ARRAY &&
          this.#phase === Phase.Before &&
          stack.length === arrayDepth &&
          this.#onPath()
        ) {
          this.#phase = Phase.Inside;
          this.#between = 'first';
          this.#keep(buffer, skeletonFrom, index + 1);
          skeletonFrom = -1;
        }
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        stack.pop();
        this.#expectKey = false;
        if (this.#phase === Phase.Inside) {
          if (stack.length === arrayDepth && elementStart >= 0) {
            if (runFrom < 0) runFrom = elementStart;
            runTo = index + 1;
            elementStart = -1;
            this.#between = 'after-element';
          } else if (stack.length === arrayDepth - 1) {
            if (this.#between === 'after-comma')
              throw this.#syntax('a comma ends the array', index);
            this.#phase = Phase.After;
            skeletonFrom = index;
          }
        }
      } else if (byte === COMMA) {
        this.#expectKey = stack[stack.length - 1] === OPEN_OBJECT;
        if (this.#phase === Phase.Inside && stack.length === arrayDepth) {
          if (this.#between !== 'after-element') throw this.#syntax('an element is missing', index);
          this.#between = 'after-comma';
        }
      } else if (byte === COLON) {
        this.#expectKey = false;
      } else if (
        this.#phase === Phase.Inside &&
        stack.length === arrayDepth &&
        elementStart < 0 &&
        byte > 0x20
      ) {
        throw new JsonSplitError(
          'scalar-element',
          `an element of ${this.#path.join('.')} is not an object or an array`,
        );
      }
      index++;
    }
    if (this.#inString && this.#keyStart >= 0) {
      // A key cut by the chunk's end (keys sit on the path's levels, never in an element's
      // tail, so the next buffer starts with the rest of it).
      this.#keyPrefix += buffer.toString('utf8', this.#keyStart, length);
      this.#keyStart = 0;
    }
    if (this.#phase !== Phase.Inside) this.#keep(buffer, skeletonFrom, length);
    if (elementStart >= 0) this.#tail = buffer.subarray(elementStart);
    if (runFrom < 0) return [];
    let parsed: unknown[];
    try {
      parsed = JSON.parse(`[${buffer.toString('utf8', runFrom, runTo)}]`) as unknown[];
    } catch (error) {
      throw this.#notJson(error as Error);
    }
    this.#elements += parsed.length;
    return parsed;
  }

  /** After the last chunk: the document without the elements, parsed, and its text. */
  end(): SplitEnd {
    const text = Buffer.concat(this.#skeleton, this.#skeletonBytes).toString('utf8');
    if (this.#inString || this.#stack.length > 0 || this.#phase === Phase.Inside) {
      return { document: undefined, text };
    }
    try {
      const document = JSON.parse(text) as unknown;
      return {
        document:
          document !== null && typeof document === 'object' && !Array.isArray(document)
            ? (document as Record<string, unknown>)
            : undefined,
        text,
      };
    } catch {
      return { document: undefined, text };
    }
  }

  /** A structural error between the elements, at `index` of the current buffer. */
  #syntax(problem: string, index: number): JsonSplitError {
    return this.#notJson(
      new SyntaxError(`${problem} between the elements (byte ${index} of a chunk)`),
    );
  }

  /** The elements are not JSON; `cause` (a SyntaxError) says why. */
  #notJson(cause: Error): JsonSplitError {
    return new JsonSplitError(
      'not-json',
      `elements of ${this.#path.join('.')} are not JSON: ${cause.message}`,
      { cause },
    );
  }

  /** Whether the array just opened sits at the path: objects all the way, with its names. */
  #onPath(): boolean {
    for (let level = 0; level < this.#path.length; level++) {
      if (this.#stack[level] !== OPEN_OBJECT || this.#keys[level + 1] !== this.#path[level])
        return false;
    }
    return true;
  }

  #keep(buffer: Buffer, from: number, to: number): void {
    if (from < 0 || to <= from) return;
    this.#skeletonBytes += to - from;
    if (this.#skeletonBytes > this.#maxSkeletonBytes) {
      throw new JsonSplitError(
        'skeleton-too-large',
        `the document holds more than ${this.#maxSkeletonBytes} bytes besides ${this.#path.join('.')}`,
      );
    }
    this.#skeleton.push(Buffer.from(buffer.subarray(from, to)));
  }
}

/**
 * From `index` inside an element, the index of its next quote or of its closing byte, or the
 * buffer's length; `stack` is brought to the depth reached (the kinds of the containers inside
 * an element do not matter to the scan).
 */
function skipInside(buffer: Buffer, index: number, stack: number[], arrayDepth: number): number {
  let depth = stack.length - arrayDepth;
  const length = buffer.length;
  let i = index;
  for (; i < length; i++) {
    const byte = buffer[i]!;
    if (byte === QUOTE) break;
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
    else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (depth === 1) break;
      depth--;
    }
  }
  while (stack.length < arrayDepth + depth) stack.push(OPEN_ARRAY);
  stack.length = arrayDepth + depth;
  return i;
}
