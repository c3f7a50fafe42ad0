import {
  GeoworksError,
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
  TooLargeError,
  UnavailableError,
  type ErrorKind,
} from '@geoworks/errors';
import express from 'express';
import { describe, expect, it, vi } from 'vitest';
import {
  createApp,
  errorHandler,
  httpStatusFor,
  notFoundHandler,
  type ErrorHandlerOptions,
} from '../src/index.js';
import { captureLogs, serve } from './helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const statusByKind: [ErrorKind, number][] = [
  ['invalid-input', 400],
  ['unauthorized', 401],
  ['forbidden', 403],
  ['not-found', 404],
  ['request-timeout', 408],
  ['conflict', 409],
  ['too-large', 413],
  ['unsupported-media-type', 415],
  ['aborted', 409],
  ['not-implemented', 501],
  ['upstream', 502],
  ['unavailable', 503],
  ['timeout', 504],
  ['rate-limited', 429],
  ['internal', 500],
];

/** An app with routes that fail in every way, behind the kit's handlers. */
async function failingService(options: Partial<ErrorHandlerOptions> = {}) {
  const { logger, lines } = captureLogs();
  const app = createApp({ logger, bodyLimitBytes: 100 });
  app.get('/kind/:kind', (req) => {
    throw new GeoworksError(req.params.kind as ErrorKind, `failure of kind ${req.params.kind}`);
  });
  app.get('/bad-bbox', () => {
    throw new InvalidInputError('bbox needs 4 numbers', {
      code: 'BAD_BBOX',
      details: { got: 3 },
    });
  });
  app.get('/queue-down', () => {
    throw new UnavailableError('The job queue is unavailable', {
      details: { retryAfterSeconds: 4.2 },
    });
  });
  app.get('/slow-down', () => {
    throw new RateLimitedError('Too many attempts: try again in 90 seconds', {
      retryAfterSeconds: 89.2,
    });
  });
  app.get('/bug', () => {
    throw new Error('connection to postgres://admin:hunter2@db failed');
  });
  app.get('/async-bug', async () => {
    await Promise.resolve();
    throw new TypeError('cannot read properties of undefined');
  });
  app.get('/half-sent', (_req, res, next) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('partial answer');
    setTimeout(() => next(new Error('failed while streaming')), 20);
  });
  app.post('/echo', (req, res) => {
    res.json(req.body);
  });
  app.use(notFoundHandler(), errorHandler({ logger, ...options }));
  const handle = await serve(app);
  return { url: handle.url, lines };
}

describe('httpStatusFor', () => {
  it.each(statusByKind)('maps kind %s to %i', (kind, status) => {
    expect(httpStatusFor(new GeoworksError(kind, 'x'))).toBe(status);
  });

  it('maps subclasses by their kind', () => {
    expect(httpStatusFor(new NotFoundError('no such job'))).toBe(404);
    expect(httpStatusFor(new TooLargeError('too big'))).toBe(413);
  });

  it('maps errors carrying an HTTP status, and anything else to 500', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      type: 'entity.too.large',
    });
    expect(httpStatusFor(tooLarge)).toBe(413);
    expect(httpStatusFor(Object.assign(new Error('x'), { statusCode: 404 }))).toBe(404);
    expect(httpStatusFor(Object.assign(new Error('x'), { status: 200 }))).toBe(500);
    expect(httpStatusFor(new Error('x'))).toBe(500);
    expect(httpStatusFor('a thrown string')).toBe(500);
    expect(httpStatusFor(undefined)).toBe(500);
    expect(httpStatusFor({ status: 404 })).toBe(500);
    expect(httpStatusFor(new GeoworksError('no-such-kind' as ErrorKind, 'x'))).toBe(500);
  });
});

