import express, { type RequestHandler } from 'express';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createApi,
  createApp,
  errorHandler,
  notFoundHandler,
  RouteDefinitionError,
  type OpenApiDocument,
} from '../src/index.js';
import { captureLogs, serve } from './helpers/server.js';

const jobSchema = {
  type: 'object',
  required: ['id', 'status'],
  properties: { id: { type: 'string' }, status: { enum: ['queued', 'running', 'finished'] } },
};

function calculationApi() {
  const api = createApi({
    title: 'Calculation server',
    version: '1.2.0',
    description: 'Runs hazard calculations',
    schemas: { Job: jobSchema },
  });
  api.route({
    method: 'get',
    path: '/jobs/:id',
    operationId: 'getJob',
    summary: 'One job',
    tags: ['jobs'],
    responses: {
      '200': {
        description: 'The job',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } },
      },
      '404': { description: 'No such job' },
    },
    handler: (req, res) => {
      expectTypeOf(req.params.id).toEqualTypeOf<string>();
      res.json({ id: req.params.id, status: 'queued' });
    },
  });
  api.route({
    method: 'get',
    path: '/jobs/:id/files/:name',
    summary: 'A file a job wrote',
    parameters: [
      { name: 'name', in: 'path', description: 'File name', schema: { type: 'string' } },
      { name: 'download', in: 'query', schema: { type: 'boolean' } },
    ],
    responses: { '200': { description: 'The file' } },
    handler: (req, res) => {
      expectTypeOf(req.params).toEqualTypeOf<{ id: string; name: string }>();
      res.json({ id: req.params.id, name: req.params.name, download: req.query.download });
    },
  });
  const stamp: RequestHandler = (_req, res, next) => {
    res.setHeader('X-Stamp', 'checked');
    next();
  };
  api.route({
    method: 'post',
    path: '/jobs',
    summary: 'Start a job',
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { type: 'object' } } },
    },
    responses: { '201': { description: 'Started' } },
    handler: [stamp, (req, res) => void res.status(201).json({ received: req.body as unknown })],
  });
  api.route({
    method: 'get',
    path: '/files/*path',
    openApiPath: '/files/{path}',
    summary: 'A stored file',
    responses: { '200': { description: 'The file' } },
    handler: (req, res) => {
      res.json({ path: (req.params as { path: string[] }).path });
    },
  });
  api.route({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    responses: { '200': { description: 'OpenAPI 3.1' } },
    handler: api.serveDocument(),
  });
  return api;
}

/** The structural rules of OpenAPI 3.1 that a route registry could break. */
function expectValidOpenApi31(document: OpenApiDocument): void {
  expect(document.openapi).toMatch(/^3\.1\.\d+$/);
  expect(typeof document.info.title).toBe('string');
  expect(typeof document.info.version).toBe('string');
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    expect(path.startsWith('/')).toBe(true);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const operation of Object.values(item)) {
      expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
      for (const response of Object.values(operation.responses)) {
        expect(typeof response.description).toBe('string');
      }
      const pathParameters = (operation.parameters ?? []).filter((p) => p.in === 'path');
      expect(pathParameters.map((p) => p.name).sort()).toEqual([...templated].sort());
      for (const parameter of pathParameters) expect(parameter.required).toBe(true);
      if (operation.operationId !== undefined) {
        expect(operationIds.has(operation.operationId)).toBe(false);
        operationIds.add(operation.operationId);
      }
    }
  }
}

const checked = {
  description: 'A query parameter given twice, or a parameter outside its declared schema',
};
const noSuchPath = { description: 'Nothing at this path' };

