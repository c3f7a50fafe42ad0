// Parameters and bodies are read from the schemas the document shows: typed, defaulted, refused.
import { existsSync, readdirSync } from 'node:fs';
import { InvalidInputError } from '@geoworks/errors';
import type { RequestHandler } from 'express';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createApi,
  createApp,
  errorHandler,
  notFoundHandler,
  RouteDefinitionError,
  type ApiInfo,
  type UploadedFile,
} from '../src/index.js';
import { MULTIPART_TYPE, multipartBody } from './helpers/multipart.js';
import { captureLogs, serve, temporaryDir } from './helpers/server.js';

const job = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', maxLength: 10 },
    cpus: { type: 'integer', minimum: 1, maximum: 8, default: 1 },
    urgent: { type: 'boolean' },
    after: { type: 'string', format: 'date-time' },
    mode: { enum: ['fast', 'slow'] },
    filters: { description: 'Any JSON, given as it is' },
  },
} as const;

/** A service whose handlers echo what they received, and whose guard refuses `?deny=1`. */
async function inputService(info: Partial<ApiInfo> = {}) {
  const uploadDir = temporaryDir('inputs');
  const api = createApi({ title: 'Inputs', version: '1.0.0', ...info });
  api.route({
    method: 'get',
    path: '/jobs',
    summary: 'Jobs',
    parameters: [
      { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0, default: 100 } },
      { name: 'since', in: 'query', schema: { type: 'string', format: 'date-time' } },
      { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
    ],
    responses: { '200': { description: 'The query as read' } },
    handler: (req, res) => {
      expectTypeOf(req.query).toEqualTypeOf<{ limit: number; q: string; since?: Date }>();
      res.json({ ...req.query, since: req.query.since?.toISOString() ?? null });
    },
  });
  api.route({
    method: 'post',
    path: '/jobs',
    summary: 'Start a job',
    requestBody: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': { schema: job },
        'application/json': { schema: job },
      },
    },
    responses: { '200': { description: 'The body as read' } },
    handler: (req, res) => {
      expectTypeOf(req.body.cpus).toEqualTypeOf<number>();
      expectTypeOf(req.body.urgent).toEqualTypeOf<boolean | undefined>();
      expectTypeOf(req.body.mode).toEqualTypeOf<'fast' | 'slow' | undefined>();
      res.json({ ...req.body, after: req.body.after?.toISOString() });
    },
  });
  const guard: RequestHandler = (req, _res, next) => {
    next(req.query.deny === '1' ? new InvalidInputError('Denied', { code: 'DENIED' }) : undefined);
  };
  api.route({
    method: 'post',
    path: '/uploads',
    summary: 'Upload a dataset',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['file', 'band'],
            properties: { file: { type: 'string', format: 'binary' }, band: { type: 'integer' } },
          },
        },
      },
    },
    uploads: { dir: uploadDir, maxFileBytes: 1000 },
    responses: { '200': { description: 'What was received' } },
    handler: [
      guard,
      (req, res) => {
        expectTypeOf(req.body.file).toEqualTypeOf<UploadedFile>();
        expectTypeOf(req.files).toEqualTypeOf<UploadedFile[]>();
        res.json({
          band: req.body.band,
          file: req.body.file.originalName,
          stored: existsSync(req.body.file.path),
          files: req.files.map((file) => file.field),
        });
      },
    ],
  });
  const { logger } = captureLogs();
  const app = createApp({ logger });
  app.use(api.router, notFoundHandler(), errorHandler({ logger }));
  const base = (await serve(app)).url.replace(/\/$/, '');
  return { base, uploadDir };
}

async function call(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  const body = (await response.json()) as { error?: { message: string } };
  return { status: response.status, body: body.error?.message ?? body };
}

