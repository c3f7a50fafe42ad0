import { ConflictError } from '@geoworks/errors';
import { describe, expect, it } from 'vitest';
import {
  createApi,
  createApp,
  errorHandler,
  jsonResponse,
  notFoundHandler,
  recordRouteAnswers,
} from '../src/index.js';
import { captureLogs, serve } from './helpers/server.js';

async function jobsService() {
  const api = createApi({ title: 'jobs', version: '1', documentPath: '/openapi.json' });
  api.route({
    method: 'get',
    path: '/jobs/:id',
    summary: 'One job',
    responses: { '200': jsonResponse('The job') },
    handler: (req, res) => {
      if (req.params.id === 'busy') throw new ConflictError('The job is busy');
      res.json({ id: req.params.id });
    },
  });
  const { logger } = captureLogs();
  const app = createApp({ logger });
  app.use(api.router, notFoundHandler(), errorHandler({ logger }));
  return serve(app);
}

describe('recordRouteAnswers', () => {
  it('notes each route status once, and which ones the document does not list', async () => {
    const { url } = await jobsService();
    const recorder = recordRouteAnswers();
    for (const path of ['jobs/1', 'jobs/2', 'jobs/busy', 'openapi.json', 'no/such/route']) {
      await (await fetch(url + path)).text();
    }
    await (await fetch(`${url}jobs/3`, { method: 'HEAD' })).text();
    expect(recorder.answers()).toEqual([
      { api: 'jobs', route: 'GET /jobs/{id}', status: 200, documented: true },
      { api: 'jobs', route: 'GET /jobs/{id}', status: 409, documented: false },
      { api: 'jobs', route: 'GET /openapi.json', status: 200, documented: true },
    ]);
    expect(recorder.undocumented()).toEqual(['jobs GET /jobs/{id} 409']);

    recorder.stop();
    await (await fetch(`${url}jobs/busy`)).text();
    expect(recorder.answers()).toHaveLength(3);
  });
});