describe('createApi', () => {
  it('documents every registered route, Express params as {name}', () => {
    const document = calculationApi().document();
    expectValidOpenApi31(document);
    expect(document).toEqual({
      openapi: '3.1.0',
      info: {
        title: 'Calculation server',
        version: '1.2.0',
        description: 'Runs hazard calculations',
      },
      paths: {
        '/jobs/{id}': {
          get: {
            operationId: 'getJob',
            summary: 'One job',
            tags: ['jobs'],
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
            responses: {
              '200': {
                description: 'The job',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } },
              },
              '404': { description: 'No such job' },
              // Added by service-kit, which checks parameters before the handlers.
              '400': checked,
            },
          },
        },
        '/jobs/{id}/files/{name}': {
          get: {
            summary: 'A file a job wrote',
            parameters: [
              { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
              {
                name: 'name',
                in: 'path',
                required: true,
                description: 'File name',
                schema: { type: 'string' },
              },
              { name: 'download', in: 'query', schema: { type: 'boolean' } },
            ],
            responses: { '200': { description: 'The file' }, '400': checked, '404': noSuchPath },
          },
        },
        '/jobs': {
          post: {
            summary: 'Start a job',
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            responses: { '201': { description: 'Started' }, '400': checked },
          },
        },
        '/files/{path}': {
          get: {
            summary: 'A stored file',
            parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
            responses: { '200': { description: 'The file' }, '400': checked, '404': noSuchPath },
          },
        },
        '/openapi.json': {
          get: {
            summary: 'This document',
            responses: { '200': { description: 'OpenAPI 3.1' }, '400': checked },
          },
        },
      },
      components: { schemas: { Job: jobSchema } },
    });
  });

  it('serves the routes and the document over HTTP', async () => {
    const api = calculationApi();
    const { logger } = captureLogs();
    const app = createApp({ logger });
    app.use(api.router);
    app.use(notFoundHandler(), errorHandler({ logger }));
    const { url } = await serve(app);

    expect(await (await fetch(`${url}jobs/7`)).json()).toEqual({ id: '7', status: 'queued' });
    expect(await (await fetch(`${url}jobs/7/files/hazard.csv?download=1`)).json()).toEqual({
      id: '7',
      name: 'hazard.csv',
      download: true,
    });
    const posted = await fetch(`${url}jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"calculation":"hazard"}',
    });
    expect(posted.status).toBe(201);
    expect(posted.headers.get('x-stamp')).toBe('checked');
    expect(await posted.json()).toEqual({ received: { calculation: 'hazard' } });
    expect(await (await fetch(`${url}files/a/b/c.tif`)).json()).toEqual({
      path: ['a', 'b', 'c.tif'],
    });
    const served = await fetch(`${url}openapi.json`);
    expect(served.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await served.json()).toEqual(api.document());
    expect((await fetch(`${url}jobs/7`, { method: 'DELETE' })).status).toBe(404);
  });

  it('gives a copy of the document that callers cannot corrupt', () => {
    const api = calculationApi();
    const document = api.document();
    document.paths['/jobs/{id}']!.get!.summary = 'changed';
    delete document.paths['/jobs'];
    expect(api.document().paths['/jobs/{id}']!.get!.summary).toBe('One job');
    expect(api.document().paths['/jobs']).toBeDefined();
  });

  it('includes servers and leaves out what was not given', () => {
    const api = createApi({ title: 'T', version: '0', servers: [{ url: '/api' }] });
    expect(api.document()).toEqual({
      openapi: '3.1.0',
      info: { title: 'T', version: '0' },
      servers: [{ url: '/api' }],
      paths: {},
    });
  });

  it('refuses routes it cannot document faithfully', () => {
    const api = createApi({ title: 'T', version: '0' });
    const route = { summary: 's', responses: { '200': { description: 'ok' } } };
    const handler: RequestHandler = (_req, res) => void res.end();
    api.route({ ...route, method: 'get', path: '/a/:id', operationId: 'a', handler });

    const attempts: [() => void, string][] = [
      [
        () => api.route({ ...route, method: 'get', path: '/a/:id', handler }),
        'GET /a/:id: registered twice',
      ],
      [
        () => api.route({ ...route, method: 'post', path: '/b', operationId: 'a', handler }),
        'POST /b: operationId "a" is already used',
      ],
      [
        () => api.route({ ...route, method: 'get', path: '/c/*rest', handler }),
        'GET /c/*rest: give openApiPath; only paths made of /literal and /:param segments convert',
      ],
      [
        () => api.route({ ...route, method: 'get', path: '/d{/:x}', handler }),
        'GET /d{/:x}: give openApiPath; only paths made of /literal and /:param segments convert',
      ],
      [
        () =>
          api.route({
            ...route,
            method: 'get',
            path: '/e/:id',
            parameters: [{ name: 'key', in: 'path' }],
            handler,
          }),
        'GET /e/:id: path parameter "key" is not in the path',
      ],
    ];
    for (const [attempt, message] of attempts) {
      expect(attempt).toThrow(RouteDefinitionError);
      expect(attempt).toThrow(message);
    }
    // Refused routes leave no trace in the document or the router.
    expect(Object.keys(api.document().paths)).toEqual(['/a/{id}']);
  });

  it('can be mounted under a prefix', async () => {
    const api = createApi({ title: 'T', version: '0', servers: [{ url: '/v1' }] });
    api.route({
      method: 'get',
      path: '/ping',
      summary: 'Ping',
      responses: { '200': { description: 'pong' } },
      handler: (_req, res) => void res.send('pong'),
    });
    const app = express();
    app.use('/v1', api.router);
    const { url } = await serve(app);
    expect(await (await fetch(`${url}v1/ping`)).text()).toBe('pong');
  });
});