describe('errorHandler', () => {
  it.each(statusByKind)('answers kind %s with %i over HTTP', async (kind, status) => {
    const { url } = await failingService();
    const response = await fetch(`${url}kind/${kind}`);
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual(
      kind === 'internal'
        ? { code: 'INTERNAL', message: 'Internal server error' }
        : { code: kind.toUpperCase().replaceAll('-', '_'), message: `failure of kind ${kind}` },
    );
  });

  it('says when to try again after a rate limit, in Retry-After', async () => {
    const { url } = await failingService();
    const response = await fetch(`${url}slow-down`);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('90');
    expect(((await response.json()) as { error: unknown }).error).toEqual({
      code: 'RATE_LIMITED',
      message: 'Too many attempts: try again in 90 seconds',
      details: { retryAfterSeconds: 89.2 },
    });
    expect((await fetch(`${url}bad-bbox`)).headers.get('retry-after')).toBeNull();
  });

  it('answers with the JSON error shape, request id included', async () => {
    const { url } = await failingService();
    const response = await fetch(`${url}bad-bbox`, { headers: { 'X-Request-Id': 'req-42' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('x-request-id')).toBe('req-42');
    expect(await response.json()).toEqual({
      error: { code: 'BAD_BBOX', message: 'bbox needs 4 numbers', details: { got: 3 } },
      requestId: 'req-42',
    });
  });

  it('tells when to come back with Retry-After, from details.retryAfterSeconds', async () => {
    const { url } = await failingService();
    const response = await fetch(`${url}queue-down`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toMatchObject({
      error: { code: 'UNAVAILABLE', details: { retryAfterSeconds: 4.2 } },
    });
    // Errors that do not say when to come back get no header.
    expect((await fetch(`${url}kind/unavailable`)).headers.get('retry-after')).toBeNull();
  });

  it('never shows an internal error message or stack to the client, but logs them', async () => {
    const { url, lines } = await failingService();
    for (const path of ['bug', 'async-bug']) {
      const response = await fetch(url + path);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toMatch(/hunter2|postgres|undefined|TypeError|\bat /);
      const body = JSON.parse(text) as { error: unknown; requestId: string };
      expect(body.error).toEqual({ code: 'INTERNAL', message: 'Internal server error' });
      expect(body.requestId).toMatch(UUID);
    }
    const errors = lines.filter((line) => line.level === 50);
    expect(errors.map((line) => line.msg)).toEqual(['GET /bug failed', 'GET /async-bug failed']);
    const err = errors[0]!.err as { message: string; stack: string };
    expect(err.message).toBe('connection to postgres://admin:hunter2@db failed');
    expect(err.stack).toContain('http-errors.test.ts');
    expect(errors[0]!.status).toBe(500);
    expect(typeof errors[0]!.requestId).toBe('string');
  });

  it('logs client errors at info, without a stack', async () => {
    const { url, lines } = await failingService();
    const response = await fetch(`${url}bad-bbox`);
    await response.arrayBuffer();
    const logged = lines.find((line) => line.msg === 'bbox needs 4 numbers');
    expect(logged).toMatchObject({ level: 30, status: 400, code: 'BAD_BBOX' });
    expect(logged).not.toHaveProperty('err');
    expect(JSON.stringify(logged)).not.toContain('stack');
  });

  it("maps Express's body-parser errors", async () => {
    const { url } = await failingService();
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${url}echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
      });

    const fine = await post('{"a":1}');
    expect(await fine.json()).toEqual({ a: 1 });

    const tooLarge = await post(JSON.stringify({ text: 'x'.repeat(200) }));
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { error: unknown }).error).toEqual({
      code: 'TOO_LARGE',
      message: 'Request body is larger than the limit of 100 bytes',
      details: { limit: 100 },
    });

    const malformed = await post('{"a":');
    expect(malformed.status).toBe(400);
    const parseError = ((await malformed.json()) as { error: { code: string; message: string } })
      .error;
    expect(parseError.code).toBe('MALFORMED_BODY');
    expect(parseError.message).toMatch(/^Malformed request body: .*JSON/);

    const charset = await post('{}', { 'Content-Type': 'application/json; charset=klingon' });
    expect(charset.status).toBe(415);
    expect(await charset.json()).toMatchObject({
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported charset "KLINGON"' },
    });

    const encoding = await post('{}', { 'Content-Encoding': 'bogus' });
    expect(encoding.status).toBe(415);
    expect(await encoding.json()).toMatchObject({
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'unsupported content encoding "bogus"' },
    });
  });

  it('answers unknown routes with a 404 in the same format', async () => {
    const { url } = await failingService();
    const response = await fetch(`${url}no/such/route?x=1`, { method: 'DELETE' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: {
        code: 'ROUTE_NOT_FOUND',
        message: 'No route for DELETE /no/such/route',
        details: { method: 'DELETE', path: '/no/such/route' },
      },
      requestId: response.headers.get('x-request-id'),
    });
  });

  it('lets a service choose its own wire format', async () => {
    const { url } = await failingService({
      format: (_error, status, req, publicError) => ({
        body: `ERROR ${status} ${publicError.code}: ${publicError.message} (${req.method} ${publicError.requestId})`,
      }),
    });
    const notFound = await fetch(`${url}nowhere`, { headers: { 'X-Request-Id': 'abc' } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await notFound.text()).toBe(
      'ERROR 404 ROUTE_NOT_FOUND: No route for GET /nowhere (GET abc)',
    );
    const bug = await fetch(`${url}bug`, { headers: { 'X-Request-Id': 'abc' } });
    expect(bug.status).toBe(500);
    expect(await bug.text()).toBe('ERROR 500 INTERNAL: Internal server error (GET abc)');
  });

  it('honours the content type a formatter gives', async () => {
    const { url } = await failingService({
      format: (_error, _status, _req, { message }) => ({
        body: { message },
        contentType: 'application/problem+json',
      }),
    });
    const response = await fetch(`${url}bad-bbox`);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual({ message: 'bbox needs 4 numbers' });
  });

  it('falls back to the default body when the formatter throws', async () => {
    const { url, lines } = await failingService({
      format: () => {
        throw new Error('formatter bug');
      },
    });
    const response = await fetch(`${url}bad-bbox`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'BAD_BBOX' } });
    expect(lines.some((line) => line.level === 50 && line.msg.includes('formatter failed'))).toBe(
      true,
    );
  });

  it('closes the connection when the response had already started', async () => {
    const { url, lines } = await failingService();
    const response = await fetch(`${url}half-sent`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    await vi.waitFor(() =>
      expect(lines.some((line) => line.msg === 'GET /half-sent failed')).toBe(true),
    );
  });

  it('works without requestLogger, using its own logger', async () => {
    const { logger, lines } = captureLogs();
    const app = express();
    app.get('/', () => {
      throw new NotFoundError('nothing here');
    });
    app.use(errorHandler({ logger }));
    const { url } = await serve(app);
    const response = await fetch(url);
    expect(await response.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'nothing here' },
    });
    expect(lines.find((line) => line.msg === 'nothing here')).toMatchObject({ status: 404 });
  });
});

