import { CkanError } from './errors.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Where the scan is relative to `result.records`. */
const enum Phase {
  Before,
  Inside,
  After,
}

/**
 * Splits a `datastore_search` answer, as its bytes arrive, into the records of
 * `result.records` (parsed one chunk's worth at a time) and the rest of the document (the
 * "skeleton": `success`, `total`, `next_cursor`, `after`, ...). A page of 5,000 records thus
 * never sits in memory as one string or one array: memory follows the chunk size.
 *
 * It is a byte scanner, not a validating parser: it follows strings, escapes and nesting
 * just well enough to find where each record starts and ends, and `JSON.parse` then checks
 * every record (and the skeleton) for real. Structural bytes are ASCII, so the UTF-8 inside
 * strings needs no decoding here, and strings are skipped with `indexOf`.
 */
export class RecordSplitter {
  private readonly skeleton: Buffer[] = [];
  private skeletonBytes = 0;
  /** The start of a record not complete at the end of the previous chunk (already scanned). */
  private tail: Buffer | undefined;
  /** Open containers, OPEN_OBJECT or OPEN_ARRAY per level. */
  private readonly stack: number[] = [];
  /** The key of the member being read in the open object at depth 1 and 2. */
  private readonly keys: (string | undefined)[] = [];
  private inString = false;
  /** Backslashes ending the previous chunk while inside a string (an escape may span chunks). */
  private carriedBackslashes = 0;
  /** Index of a key's first byte while a depth <= 2 key is scanned; -1 otherwise. */
  private keyStart = -1;
  private keyPrefix = '';
  private expectKey = false;
  private phase = Phase.Before;
  private records = 0;

  constructor(private readonly maxSkeletonBytes: number) {}

  /** Records parsed so far. */
  get count(): number {
    return this.records;
  }

  /** Takes the next chunk; returns the records it completed, in order. */
  push(chunk: Buffer): unknown[] {
    const tailLength = this.tail?.length ?? 0;
    const buffer = this.tail === undefined ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = undefined;
    const scanStart = tailLength;
    let index = scanStart;
    let skeletonFrom = this.phase === Phase.Inside ? -1 : scanStart;
    let recordStart = tailLength > 0 ? 0 : -1;
    let runFrom = -1;
    let runTo = -1;
    const recordsDepth = 3;
    const length = buffer.length;
    while (index < length) {
      if (this.inString) {
        const quote = buffer.indexOf(QUOTE, index);
        if (quote < 0) {
          let run = 0;
          for (let back = length - 1; back >= scanStart && buffer[back] === BACKSLASH; back--)
            run++;
          this.carriedBackslashes =
            run === length - scanStart ? this.carriedBackslashes + run : run;
          index = length;
          break;
        }
        let slashes = 0;
        let back = quote - 1;
        for (; back >= scanStart && buffer[back] === BACKSLASH; back--) slashes++;
        if (back < scanStart) slashes += this.carriedBackslashes;
        this.carriedBackslashes = 0;
        index = quote + 1;
        if (slashes % 2 === 1) continue;
        this.inString = false;
        if (this.keyStart >= 0) {
          this.keys[this.stack.length] =
            this.keyPrefix + buffer.toString('utf8', this.keyStart, quote);
          this.keyStart = -1;
          this.keyPrefix = '';
        }
        continue;
      }
      const byte = buffer[index]!;
      if (byte === QUOTE) {
        this.inString = true;
        this.carriedBackslashes = 0;
        if (this.expectKey && this.stack.length <= 2) this.keyStart = index + 1;
        this.expectKey = false;
      } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        if (this.phase === Phase.Inside && this.stack.length === recordsDepth && recordStart < 0) {
          recordStart = index;
        }
        this.stack.push(byte);
        this.expectKey = byte === OPEN_OBJECT;
        if (
          byte === OPEN_ARRAY &&
          this.phase === Phase.Before &&
          this.stack.length === recordsDepth &&
          this.keys[1] === 'result' &&
          this.keys[2] === 'records'
        ) {
          this.phase = Phase.Inside;
          this.keep(buffer, skeletonFrom, index + 1);
          skeletonFrom = -1;
        }
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        this.stack.pop();
        this.expectKey = false;
        if (this.phase === Phase.Inside) {
          if (this.stack.length === recordsDepth && recordStart >= 0) {
            if (runFrom < 0) runFrom = recordStart;
            runTo = index + 1;
            recordStart = -1;
          } else if (this.stack.length === recordsDepth - 1) {
            this.phase = Phase.After;
            skeletonFrom = index;
          }
        }
      } else if (byte === COMMA) {
        this.expectKey = this.stack[this.stack.length - 1] === OPEN_OBJECT;
      } else if (byte === COLON) {
        this.expectKey = false;
      } else if (
        this.phase === Phase.Inside &&
        this.stack.length === recordsDepth &&
        recordStart < 0 &&
        byte > 0x20
      ) {
        throw new CkanError('CKAN answered a record that is not an object', { transient: false });
      }
      index++;
    }
    if (this.inString && this.keyStart >= 0) {
      // A key cut by the chunk's end (keys sit at depth <= 2, never in a record's tail, so
      // the next buffer starts with the rest of it).
      this.keyPrefix += buffer.toString('utf8', this.keyStart, length);
      this.keyStart = 0;
    }
    if (this.phase !== Phase.Inside) this.keep(buffer, skeletonFrom, length);
    if (recordStart >= 0) this.tail = buffer.subarray(recordStart);
    if (runFrom < 0) return [];
    let parsed: unknown[];
    try {
      parsed = JSON.parse(`[${buffer.toString('utf8', runFrom, runTo)}]`) as unknown[];
    } catch (error) {
      throw new CkanError(`CKAN answered records that are not JSON: ${(error as Error).message}`, {
        transient: false,
      });
    }
    this.records += parsed.length;
    return parsed;
  }

  /** After the last chunk: the document without its records, parsed; undefined if not JSON. */
  end(): { document: Record<string, unknown> | undefined; text: string } {
    const text = Buffer.concat(this.skeleton, this.skeletonBytes).toString('utf8');
    if (this.inString || this.stack.length > 0 || this.phase === Phase.Inside) {
      return { document: undefined, text };
    }
    try {
      const document = JSON.parse(text) as unknown;
      return {
        document:
          document !== null && typeof document === 'object'
            ? (document as Record<string, unknown>)
            : undefined,
        text,
      };
    } catch {
      return { document: undefined, text };
    }
  }

  private keep(buffer: Buffer, from: number, to: number): void {
    if (from < 0 || to <= from) return;
    this.skeletonBytes += to - from;
    if (this.skeletonBytes > this.maxSkeletonBytes) {
      throw new CkanError(
        `CKAN's answer holds more than ${this.maxSkeletonBytes} bytes besides its records`,
        { transient: false },
      );
    }
    this.skeleton.push(Buffer.from(buffer.subarray(from, to)));
  }
}
