// The packager on Redis while Redis is down: quick 503s, and back to work once it returns.
import { afterEach, describe, expect, it } from 'vitest';
import { generateRows, startFakeCkan, type Fault } from '@geoworks/fake-ckan';
import { eventually, startRedis } from '@geoworks/test-fixtures';
import { linkIn, postForm, startService, startSmtpSink } from './helpers.js';

const SECRET = 'redis test secret';
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A packager on its own Redis, a fake CKAN with one resource and an SMTP server. */
async function packagerOnRedis(faults: Fault[] = [], env: Record<string, string> = {}) {
  const smtp = await startSmtpSink();
  cleanups.push(() => smtp.close());
  const ckan = await startFakeCkan({ faults });
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
    ...env,
  });
  cleanups.push(() => service.cleanup());
  const request = {
    secret: SECRET,
    resource_id: 'birds',
    email: 'ann@example.org',
    api_url: ckan.apiUrl,
  };
  return { smtp, ckan, redis, service, request };
}

describe('packager on Redis', () => {
  it('answers 503 with Retry-After while Redis is down, and packs again once it is back', async () => {
    const { smtp, redis, service, request } = await packagerOnRedis();
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

describe('packager on Redis that loses its data', () => {
  it('logs a request whose job Redis lost as an error, and answers its status failed', async () => {
    // CKAN holds the answer: the job is running when Redis goes.
    const { smtp, ckan, redis, service, request } = await packagerOnRedis(
      [{ kind: 'delay', ms: 600_000 }],
      { PACKAGER_LOST_JOB_CHECK: '200ms' },
    );
    const accepted = await postForm(service.url, '/package_datastore', request);
    expect(accepted.status).toBe(200);
    const jobId = (accepted.body as { job_id: string }).job_id;
    await eventually(async () => expect(ckan.searchCalls).toBe(1));

    await redis.restart();
    const lost = `The job queue lost job ${jobId} while it was running (its Redis state is gone, for example after Redis restarted without its data); it was stopped and must be run again`;
    const errors = await eventually(async () => {
      const answer = await postForm(service.url, '/statistics/errors', { secret: SECRET });
      const list = (answer.body as { errors: { message: string }[] }).errors;
      expect(list).toHaveLength(1);
      return list;
    });
    expect(errors[0]).toMatchObject({
      resource_id: 'birds',
      email: 'ann@example.org',
      message: lost,
    });
    const status = await postForm(service.url, `/status/${jobId}`, { secret: SECRET });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      job_id: jobId,
      status: 'failed',
      resource_id: 'birds',
      error: { error: 'InternalServerError', status: 500, message: lost },
    });
    expect(smtp.mails).toEqual([]);
    // Ends the held CKAN answer, so the service need not wait for it to stop.
    await ckan.stop();
  });
});
