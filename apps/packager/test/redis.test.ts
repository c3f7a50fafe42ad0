// The packager on Redis while Redis is down: quick 503s, and back to work once it returns.
import { afterEach, describe, expect, it } from 'vitest';
import { generateRows, startFakeCkan } from '@geoworks/fake-ckan';
import { eventually, startRedis } from '@geoworks/test-fixtures';
import { linkIn, postForm, startService, startSmtpSink } from './helpers.js';

const SECRET = 'redis test secret';
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('packager on Redis', () => {
  it('answers 503 with Retry-After while Redis is down, and packs again once it is back', async () => {
    const smtp = await startSmtpSink();
    cleanups.push(() => smtp.close());
    const ckan = await startFakeCkan();
    cleanups.push(() => ckan.stop());
    const rows = generateRows(20, 3, 1);
    await ckan.addResource({ id: 'birds', fields: rows.fields, rows });
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const service = await startService({
      PACKAGER_SECRET: SECRET,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      PACKAGER_ALLOWED_HOSTS: '127.0.0.1',
      PACKAGER_REDIS_URL: redis.url,
    });
    cleanups.push(() => service.cleanup());
    const request = {
      secret: SECRET,
      resource_id: 'birds',
      email: 'ann@example.org',
      api_url: ckan.apiUrl,
    };
    await redis.stop();

    for (const [path, fields] of [
      ['/package_datastore', request],
      ['/status', { secret: SECRET }],
    ] as const) {
      const response = await fetch(new URL(path, service.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
      expect(response.status, path).toBe(503);
      expect(response.headers.get('retry-after'), path).toBe('5');
      expect(await response.json(), path).toEqual({
        status: 'failed',
        error: 'ServiceUnavailableError',
        message: expect.stringMatching(/^The job queue is unavailable/),
      });
    }

    await redis.restart();
    await eventually(async () =>
      expect((await postForm(service.url, '/package_datastore', request)).status).toBe(200),
    );
    const mail = await smtp.waitFor(1);
    expect(mail.envelopeTo).toEqual(['ann@example.org']);
    expect((await fetch(linkIn(mail))).status).toBe(200);
  });
});
