import { AbortedError } from '@geoworks/errors';
import { JsonArraySplitter, JsonSplitError } from '@geoworks/json-split';
import { readText } from '@geoworks/http-client';
import { CkanError } from './errors.js';
import { backOff, requestSameHost, type AllowedHosts } from './http.js';
import { ReadAhead } from './read-ahead.js';

/** A datastore column, as `datastore_search` lists it in `result.fields`. */
export interface CkanField {
  id: string;
  type?: string;
}

/** What to read from a CKAN datastore; the parameters are forwarded to `datastore_search`. */
export interface DatastoreQuery {
  /** The `datastore_search` action URL, e.g. `https://ckan.example.org/api/3/action/datastore_search`. */
  apiUrl: string;
  resourceId: string;
  /** `{field: value}`; a list means any of its values. */
  filters?: Record<string, unknown>;
  /** Full-text query: a string, or `{field: text}`. */
  q?: string | Record<string, unknown>;
  plain?: boolean;
  language?: string;
  /** Comma-separated field ids to return. */
  fields?: string;
  /** `"f1, f2 desc"`. */
  sort?: string;
  /** First record (default 0). Ignored by the cursor-paged backends, as in the original. */
  offset?: number;
  /** Records wanted in total (default: all). */
  limit?: number;
  /** The user's CKAN API key, sent as the raw `Authorization` header. */
  key?: string;
}

export interface DatastoreReadOptions {
  /** Records per `datastore_search` call (`PAGE_SIZE`). Default 5000. */
  pageSize?: number;
  /** Longest wait for CKAN to answer a call, or to send more of its answer. Default 60 s. */
  timeoutMs?: number;
  /** Further attempts after a transient failure (network error, HTTP 5xx or 429). Default 3. */
  retries?: number;
  /** First retry delay, doubled each time. Default 500 ms. */
  retryBackoffMs?: number;
  /**
   * Bytes of an answer read ahead of the writer, per open answer (the current page and the
   * next one). Default 8 MiB.
   */
  readAheadBytes?: number;
  /** Largest part of one answer besides its records (errors, links, totals). Default 16 MiB. */
  maxMetadataBytes?: number;
  allowedHosts?: AllowedHosts;
  /** Let hosts the allow-list does not name reach internal addresses (development). Default false. */
  allowPrivateAddresses?: boolean;
  signal?: AbortSignal;
  /** Told about each retry (for the job log). */
  onRetry?(error: CkanError, attempt: number, delayMs: number): void;
}

/** An open datastore read: its columns and an iterator of batches of records. */
export interface DatastoreReader {
  /** Columns in CKAN's order, `_id` included. */
  readonly fields: readonly CkanField[];
  /** `result._backend` of the first answer (`solr`, `versioned-datastore`) if CKAN gave one. */
  readonly backend: string | undefined;
  /** Records the read will return at most, when CKAN reported a total. */
  readonly expectedRecords: number | undefined;
  /**
   * Records (objects keyed by field id) in batches, as they arrive: each CKAN page is parsed
   * while it streams in, so memory follows the network chunk size, not the page size.
   */
  pages(): AsyncGenerator<Record<string, unknown>[], void, undefined>;
  /** The records one by one, from `pages()`. */
  records(): AsyncGenerator<Record<string, unknown>, void, undefined>;
}

interface SearchResult {
  fields?: unknown;
  total?: unknown;
  _backend?: unknown;
  next_cursor?: unknown;
  after?: unknown;
}

/** Bytes parsed at once: a few thousand records, fewer `JSON.parse` calls than chunks. */
const PARSE_BATCH_BYTES = 262144;

interface Settings {
  pageSize: number;
  readAheadBytes: number;
  timeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  maxMetadataBytes: number;
  allowedHosts: AllowedHosts;
  allowPrivateAddresses: boolean;
}

/**
 * Opens a streamed read of a CKAN datastore resource as ckanpackager did: a first call with
 * `limit: 0` for the fields, then pages of `min(pageSize, remaining)` records, paged by
 * offset, or by `cursor` (backend `solr`) or `after` (backend `versioned-datastore`), until a
 * page comes back empty or the requested count is reached. With offset paging the next page
 * is requested as soon as the current one starts to arrive, so CKAN works on it meanwhile.
 */
