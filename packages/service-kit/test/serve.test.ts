import { InvalidInputError } from '@geoworks/errors';
import { Router } from 'express';
import { describe, expect, it } from 'vitest';
import { serveApp } from '../src/index.js';
import { captureLogs } from './helpers/server.js';

function routes(): Router {
  const router = Router();
  router.get('/hello', (_req, res) => {
    res.type('text/plain').send('hello');
  });
  router.get('/bad', () => {
    throw new InvalidInputError('no such thing');
  });
  return router;
}

describe('serveApp', () => {
  it('serves the handlers with the not-found and error handlers, and closes on stop', async () => {
    const { logger } = captureLogs();
    const closed: string[] = [];
    const handle = await serveApp({
      logger,
      port: 0,
      host: '127.0.0.1',
      handlers: [routes()],
      formatError: (_error, status, _req, view) => ({
        body: `${status} ${view.message}\n`,
        contentType: 'text/plain; charset=utf-8',
      }),
      closers: [() => void closed.push('queue'), () => void closed.push('database')],
    });
    expect(await (await fetch(`${handle.url}hello`)).text()).toBe('hello');
    const bad = await fetch(`${handle.url}bad`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('400 no such thing\n');
    expect((await fetch(`${handle.url}nowhere`)).status).toBe(404);
    await handle.stop();
    expect(closed).toEqual(['database', 'queue']);
  });

  it('closes what the service opened when it cannot listen, and says why', async () => {
    const { logger } = captureLogs();
    const first = await serveApp({ logger, port: 0, host: '127.0.0.1', handlers: [routes()] });
    const closed: string[] = [];
    try {
      await expect(
        serveApp({
          logger,
          port: first.port,
          host: '127.0.0.1',
          handlers: [routes()],
          closers: [() => void closed.push('queue'), () => void closed.push('database')],
        }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(closed).toEqual(['database', 'queue']);
    } finally {
      await first.stop();
    }
  });
});