describe('requestLogger', () => {
  async function echoService() {
    const { logger, lines } = captureLogs();
    const app = createApp({ logger });
    app.get('/hello', (req, res) => {
      req.log.info('handling');
      res.send('hi');
    });
    app.use(notFoundHandler(), errorHandler({ logger }));
    const handle = await serve(app);
    return { url: handle.url, lines };
  }

  it('reuses a safe incoming X-Request-Id and replaces an unsafe one', async () => {
    const { url } = await echoService();
    const idFor = async (id?: string) => {
      const response = await fetch(
        `${url}hello`,
        id === undefined ? {} : { headers: { 'X-Request-Id': id } },
      );
      await response.arrayBuffer();
      return response.headers.get('x-request-id');
    };
    expect(await idFor('4bf92f3577b34da6a3ce929d0e0e4736')).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(await idFor('trace.1:span_2-x')).toBe('trace.1:span_2-x');
    expect(await idFor()).toMatch(UUID);
    expect(await idFor('has space')).toMatch(UUID);
    expect(await idFor('<script>')).toMatch(UUID);
    expect(await idFor('x'.repeat(65))).toMatch(UUID);
    const first = await idFor();
    expect(await idFor()).not.toBe(first);
  });

  it('logs one line per request with method, url, status and duration', async () => {
    const { url, lines } = await echoService();
    const ok = await fetch(`${url}hello?x=1`, { headers: { 'X-Request-Id': 'one' } });
    await ok.text();
    const missing = await fetch(`${url}missing`, { headers: { 'X-Request-Id': 'two' } });
    await missing.text();
    await vi.waitFor(() =>
      expect(lines.filter((line) => line.msg === 'request completed')).toHaveLength(2),
    );
    const access = lines.filter((line) => line.msg === 'request completed');
    expect(access[0]).toMatchObject({
      level: 30,
      requestId: 'one',
      method: 'GET',
      url: '/hello?x=1',
      status: 200,
    });
    expect(access[1]).toMatchObject({ requestId: 'two', url: '/missing', status: 404 });
    for (const line of access) expect(line.durationMs).toBeGreaterThanOrEqual(0);
    // The handler's own line carries the request id too.
    expect(lines.find((line) => line.msg === 'handling')).toMatchObject({ requestId: 'one' });
  });
});
