// Declared query and path parameters are checked before the handler runs.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createApi, createApp, errorHandler, notFoundHandler } from '../src/index.js';
import { captureLogs, serve } from './helpers/server.js';

/** A service with typed parameters whose handlers echo what they were given. */
async function parameterService(): Promise<string> {
  const api = createApi({ title: 'Parameters', version: '1.0.0', documentPath: '/openapi.json' });
  api.route({
    method: 'get',
    path: '/items',
    summary: 'Items',
    parameters: [
      { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 100 } },
      { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
      { name: 'ratio', in: 'query', schema: { type: 'number', minimum: 0, maximum: 1 } },
      { name: 'running', in: 'query', schema: { type: 'boolean' } },
      { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'] } },
      { name: 'tag', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
      {
        name: 'size',
        in: 'query',
        schema: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 10 } },
      },
    ],
    responses: { '200': { description: 'The query as received' } },
    handler: (req, res) => {
      res.json(req.query);
    },
  });
  api.route({
    method: 'get',
    path: '/search',
    summary: 'A required parameter',
    parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string' } }],
    responses: { '200': { description: 'The query' } },
    handler: (req, res) => {
      res.json(req.query);
    },
  });
  api.route({
    method: 'get',
    path: '/jobs/:id',
    summary: 'One job',
    parameters: [{ name: 'id', in: 'path', schema: { type: 'integer', minimum: 0 } }],
    responses: { '200': { description: 'The id' } },
    handler: (req, res) => {
      expectTypeOf(req.params.id).toEqualTypeOf<number>();
      res.json({ id: req.params.id });
    },
  });
  api.route({
    method: 'get',
    path: '/jobs/:name',
    summary: 'A job by name: only reached by what is not an id',
    responses: { '200': { description: 'The name' } },
    handler: (req, res) => {
      res.json({ name: req.params.name });
    },
  });
  api.route({
    method: 'get',
    path: '/runs/:id',
    summary: 'One run',
    parameters: [{ name: 'id', in: 'path', schema: { type: 'integer', minimum: 0 } }],
    responses: { '200': { description: 'The id' } },
    handler: (req, res) => {
      res.json({ id: Number(req.params.id) });
    },
  });
  api.route({
    method: 'post',
    path: '/undeclared',
    summary: 'No parameters declared',
    responses: { '200': { description: 'Done' } },
    handler: (_req, res) => {
      res.json({ done: true });
    },
  });
  const app = createApp({ logger: captureLogs().logger });
  app.use(api.router);
  app.use(notFoundHandler(), errorHandler({ logger: captureLogs().logger }));
  return (await serve(app)).url.replace(/\/$/, '');
}

async function get(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as unknown };
}

const refused = (parameter: string, message: string) => ({
  status: 400,
  body: {
    error: { code: 'BAD_PARAMETER', message, details: { parameter } },
    requestId: expect.any(String),
  },
});

describe('declared parameters', () => {
  it('lets well-formed values through to the handler', async () => {
    const base = await parameterService();
    expect(
      await get(
        `${base}/items?limit=100&offset=0&ratio=0.25&running=TRUE&format=csv&tag=a&tag=b&size=3`,
      ),
    ).toEqual({
      status: 200,
      body: {
        limit: 100,
        offset: 0,
        ratio: 0.25,
        running: true,
        format: 'csv',
        tag: ['a', 'b'],
        size: [3],
      },
    });
    expect(await get(`${base}/items?ratio=1e-1&running=0`)).toEqual({
      status: 200,
      body: { ratio: 0.1, running: false },
    });
  });

  it('refuses a parameter given twice unless its schema is an array, declared or not', async () => {
    const base = await parameterService();
    expect(await get(`${base}/items?limit=1&limit=2`)).toEqual(
      refused('limit', 'Query parameter "limit" is given 2 times: give it once'),
    );
    expect(await get(`${base}/items?colour=red&colour=blue&colour=green`)).toEqual(
      refused('colour', 'Query parameter "colour" is given 3 times: give it once'),
    );
    expect(await get(`${base}/undeclared?x=1&x=1`, { method: 'POST' })).toEqual(
      refused('x', 'Query parameter "x" is given 2 times: give it once'),
    );
    expect(await get(`${base}/items?size=1&size=x`)).toEqual(
      refused('size', 'Query parameter "size" must be an integer from 1 to 10, not "x"'),
    );
  });

  it('refuses values that are not of the declared type, enum or range', async () => {
    const base = await parameterService();
    const cases: [string, string, string][] = [
      ['limit=x', 'limit', 'Query parameter "limit" must be an integer from 0 to 100, not "x"'],
      ['limit=', 'limit', 'Query parameter "limit" must be an integer from 0 to 100, not ""'],
      ['limit=101', 'limit', 'Query parameter "limit" must be an integer from 0 to 100, not "101"'],
      ['limit=1.0', 'limit', 'Query parameter "limit" must be an integer from 0 to 100, not "1.0"'],
      ['limit=0x1', 'limit', 'Query parameter "limit" must be an integer from 0 to 100, not "0x1"'],
      [
        'offset=-1',
        'offset',
        'Query parameter "offset" must be an integer from 0 to 9007199254740991, not "-1"',
      ],
      [
        'offset=99999999999999999999999999',
        'offset',
        'Query parameter "offset" must be an integer from 0 to 9007199254740991, not "99999999999999999999999999"',
      ],
      ['ratio=2', 'ratio', 'Query parameter "ratio" must be a number from 0 to 1, not "2"'],
      ['ratio=NaN', 'ratio', 'Query parameter "ratio" must be a number from 0 to 1, not "NaN"'],
      ['ratio=0x1', 'ratio', 'Query parameter "ratio" must be a number from 0 to 1, not "0x1"'],
      ['running=maybe', 'running', 'Query parameter "running" must be true or false, not "maybe"'],
      ['format=xml', 'format', 'Query parameter "format" must be one of json, csv, not "xml"'],
    ];
    for (const [query, parameter, message] of cases) {
      expect(await get(`${base}/items?${query}`)).toEqual(refused(parameter, message));
    }
    expect(await get(`${base}/search`)).toEqual(refused('q', 'Query parameter "q" is required'));
    expect(await get(`${base}/search?q=`)).toEqual({ status: 200, body: { q: '' } });
  });

  it('shortens a long value in the message', async () => {
    const base = await parameterService();
    const { body } = await get(`${base}/items?limit=${'9'.repeat(500)}`);
    expect((body as { error: { message: string } }).error.message).toBe(
      `Query parameter "limit" must be an integer from 0 to 100, not "${'9'.repeat(40)}..."`,
    );
  });

  it('treats a path segment that does not fit its schema as another path: the next route, else 404', async () => {
    const base = await parameterService();
    expect(await get(`${base}/jobs/42`)).toEqual({ status: 200, body: { id: 42 } });
    for (const id of ['1e0', '0x1', '1.0', '-1', ' 1', '99999999999999999999']) {
      expect(await get(`${base}/jobs/${encodeURIComponent(id)}`)).toEqual({
        status: 200,
        body: { name: id },
      });
    }
    expect(await get(`${base}/runs/7`)).toEqual({ status: 200, body: { id: 7 } });
    const other = await get(`${base}/runs/1e0`);
    expect(other.status).toBe(404);
    expect((other.body as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND');
  });
});
