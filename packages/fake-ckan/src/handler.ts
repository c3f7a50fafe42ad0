import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyWriter, ResponseStopped } from './body-writer.js';
import { accessDenied, BadRequestError, CkanActionError, notFound } from './errors.js';
import { faultResponse, type Faults } from './faults.js';
import type { PagingCaches } from './paging.js';
import { validateSearch, type Limits } from './params.js';
import { planSearch } from './query.js';
import { readRequestData } from './request-data.js';
import type { Resource } from './resources.js';
import { streamSearch } from './search.js';
import type { Store } from './store.js';
import type { Backend, RecordedRequest } from './types.js';

/** What the request handler shares with the server that owns it. */
export interface HandlerState {
  store: Store;
  caches: PagingCaches;
  faults: Faults;
  limits: Limits;
  defaultBackend: Backend;
  resources: Map<string, Resource>;
  requests: RecordedRequest[];
  /** datastore_search calls so far. */
  searchCalls: number;
  /** Aborted when the server stops (ends fault delays). */
  stopped: AbortSignal;
  /** Waits out a delay fault; settles when the signal aborts. */
  wait: (ms: number, signal: AbortSignal) => Promise<unknown>;
  helpUrl: () => string;
}

const ACTION_PATH = /^\/api(?:\/([123]))?\/action\/([^/]+)\/?$/;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Answers one HTTP request as CKAN's action API would: logs it, applies the faults armed for
 * it, reads the data dict, searches, and turns failures into CKAN's error answers.
 */
export async function handleRequest(
  state: HandlerState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const record: RecordedRequest = {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: req.headers,
    body: undefined,
    params: undefined,
    searchCall: undefined,
    status: 0,
  };
  state.requests.push(record);
  res.on('finish', () => (record.status = res.statusCode));

  const target = new URL(req.url ?? '/', 'http://localhost');
  const action = actionName(target.pathname);
  const body = await readBody(req).catch(() => undefined);
  if (body === undefined) return; // the client went away while sending
  if (action === undefined) {
    sendText(res, 404, '<h1>404 Not Found</h1>');
    return;
  }
  if (action === 'datastore_search') record.searchCall = ++state.searchCalls;
  let writer = new BodyWriter(res, undefined);
  try {
    if (record.searchCall !== undefined) {
      const fault = state.faults.take(record.searchCall);
      if (fault.delayMs > 0) await state.wait(fault.delayMs, state.stopped);
      if (fault.destroy) writer = new BodyWriter(res, fault.destroy.afterBytes ?? 256);
      if (fault.status) {
        const { body: text, headers } = faultResponse(fault.status, state.helpUrl());
        res.writeHead(fault.status.status, headers);
        writer.push(text);
        await writer.end();
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST');
      sendText(res, 405, '<h1>405 Method Not Allowed</h1>');
      return;
    }
    if (action !== 'datastore_search')
      throw new BadRequestError(`Action name not known: ${action}`);
    const { data, json } = readRequestData(req.headers['content-type'], target.searchParams, body);
    record.body = json;
    record.params = data;
    await search(state, req, res, writer, data, `${target.pathname}${target.search}`);
  } catch (error) {
    if (error instanceof ResponseStopped || res.destroyed) return;
    if (state.stopped.aborted) {
      res.destroy(); // the server is stopping: no answer
      return;
    }
    if (res.headersSent) {
      // Too late for an error answer: cut the response, so it cannot pass for a complete one.
      console.error('fake-ckan: response failed:', error);
      res.destroy();
      return;
    }
    await sendError(state, res, writer, error).catch(() => res.destroy());
  }
}

async function search(
  state: HandlerState,
  req: IncomingMessage,
  res: ServerResponse,
  writer: BodyWriter,
  data: Record<string, unknown>,
  pathWithQuery: string,
): Promise<void> {
  // The resource's backend decides which parameters are expected, so find it first.
  const key =
    data['id'] !== undefined && data['id'] !== null && data['id'] !== ''
      ? data['id']
      : data['resource_id'];
  const resource =
    typeof key === 'string' || typeof key === 'number'
      ? state.resources.get(String(key))
      : undefined;
  const backend = resource?.backend ?? state.defaultBackend;
  const request = validateSearch(data, backend, state.limits);
  if (!resource) throw notFound(`Resource "${request.resourceId}" was not found.`);
  if (resource.private && apiKey(req) !== resource.apiKey)
    // CKAN names the user; an anonymous one has an empty name.
    throw accessDenied(`User  not authorized to read resource ${resource.id}`);
  const plan = planSearch(resource, request);
  await state.store.read((connection) =>
    streamSearch(
      { connection, caches: state.caches, backend, helpUrl: state.helpUrl(), pathWithQuery },
      request,
      plan,
      res,
      writer,
    ),
  );
}

/** CKAN's answers to a failed action (ckan/views/api.py). */
async function sendError(
  state: HandlerState,
  res: ServerResponse,
  writer: BodyWriter,
  error: unknown,
): Promise<void> {
  let status: number;
  let body: unknown;
  if (error instanceof CkanActionError) {
    status = error.status;
    body = { help: state.helpUrl(), success: false, error: error.error };
  } else if (error instanceof BadRequestError) {
    status = 400;
    body = error.message;
  } else {
    console.error('fake-ckan: datastore_search failed:', error);
    status = 500;
    body = {
      help: state.helpUrl(),
      success: false,
      error: { __type: 'Internal Server Error', message: 'Internal Server Error' },
    };
  }
  res.writeHead(status, { 'Content-Type': 'application/json;charset=utf-8' });
  writer.push(JSON.stringify(body));
  await writer.end();
}

/** The action of an `/api[/3]/action/<name>` path, or undefined for any other path. */
function actionName(pathname: string): string | undefined {
  const match = ACTION_PATH.exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[2]!);
  } catch {
    return match[2]!;
  }
}

/** The raw API key: CKAN reads `Authorization` (no `Bearer`), or the older `X-CKAN-API-Key`. */
function apiKey(req: IncomingMessage): string | undefined {
  const header = req.headers['authorization'] ?? req.headers['x-ckan-api-key'];
  return Array.isArray(header) ? header[0] : header;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) break; // what is kept then fails to parse: a 400
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendText(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html;charset=utf-8' });
  res.end(html);
}
