import { InvalidInputError } from '@geoworks/errors';
import { describe, expect, it } from 'vitest';
import {
  createApp,
  createLogger,
  errorHandler,
  notFoundHandler,
  type CreateAppOptions,
} from '../src/index.js';
import { captureLogs, serve } from './helpers/server.js';

async function appService(options: Partial<CreateAppOptions> = {}) {
  const { logger } = captureLogs();
  const app = createApp({ logger, ...options });
  app.post('/echo', (req, res) => {
    res.json({ body: req.body as unknown });
  });
  app.use(notFoundHandler(), errorHandler({ logger }));
  const handle = await serve(app);
  return handle.url;
}

describe('createApp', () => {
  it('parses JSON and URL-encoded bodies and does not advertise Express', async () => {
    const url = await appService();
    const json = await fetch(`${url}echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"bbox":[0,0,1,1]}',
    });
    expect(json.headers.get('x-powered-by')).toBeNull();
    expect(json.headers.get('x-request-id')).not.toBeNull();
    expect(await json.json()).toEqual({ body: { bbox: [0, 0, 1, 1] } });
    const form = await fetch(`${url}echo`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'rivers', crs: 'EPSG:4326' }),
    });
    expect(await form.json()).toEqual({ body: { name: 'rivers', crs: 'EPSG:4326' } });
  });

  it('limits bodies to 1 MiB by default, or to bodyLimitBytes', async () => {
    const post = (url: string, bytes: number) =>
      fetch(`${url}echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'x'.repeat(bytes) }),
      });
    const byDefault = await appService();
    expect((await post(byDefault, 1000 * 1000)).status).toBe(200);
    expect((await post(byDefault, 1024 * 1024)).status).toBe(413);
    const small = await appService({ bodyLimitBytes: 1000 });
    expect((await post(small, 900)).status).toBe(200);
    const refused = await post(small, 1000);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({
      error: { code: 'TOO_LARGE', details: { limit: 1000 } },
    });
  });

  it('sends no CORS headers unless asked', async () => {
    const url = await appService();
    const response = await fetch(`${url}echo`, {
      method: 'POST',
      headers: { Origin: 'https://maps.example.org' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows the configured origins only', async () => {
    const url = await appService({ corsOrigins: ['https://maps.example.org'] });
    const allowed = await fetch(`${url}echo`, {
      method: 'POST',
      headers: { Origin: 'https://maps.example.org' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://maps.example.org');
    expect(allowed.headers.get('access-control-expose-headers')).toBe('X-Request-Id');
    expect(allowed.headers.get('vary')).toBe('Origin');
    const other = await fetch(`${url}echo`, {
      method: 'POST',
      headers: { Origin: 'https://evil.example.com' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('vary')).toBe('Origin');

    const preflight = await fetch(`${url}echo`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://maps.example.org',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-request-id',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe(
      'GET, HEAD, POST, PUT, PATCH, DELETE',
    );
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,x-request-id');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
  });

  it('allows any origin with *', async () => {
    const url = await appService({ corsOrigins: ['*'] });
    const response = await fetch(`${url}echo`, {
      method: 'POST',
      headers: { Origin: 'https://anywhere.example.net' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('vary')).toBeNull();
  });
});

describe('createLogger', () => {
  it('accepts levels as operators write them and refuses unknown ones', () => {
    expect(createLogger({ level: ' WARN ' }).level).toBe('warn');
    expect(createLogger({ level: 'silent' }).level).toBe('silent');
    expect(createLogger().level).toBe('info');
    expect(() => createLogger({ level: 'verbose' })).toThrow(InvalidInputError);
    expect(() => createLogger({ level: 'verbose' })).toThrow(
      'Unknown log level "verbose"; expected one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('writes JSON lines with the name, level and an ISO time', () => {
    const lines: string[] = [];
    const logger = createLogger({
      name: 'flux',
      level: 'debug',
      destination: { write: (line: string) => void lines.push(line) },
    });
    logger.debug({ grid: 'co2' }, 'grid read');
    logger.trace('not written at debug');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 20, name: 'flux', grid: 'co2', msg: 'grid read' });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });
});
