import type { IncomingHttpHeaders } from 'node:http';

/**
 * How a resource pages through large results, as the CKAN datastore backends the NHM runs do:
 * `default` is CKAN's PostgreSQL datastore (offset/limit), `solr` is ckanext-datasolr (a
 * `cursor`, `*` first, answered with `next_cursor`), `versioned-datastore` is
 * ckanext-versioned-datastore (`after`, answered with `after`). Every backend but the default
 * names itself in `result._backend`.
 */
export type Backend = 'default' | 'solr' | 'versioned-datastore';

/** One column of a resource, as given to CKAN's `datastore_create`. */
export interface FieldSpec {
  id: string;
  /**
   * A PostgreSQL type as CKAN accepts it: `text`, `int`/`integer`/`int4`, `bigint`/`int8`,
   * `smallint`, `numeric`, `float`/`float8`/`double precision`, `real`/`float4`,
   * `bool`/`boolean`, `timestamp`, `date`, `time`, `json`, or an array such as `text[]`.
   * Results report the PostgreSQL type name (`int` comes back as `int4`), as CKAN does.
   */
  type: string;
  /** Data dictionary entry, returned as the field's `info` when given. */
  info?: Record<string, unknown>;
}

export type Row = Record<string, unknown>;

export interface ResourceSpec {
  id: string;
  /** In order; `_id` (1-based, in insertion order) is added in front, as CKAN does. */
  fields: readonly FieldSpec[];
  /** Keys are field ids; missing keys are null, unknown keys are refused (as CKAN does). */
  rows: Iterable<Row> | AsyncIterable<Row>;
  /** A private resource answers 403 unless the request's `Authorization` is `apiKey`. */
  private?: boolean;
  /** Required for a private resource: the raw key a client sends as `Authorization`. */
  apiKey?: string;
  /** Paging backend of this resource (default: the server's `backend`). */
  backend?: Backend;
  /** Field ids to index after loading (filters on them then avoid full scans). */
  indexes?: readonly string[];
}

/** What `addResource` reports once the rows are in. */
export interface ResourceSummary {
  id: string;
  /** With `_id` first and PostgreSQL type names, as `datastore_search` reports them. */
  fields: { id: string; type: string }[];
  total: number;
  /** Load time, for benchmarks. */
  milliseconds: number;
}

/** Which `datastore_search` calls a fault applies to. Calls are counted from 1. */
interface FaultWhen {
  /** First call hit, counted since the server started (default: the next call). */
  call?: number;
  /** How many consecutive calls are hit (default 1; `Infinity` for all that follow). */
  times?: number;
}

/** Answer with this status instead of searching. */
export interface StatusFault extends FaultWhen {
  kind: 'status';
  status: number;
  /**
   * Response body: a string is sent as is, anything else as JSON. Default: CKAN's own
   * `Internal Server Error` JSON for 500, a proxy's HTML error page for other statuses.
   */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Answer normally, but only after waiting. */
export interface DelayFault extends FaultWhen {
  kind: 'delay';
  ms: number;
}

/** Send the status line, headers and the first `afterBytes` of the body, then drop the socket. */
export interface DestroyFault extends FaultWhen {
  kind: 'destroy';
  /** Body bytes sent before the socket is destroyed (default 256). */
  afterBytes?: number;
}

export type Fault = StatusFault | DelayFault | DestroyFault;

/** One HTTP request the server received, whatever its path. */
export interface RecordedRequest {
  method: string;
  /** Path with its query string, as received. */
  path: string;
  /** Lower-case names, as Node gives them: `headers.authorization` is the API key sent. */
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON; undefined when there was none or it was not JSON. */
  body: unknown;
  /** The CKAN data dict the call was read as (query string, form or JSON body). */
  params: Record<string, unknown> | undefined;
  /** `datastore_search` calls only: 1 for the first one since the server started. */
  searchCall: number | undefined;
  /** Response status; 0 until answered (and if the socket was destroyed first). */
  status: number;
}

export interface FakeCkanOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /**
   * SQLite database file, or `:memory:`. Default: a file in a new temporary folder, removed by
   * `stop()`. A file lets several requests read at once; `:memory:` serves them one by one.
   */
  database?: string;
  /** Paging backend of resources that do not choose one (default `default`). */
  backend?: Backend;
  /** `ckan.datastore.search.rows_max`: larger limits are cut to this (default 32000). */
  rowsMax?: number;
  /** `ckan.datastore.search.rows_default`: the limit when none is given (default 100). */
  rowsDefault?: number;
  /** Faults armed from the start; more with `setFault()`. */
  faults?: readonly Fault[];
  /** Reading connections to a database file (default 4). */
  readConnections?: number;
  /**
   * How a delay fault waits: default a timer of `ms`. A test passes its own to hold a delayed
   * answer until it chooses, instead of letting real time pass. It must settle (reject is
   * fine) when `signal` aborts, as the server's stop() does.
   */
  wait?: (ms: number, signal: AbortSignal) => Promise<unknown>;
}

export interface FakeCkan {
  /** `http://127.0.0.1:<port>`, the site root. */
  url: string;
  /** `${url}/api/3/action/datastore_search`. */
  apiUrl: string;
  /** Every request received, oldest first. Empty it with `requests.length = 0`. */
  requests: RecordedRequest[];
  /** `datastore_search` calls received so far. */
  readonly searchCalls: number;
  /** Creates and loads a resource; it is searchable once the promise resolves. */
  addResource(spec: ResourceSpec): Promise<ResourceSummary>;
  setFault(fault: Fault): void;
  clearFaults(): void;
  stop(): Promise<void>;
}