const form = (fields: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: fields,
});
const json = (value: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

describe('query parameters', () => {
  it('reach the handler typed, with their defaults', async () => {
    const { base } = await inputService();
    expect(await call(`${base}/jobs?q=x`)).toEqual({
      status: 200,
      body: { q: 'x', limit: 100, since: null },
    });
    expect(await call(`${base}/jobs?q=x&limit=5&since=2024-08-01T12:00:00Z&other=kept`)).toEqual({
      status: 200,
      body: { q: 'x', limit: 5, since: '2024-08-01T12:00:00.000Z', other: 'kept' },
    });
    expect(await call(`${base}/jobs?q=x&since=2024-08-01`)).toEqual({
      status: 200,
      body: { q: 'x', limit: 100, since: '2024-08-01T00:00:00.000Z' },
    });
    expect(await call(`${base}/jobs?q=x&since=yesterday`)).toEqual({
      status: 400,
      body: 'Query parameter "since" must be an ISO 8601 date or date-time, not "yesterday"',
    });
  });
});

describe('form and JSON bodies', () => {
  it('reach the handler typed and defaulted, undeclared fields as given', async () => {
    const { base } = await inputService();
    const expected = {
      name: 'a',
      cpus: 4,
      urgent: true,
      after: '2024-08-01T00:00:00.000Z',
      mode: 'fast',
      extra: 'x',
    };
    expect(
      await call(
        `${base}/jobs`,
        form('name=a&cpus=4&urgent=true&after=2024-08-01&mode=fast&extra=x'),
      ),
    ).toEqual({ status: 200, body: expected });
    // JSON numbers and booleans count as their text; JSON values of untyped fields pass as given.
    expect(
      await call(
        `${base}/jobs`,
        json({ name: 'a', cpus: 4, urgent: 'true', after: '2024-08-01', mode: 'fast', extra: 'x' }),
      ),
    ).toEqual({ status: 200, body: expected });
    expect(await call(`${base}/jobs`, json({ name: 'b', filters: { a: [1] } }))).toEqual({
      status: 200,
      body: { name: 'b', cpus: 1, filters: { a: [1] } },
    });
  });

  it('refuses missing, repeated and invalid fields, naming them', async () => {
    const { base } = await inputService();
    const cases: [RequestInit, string][] = [
      [form('cpus=2'), 'Form field "name" is required'],
      [form('name=a&name=b'), 'Form field "name" is given 2 times: give it once'],
      [form('name=a&cpus=9'), 'Form field "cpus" must be an integer from 1 to 8, not "9"'],
      [form('name=a&cpus='), 'Form field "cpus" must be an integer from 1 to 8, not ""'],
      [form('name=abcdefghijk'), 'Form field "name" is longer than 10 characters'],
      [form('name=a&mode=medium'), 'Form field "mode" must be one of fast, slow, not "medium"'],
      [json({ name: 'a', cpus: 2.5 }), 'Field "cpus" must be an integer from 1 to 8, not "2.5"'],
      [json({ name: ['a'] }), 'Field "name" must be text'],
      [json({}), 'Field "name" is required'],
    ];
    for (const [init, message] of cases) {
      expect(await call(`${base}/jobs`, init), String(init.body)).toEqual({
        status: 400,
        body: message,
      });
    }
  });

  it("speaks the API's words, and can take blank fields as not given", async () => {
    const { base } = await inputService({
      emptyFields: 'absent',
      describeProblem: (problem) =>
        problem.problem === 'missing' ? `Parameter ${problem.name} is required` : undefined,
    });
    expect(await call(`${base}/jobs`, form('name=%20%20&cpus='))).toEqual({
      status: 400,
      body: 'Parameter name is required',
    });
    expect(await call(`${base}/jobs`, form('name=a&cpus=&urgent='))).toEqual({
      status: 200,
      body: { name: 'a', cpus: 1 },
    });
  });
});

describe('multipart bodies', () => {
  const upload = (parts: Parameters<typeof multipartBody>[0]) => ({
    method: 'POST',
    headers: { 'content-type': MULTIPART_TYPE },
    body: multipartBody(parts),
  });

  it('receive the files, type the fields, and delete the files after the handler', async () => {
    const { base, uploadDir } = await inputService();
    const answer = await call(
      `${base}/uploads`,
      upload([
        { field: 'band', value: '2' },
        { field: 'file', filename: 'rivers.gpkg', content: 'GPKG' },
        { field: 'extra', filename: 'notes.txt', content: 'n' },
      ]),
    );
    expect(answer).toEqual({
      status: 200,
      body: { band: 2, file: 'rivers.gpkg', stored: true, files: ['file', 'extra'] },
    });
    expect(readdirSync(uploadDir)).toEqual([]);
  });

  it('refuses a missing file or a bad field, keeping nothing', async () => {
    const { base, uploadDir } = await inputService();
    expect(await call(`${base}/uploads`, upload([{ field: 'band', value: '1' }]))).toEqual({
      status: 400,
      body: 'Form field "file" is required',
    });
    expect(
      await call(
        `${base}/uploads`,
        upload([
          { field: 'band', value: 'x' },
          { field: 'file', filename: 'a.gpkg', content: 'GPKG' },
        ]),
      ),
    ).toEqual({
      status: 400,
      body: 'Form field "band" must be an integer from -9007199254740991 to 9007199254740991, not "x"',
    });
    expect(readdirSync(uploadDir)).toEqual([]);
  });

  it('runs the guards before receiving anything', async () => {
    const { base, uploadDir } = await inputService();
    expect(
      await call(
        `${base}/uploads?deny=1`,
        upload([{ field: 'file', filename: 'a.gpkg', content: 'GPKG' }]),
      ),
    ).toEqual({ status: 400, body: 'Denied' });
    expect(readdirSync(uploadDir)).toEqual([]);
  });
});

describe('route declarations', () => {
  const route = (spec: Record<string, unknown>) => () =>
    createApi({ title: 'x', version: '1' }).route({
      method: 'post',
      path: '/x',
      summary: 'x',
      responses: { '200': { description: 'ok' } },
      handler: () => undefined,
      ...spec,
    });
  const body = (type: string, schema: Record<string, unknown>) => ({
    requestBody: { content: { [type]: { schema } } },
  });

  it('refuses schemas with keywords the checks do not enforce', () => {
    expect(
      route({
        parameters: [{ name: 'a', in: 'query', schema: { type: 'string', format: 'email' } }],
      }),
    ).toThrow(RouteDefinitionError);
    expect(
      route({ parameters: [{ name: 'a', in: 'query', schema: { oneOf: [{ type: 'string' }] } }] }),
    ).toThrow('POST /x parameter "a": "oneOf" is not a keyword service-kit enforces on inputs');
    expect(
      route({
        parameters: [{ name: 'a', in: 'query', schema: { type: 'integer', default: 'x' } }],
      }),
    ).toThrow('POST /x parameter "a": the default must be an integer');
    expect(
      route(
        body('application/json', {
          type: 'object',
          properties: { a: { type: 'string' } },
          additionalProperties: false,
        }),
      ),
    ).toThrow('"additionalProperties" is not a keyword service-kit enforces on request bodies');
    expect(route(body('application/json', { type: 'object', required: ['a'] }))).toThrow(
      'required field "a" is not described',
    );
    expect(route(body('multipart/form-data', { type: 'object' }))).toThrow(
      'a multipart body needs uploads',
    );
  });
});

describe('statusByKind', () => {
  it("re-maps the use case's kinds, never service-kit's refusals of the request", async () => {
    const api = createApi({ title: 'Kinds', version: '1' });
    api.route({
      method: 'post',
      path: '/check',
      summary: 'Refuses its input',
      requestBody: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              required: ['name'],
              properties: { name: { type: 'string' } },
            },
          },
        },
      },
      responses: { '406': { description: 'Unusable' } },
      handler: () => {
        throw new InvalidInputError('Not a dataset', { code: 'NOT_A_DATASET' });
      },
    });
    const { logger } = captureLogs();
    const app = createApp({ logger });
    app.use(
      api.router,
      notFoundHandler(),
      errorHandler({ logger, statusByKind: { 'invalid-input': 406 } }),
    );
    const base = (await serve(app)).url.replace(/\/$/, '');
    expect(await call(`${base}/check`, form('name=a'))).toEqual({
      status: 406,
      body: 'Not a dataset',
    });
    expect(await call(`${base}/check`, form(''))).toEqual({
      status: 400,
      body: 'Form field "name" is required',
    });
  });
});