export async function openDatastore(
  query: DatastoreQuery,
  options: DatastoreReadOptions = {},
): Promise<DatastoreReader> {
  const settings: Settings = {
    pageSize: options.pageSize ?? 5000,
    readAheadBytes: options.readAheadBytes ?? 4 * 1024 * 1024,
    timeoutMs: options.timeoutMs ?? 60_000,
    retries: options.retries ?? 3,
    retryBackoffMs: options.retryBackoffMs ?? 500,
    maxMetadataBytes: options.maxMetadataBytes ?? 16 * 1024 * 1024,
    allowedHosts: options.allowedHosts,
    allowPrivateAddresses: options.allowPrivateAddresses ?? false,
  };
  if (!(Number.isInteger(settings.pageSize) && settings.pageSize >= 1)) {
    throw new RangeError('pageSize must be an integer >= 1');
  }
  const url = new URL(query.apiUrl);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
  };
  if (query.key !== undefined && query.key !== '') headers.authorization = query.key;
  const base = searchParameters(query);
  const call = new SearchCall(url, headers, settings);

  const first = await call.run({ ...base, offset: 0, limit: 0 }, options);
  const fields = parseFields(first.fields);
  const backend = typeof first._backend === 'string' ? first._backend : undefined;
  const startOffset = query.offset ?? 0;
  const wanted = query.limit ?? Number.POSITIVE_INFINITY;
  const total =
    typeof first.total === 'number' && Number.isFinite(first.total) ? first.total : undefined;
  const expectedRecords =
    total === undefined
      ? Number.isFinite(wanted)
        ? wanted
        : undefined
      : Math.min(wanted, Math.max(0, backend === undefined ? total - startOffset : total));
  const ids = fields.map((field) => field.id);

  async function* pages(): AsyncGenerator<Record<string, unknown>[], void, undefined> {
    let offset = startOffset;
    let remaining = wanted;
    let cursor: unknown = '*';
    let after: unknown = undefined;
    const bodyFor = (pageOffset: number, limit: number): Record<string, unknown> => {
      const body: Record<string, unknown> = { ...base, limit };
      if (backend === 'solr') body.cursor = cursor;
      else if (backend === 'versioned-datastore') {
        if (after !== undefined && after !== null) body.after = after;
      } else body.offset = pageOffset;
      return body;
    };
    let prefetched: OpenedCall | undefined;
    try {
      while (remaining > 0) {
        const limit = Math.min(settings.pageSize, remaining);
        const body = bodyFor(offset, limit);
        const opened =
          prefetched !== undefined && prefetched.matches(body) ? prefetched : undefined;
        if (opened === undefined) prefetched?.cancel();
        prefetched = undefined;
        let got = 0;
        // Offset paging: ask for the next page now; its answer waits in the socket meanwhile.
        const prefetch = () => {
          const nextLimit = Math.min(settings.pageSize, remaining - limit);
          // Not past the reported total: that request would only find an empty page.
          const pastTotal = total !== undefined && offset + limit >= total;
          if (backend === undefined && nextLimit > 0 && !pastTotal) {
            prefetched = call.open(bodyFor(offset + limit, nextLimit), options.signal);
          }
        };
        const page = call.streamPage(body, options, opened, prefetch);
        let step = await page.next();
        while (step.done !== true) {
          const batch = step.value.map((record) => toRecord(record, ids));
          got += batch.length;
          yield batch;
          step = await page.next();
        }
        const answer = step.value;
        if (got === 0) return;
        remaining -= got;
        // As ckanpackager: the next page starts `limit` further (PAGE_SIZE must not exceed
        // CKAN's rows_max, or CKAN would cut pages short and rows would be skipped).
        offset += limit;
        if (backend === 'solr') {
          if (
            answer.next_cursor === undefined ||
            answer.next_cursor === null ||
            answer.next_cursor === cursor
          )
            return;
          cursor = answer.next_cursor;
        } else if (backend === 'versioned-datastore') {
          if (answer.after === undefined || answer.after === null) return;
          after = answer.after;
        }
      }
    } finally {
      prefetched?.cancel();
    }
  }

  async function* records(): AsyncGenerator<Record<string, unknown>, void, undefined> {
    for await (const page of pages()) yield* page;
  }

  return { fields, backend, expectedRecords, pages, records };
}

/** A request sent (perhaps ahead of time) whose answer has not been read yet. */
interface OpenedCall {
  /** The answer, its body already being read ahead when it is a success. */
  response: Promise<{ response: Response; body: ReadAhead | undefined }>;
  matches(body: Record<string, unknown>): boolean;
  cancel(): void;
}

