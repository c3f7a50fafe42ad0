// A query parameter given twice is a 400 on every route, before any handler reads it.
import { callEveryRoute } from '@geoworks/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDatabase, startServer, type Server } from './helpers.js';

let server: Server;

beforeAll(async () => {
  server = await startServer(await makeDatabase([]));
});
afterAll(async () => {
  await server.stop();
});

describe('flux-server query parameters', () => {
  it('refuses a query parameter given twice on every route, naming it', async () => {
    const answers = await callEveryRoute(server.url, { query: '?time=1&time=2' });
    expect(answers.length).toBeGreaterThan(5);
    const body = 'Query parameter "time" is given 2 times: give it once';
    expect(answers).toEqual(answers.map(({ route }) => ({ route, status: 400, body })));
  });
});
