import type { FakeCkan } from '../../src/index.js';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body (undefined if it was not JSON). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** POSTs a JSON data dict to datastore_search, as ckanpackager does. */
export async function post(
  ckan: FakeCkan,
  params: Record<string, unknown>,
  options: { key?: string; url?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.key !== undefined) headers['Authorization'] = options.key;
  return answer(
    await fetch(options.url ?? ckan.apiUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify(params),
    }),
  );
}

/** GETs datastore_search with a query string (objects are sent as JSON text). */
export async function get(
  ckan: FakeCkan,
  params: Record<string, unknown>,
  options: { key?: string; path?: string } = {},
): Promise<Answer> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    query.append(key, typeof value === 'string' ? value : JSON.stringify(value));
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers['Authorization'] = options.key;
  const path = options.path ?? '/api/3/action/datastore_search';
  return answer(await fetch(`${ckan.url}${path}?${query}`, { headers }));
}

/** Records of a successful answer (throws with the body otherwise, for readable failures). */
export function records(result: Answer): Record<string, unknown>[] {
  if (result.status !== 200) throw new Error(`HTTP ${result.status}: ${result.text}`);
  return result.body.result.records;
}

/**
 * Fetches records exactly as ckanpackager's CkanResource does (v0.4): a first call with
 * offset 0 and limit 0 for the fields and `_backend`, then pages of min(pageSize, limit),
 * moving on by offset, solr `cursor` or versioned-datastore `after`, until a page is empty or
 * `limit` records have been read. A task offset forces offset paging.
 */
export async function ckanpackagerFetch(
  apiUrl: string,
  params: Record<string, unknown>,
  options: { pageSize: number; key?: string },
): Promise<{
  fields: { id: string }[];
  backend: string | null;
  records: Record<string, unknown>[];
}> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.key) headers['Authorization'] = options.key;
  const call = async (body: Record<string, unknown>) => {
    const response = await fetch(apiUrl, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return ((await response.json()) as { result: Record<string, unknown> }).result;
  };
  const first = await call({ ...params, offset: 0, limit: 0 });
  let backend = (first['_backend'] as string | undefined) ?? null;

  const request: Record<string, unknown> = { ...params };
  request['offset'] = Number(request['offset'] ?? 0);
  const requested = Number(request['limit'] ?? 0);
  request['limit'] = requested === 0 ? options.pageSize : Math.min(options.pageSize, requested);
  if ((request['offset'] as number) > 0) backend = null;
  if (backend === 'solr') {
    delete request['offset'];
    request['cursor'] = '*';
  } else if (backend === 'versioned-datastore') {
    delete request['offset'];
  }
  const out: Record<string, unknown>[] = [];
  for (;;) {
    const result = await call(request);
    const page = result['records'] as Record<string, unknown>[];
    if (page.length === 0) break;
    for (const record of page) {
      out.push(record);
      if (out.length === requested)
        return { fields: first['fields'] as { id: string }[], backend, records: out };
    }
    if (backend === 'solr') request['cursor'] = result['next_cursor'];
    else if (backend === 'versioned-datastore') request['after'] = result['after'];
    else request['offset'] = (request['offset'] as number) + (request['limit'] as number);
  }
  return { fields: first['fields'] as { id: string }[], backend, records: out };
}

/**
 * A `wait` for startFakeCkan that holds each delayed answer until the test releases it, so a
 * delay is seen without letting real time pass. `arrived(n)` resolves once n answers are held.
 */
export function heldDelays() {
  const held: { ms: number; release: () => void }[] = [];
  let arrival: (() => void) | undefined;
  return {
    held,
    wait(ms: number, signal: AbortSignal): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        held.push({ ms, release: resolve });
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        arrival?.();
      });
    },
    async arrived(count: number): Promise<void> {
      while (held.length < count) await new Promise<void>((resolve) => (arrival = resolve));
    },
    releaseAll(): void {
      for (const delay of held.splice(0)) delay.release();
    },
  };
}