/** One `datastore_search` endpoint with its headers and settings: sends, reads, retries. */
class SearchCall {
  constructor(
    private readonly url: URL,
    private readonly headers: Record<string, string>,
    private readonly settings: Settings,
  ) {}

  /** Sends a request; the answer's headers must come within the timeout. */
  open(body: Record<string, unknown>, signal: AbortSignal | undefined): OpenedCall {
    const json = JSON.stringify(body);
    const controller = new AbortController();
    const combined =
      signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
    let readAhead: ReadAhead | undefined;
    const response = requestSameHost(this.url, {
      method: 'POST',
      headers: this.headers,
      body: json,
      timeoutMs: this.settings.timeoutMs,
      allowedHosts: this.settings.allowedHosts,
      allowPrivateAddresses: this.settings.allowPrivateAddresses,
      signal: combined,
    }).then((answer) => {
      if (answer.ok && answer.body !== null) {
        readAhead = new ReadAhead((answer.body as ReadableStream<Uint8Array>).getReader(), {
          budgetBytes: this.settings.readAheadBytes,
          timeoutMs: this.settings.timeoutMs,
          host: this.url.host,
          signal,
        });
      }
      return { response: answer, body: readAhead };
    });
    // A request sent ahead and then not wanted must not become an unhandled rejection.
    response.catch(() => undefined);
    return {
      response,
      matches: (other) => JSON.stringify(other) === json,
      cancel: () => {
        controller.abort();
        readAhead?.cancel();
        void response
          .then((answer) => answer.response.body?.cancel().catch(() => undefined))
          .catch(() => undefined);
      },
    };
  }

  /** A whole call whose records are not wanted (the first, `limit: 0` one), with retries. */
  async run(body: Record<string, unknown>, options: DatastoreReadOptions): Promise<SearchResult> {
    const page = this.streamPage(body, options, undefined, () => undefined);
    let step = await page.next();
    while (step.done !== true) step = await page.next();
    return step.value;
  }

  /**
   * Reads one page as batches of records, pulled by the caller (so a slow caller slows the
   * socket, not the memory), retrying transient failures. On a retry after some records were
   * already handed on, the same page is asked for again and those records are skipped.
   */
  async *streamPage(
    body: Record<string, unknown>,
    options: DatastoreReadOptions,
    opened: OpenedCall | undefined,
    onHeaders: () => void,
  ): AsyncGenerator<unknown[], SearchResult, undefined> {
    let delivered = 0;
    let headersSeen = false;
    for (let attempt = 0; ; attempt++) {
      const call = attempt === 0 && opened !== undefined ? opened : this.open(body, options.signal);
      let seen = 0;
      let finished = false;
      try {
        const { response, body: readAhead } = await call.response;
        if (!headersSeen) {
          headersSeen = true;
          onHeaders();
        }
        const reading = this.read(response, readAhead);
        let step = await reading.next();
        while (step.done !== true) {
          const records = step.value;
          const fresh = seen >= delivered ? records : records.slice(delivered - seen);
          seen += records.length;
          if (fresh.length > 0) {
            delivered += fresh.length;
            yield fresh;
          }
          step = await reading.next();
        }
        finished = true;
        return step.value;
      } catch (error) {
        if (options.signal?.aborted) throw new AbortedError('The download was stopped');
        if (!(error instanceof CkanError) || !error.transient || attempt >= this.settings.retries)
          throw error;
        await backOff(error, attempt, {
          backoffMs: this.settings.retryBackoffMs,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
        });
      } finally {
        // Left early (an error, or the caller stopped reading): close this answer.
        if (!finished) call.cancel();
      }
    }
  }

