import { isValidAddress } from '@geoworks/mailer';
import { BadTaskParameterError } from './errors.js';
import { parseTaskUrl, type AllowedHosts } from './http.js';
import { MAX_LENGTHS as MAX, ParameterReader } from './parameters.js';

/** What a task packages: datastore rows (CSV/TSV/XLSX), a Darwin Core Archive, or a file. */
export type TaskKind = 'datastore' | 'dwc' | 'url';

export type TableFormat = 'csv' | 'tsv' | 'xlsx';

interface TaskCommon {
  resourceId: string;
  email: string;
  /** CKAN API key, sent as `Authorization`. */
  key?: string;
}

/** `/package_datastore` and `/package_dwc_archive`. */
export interface DatastoreTask extends TaskCommon {
  kind: 'datastore' | 'dwc';
  apiUrl: string;
  filters?: Record<string, unknown>;
  q?: string | Record<string, unknown>;
  plain?: boolean;
  language?: string;
  limit?: number;
  offset?: number;
  fields?: string;
  sort?: string;
  /** Table format; `dwc` tasks ignore it. */
  format: TableFormat;
  doi?: string;
  /** DwC: the EML template; default: the packaged one. */
  eml?: string;
  /** DwC: add `gbif.json`. */
  forGbif?: boolean;
}

/** `/package_url`. */
export interface UrlTask extends TaskCommon {
  kind: 'url';
  resourceUrl: string;
  doi?: string;
}

export type PackageTask = DatastoreTask | UrlTask;

/**
 * Checks and normalises the parameters of a packaging request, as posted by the CKAN
 * extension (form fields, all strings) or as JSON. Unknown parameters are dropped; a missing
 * or bad one is a `BadTaskParameterError` naming it.
 */
export function parseTask(
  kind: TaskKind,
  parameters: Readonly<Record<string, unknown>>,
  allowedHosts: AllowedHosts,
  allowPrivateAddresses?: boolean,
): PackageTask {
  const read = new ParameterReader(parameters);
  const resourceId = read.requiredText('resource_id', MAX.resource_id);
  const email = read.requiredText('email', MAX.email);
  if (!isValidAddress(email) || /[<>\s,;]/.test(email)) {
    throw new BadTaskParameterError('email', 'Parameter email must be one email address');
  }
  const key = read.optionalText('key', MAX.key);
  const common: TaskCommon = {
    resourceId,
    email,
    ...(key === undefined || key === '' ? {} : { key }),
  };
  if (kind === 'url') {
    const resourceUrl = parseTaskUrl(
      read.requiredText('resource_url', MAX.resource_url),
      'resource_url',
      allowedHosts,
      allowPrivateAddresses,
    );
    const doi = read.optionalText('doi', MAX.doi);
    return {
      kind,
      ...common,
      resourceUrl: resourceUrl.href,
      ...(doi === undefined ? {} : { doi }),
    };
  }
  const apiUrl = parseTaskUrl(
    read.requiredText('api_url', MAX.api_url),
    'api_url',
    allowedHosts,
    allowPrivateAddresses,
  );
  const task: DatastoreTask = { kind, ...common, apiUrl: apiUrl.href, format: 'csv' };
  const filters = read.jsonObject('filters');
  if (filters !== undefined) task.filters = filters;
  const q = read.query('q');
  if (q !== undefined) task.q = q;
  const plain = read.boolean('plain');
  if (plain !== undefined) task.plain = plain;
  const language = read.optionalText('language', MAX.language);
  if (language !== undefined) task.language = language;
  const limit = read.count('limit');
  if (limit !== undefined) task.limit = limit;
  const offset = read.count('offset');
  if (offset !== undefined) task.offset = offset;
  const fields = read.optionalText('fields', MAX.fields);
  if (fields !== undefined) task.fields = fields;
  const sort = read.optionalText('sort', MAX.sort);
  if (sort !== undefined) task.sort = sort;
  const doi = read.optionalText('doi', MAX.doi);
  if (doi !== undefined) task.doi = doi;
  if (kind === 'datastore') {
    const format = (read.optionalText('format', MAX.format) ?? 'csv').toLowerCase();
    if (format !== 'csv' && format !== 'tsv' && format !== 'xlsx') {
      throw new BadTaskParameterError('format', 'Parameter format must be csv, tsv or xlsx');
    }
    task.format = format;
  } else {
    const eml = read.optionalText('eml', MAX.eml);
    if (eml !== undefined && eml.trim() !== '') task.eml = eml;
    const forGbif = read.boolean('for_gbif');
    if (forGbif !== undefined) task.forGbif = forGbif;
  }
  return task;
}

/**
 * The parameters that make two tasks produce the same zip: all but `email`, in the names the
 * original used, so `PackageStore.cacheKey` hashes them as it did.
 */
export function cacheParameters(task: PackageTask): Record<string, unknown> {
  const common = { task: task.kind, resource_id: task.resourceId, key: task.key };
  if (task.kind === 'url') return { ...common, resource_url: task.resourceUrl };
  return {
    ...common,
    api_url: task.apiUrl,
    filters: task.filters === undefined ? undefined : canonicalJson(task.filters),
    q: task.q,
    plain: task.plain,
    language: task.language,
    limit: task.limit,
    offset: task.offset,
    fields: task.fields,
    sort: task.sort,
    format: task.kind === 'datastore' ? task.format : undefined,
    eml: task.eml,
    for_gbif: task.forGbif,
  };
}

/**
 * Records the task asks for at most (`limit`), or undefined when it asks for everything.
 * The original compared `limit - offset` with `SLOW_REQUEST`, which sends a request for the
 * last 100,000 of 200,000 rows to the fast queue; the count asked for is `limit` itself.
 */
export function requestedRecords(task: PackageTask): number | undefined {
  return task.kind === 'url' ? undefined : task.limit;
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_name, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
