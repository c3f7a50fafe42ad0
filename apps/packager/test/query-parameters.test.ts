// A query parameter given twice is a 400 on every route, before any handler reads it.
import { callEveryRoute } from '@geoworks/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type Service } from './helpers.js';

let service: Service & { cleanup(): Promise<void> };

beforeAll(async () => {
  service = await startService({ PACKAGER_SECRET: 'query-test-secret' });
});
afterAll(async () => {
  await service.cleanup();
});

describe('packager query parameters', () => {
  it('refuses a query parameter given twice on every route, naming it', async () => {
    const answers = await callEveryRoute(service.url, { query: '?secret=1&secret=2' });
    expect(answers.length).toBeGreaterThan(5);
    const body = JSON.stringify({
      status: 'failed',
      error: 'BadRequestError',
      message: 'Query parameter "secret" is given 2 times: give it once',
    });
    expect(answers).toEqual(answers.map(({ route }) => ({ route, status: 400, body })));
  });
});