  /** Reads an answer: batches of records as they stream in, then the rest of the document. */
  private async *read(
    response: Response,
    body: ReadAhead | undefined,
  ): AsyncGenerator<unknown[], SearchResult, undefined> {
    const host = this.url.host;
    const transient = response.status >= 500 || response.status === 429;
    if (!response.ok) {
      // Error answers are small; read them whole (with a limit) for the message, which does
      // without them when they cannot be read.
      const text = await readText(response, { maxBytes: this.settings.maxMetadataBytes }).catch(
        () => '',
      );
      throw ckanFailure(response.status, parseJson(text), text, transient);
    }
    if (body === undefined)
      throw new CkanError(`${host} answered without a body`, { transient: true });
    const splitter = new JsonArraySplitter({
      path: ['result', 'records'],
      maxSkeletonBytes: this.settings.maxMetadataBytes,
    });
    for (;;) {
      const chunk = await body.take(PARSE_BATCH_BYTES);
      if (chunk === undefined) break;
      const records = asCkanError(() => splitter.push(chunk), this.settings.maxMetadataBytes);
      if (records.length > 0) yield records;
    }
    const { document, text } = splitter.end();
    const envelope = (document ?? {}) as { success?: unknown; result?: unknown; error?: unknown };
    if (document === undefined || envelope.success !== true) {
      if (document === undefined && splitter.count > 0) {
        throw new CkanError(`${host} broke off its answer`, {
          status: response.status,
          transient: true,
        });
      }
      throw ckanFailure(response.status, document, text, transient);
    }
    if (typeof envelope.result !== 'object' || envelope.result === null) {
      throw new CkanError('CKAN answered success without a result', {
        status: response.status,
        transient: false,
      });
    }
    return envelope.result as SearchResult;
  }
}

/** The record splitter's refusals as CKAN errors (none of them passes with a retry). */
function asCkanError<T>(step: () => T, maxMetadataBytes: number): T {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof JsonSplitError)) throw error;
    const message =
      error.problem === 'scalar-element'
        ? 'CKAN answered a record that is not an object'
        : error.problem === 'not-json'
          ? `CKAN answered records that are not JSON: ${(error.cause as Error).message}`
          : `CKAN's answer holds more than ${maxMetadataBytes} bytes besides its records`;
    throw new CkanError(message, { transient: false }, { cause: error });
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object'
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function ckanFailure(
  status: number,
  document: Record<string, unknown> | undefined,
  text: string,
  transient: boolean,
): CkanError {
  const error = document?.error as { __type?: unknown; message?: unknown } | string | undefined;
  const ckanType =
    typeof error === 'object' && error !== null && typeof error.__type === 'string'
      ? error.__type
      : undefined;
  const detail =
    typeof error === 'string'
      ? error
      : typeof error === 'object' && error !== null
        ? ckanErrorText(error as Record<string, unknown>)
        : document === undefined
          ? text.replace(/\s+/g, ' ').slice(0, 200).trim() || `HTTP ${status}`
          : 'no error message';
  return new CkanError(
    `CKAN datastore_search failed (HTTP ${status}${ckanType === undefined ? '' : `, ${ckanType}`}): ${detail}`,
    { status, ...(ckanType === undefined ? {} : { ckanType }), transient },
  );
}

function searchParameters(query: DatastoreQuery): Record<string, unknown> {
  const body: Record<string, unknown> = { resource_id: query.resourceId };
  if (query.filters !== undefined) body.filters = query.filters;
  if (query.q !== undefined) body.q = query.q;
  if (query.plain !== undefined) body.plain = query.plain;
  if (query.language !== undefined) body.language = query.language;
  if (query.fields !== undefined) body.fields = query.fields;
  if (query.sort !== undefined) body.sort = query.sort;
  return body;
}

// CKAN puts validation problems in extra keys of `error` ({"q": ["bad"], "__type": ...}).
function ckanErrorText(error: Record<string, unknown>): string {
  if (typeof error.message === 'string') return error.message;
  const parts = Object.entries(error)
    .filter(([name]) => name !== '__type')
    .map(
      ([name, value]) =>
        `${name}: ${Array.isArray(value) ? value.join(', ') : JSON.stringify(value)}`,
    );
  return parts.length > 0 ? parts.join('; ') : 'no error message';
}

function parseFields(value: unknown): CkanField[] {
  if (!Array.isArray(value)) {
    throw new CkanError('CKAN answered without a fields list', { transient: false });
  }
  return value.map((field, index) => {
    const id = (field as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') {
      throw new CkanError(`CKAN field ${index} has no id`, { transient: false });
    }
    const type = (field as { type?: unknown }).type;
    return typeof type === 'string' ? { id, type } : { id };
  });
}

function toRecord(record: unknown, ids: readonly string[]): Record<string, unknown> {
  // `records_format: lists` answers (some CKAN proxies use them) give rows in field order.
  if (Array.isArray(record)) {
    const object: Record<string, unknown> = {};
    for (let index = 0; index < ids.length; index++) object[ids[index]!] = record[index];
    return object;
  }
  if (record === null || typeof record !== 'object') {
    throw new CkanError('CKAN answered a record that is not an object', { transient: false });
  }
  return record as Record<string, unknown>;
}
