// calc-server on Redis when Redis goes away, or comes back without its data.
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, startRedis, type RedisServer } from '@geoworks/test-fixtures';
import { postArchive, startServer, zipOf, type Server } from './helpers.js';

const slowJob = () =>
  zipOf({ 'job.ini': '[a]\ndescription = Slow\ncalculation_mode = slow\nseconds = 120\n' });

const servers: Server[] = [];
const redises: RedisServer[] = [];

async function redisOn(): Promise<RedisServer> {
  const redis = await startRedis();
  redises.push(redis);
  return redis;
}

async function serverOn(redis: RedisServer, lostJobCheck: string) {
  const { server } = await startServer({
    CALC_SERVER_REDIS_URL: redis.url,
    CALC_SERVER_LOST_JOB_CHECK: lostJobCheck,
  });
  servers.push(server);
  return server.url.replace(/\/$/, '');
}

async function statusOf(base: string, id: number): Promise<Record<string, unknown>> {
  return (await (await fetch(`${base}/v1/calc/${id}`)).json()) as Record<string, unknown>;
}

async function startSlowJob(base: string): Promise<number> {
  const response = await postArchive(`${base}/v1/calc/run`, await slowJob());
  expect(response.status).toBe(200);
  const { job_id } = (await response.json()) as { job_id: number };
  await eventually(async () => expect((await statusOf(base, job_id)).status).toBe('executing'));
  return job_id;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await Promise.all(redises.splice(0).map((redis) => redis.stop()));
});

describe('calc-server on Redis', () => {
  it('answers 503 with Retry-After while Redis is down, and runs jobs again once it is back', async () => {
    const redis = await redisOn();
    const base = await serverOn(redis, '1h');
    await redis.stop();

    const refused = await postArchive(`${base}/v1/calc/run`, await slowJob());
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /^The job queue is unavailable/,
    );
    // Nothing half-made is left behind: the refused run is not listed.
    expect(await (await fetch(`${base}/v1/calc/list`)).json()).toEqual([]);

    await redis.restart();
    const accepted = await eventually(async () => {
      const response = await postArchive(`${base}/v1/calc/run`, await slowJob());
      expect(response.status).toBe(200);
      return (await response.json()) as { job_id: number };
    });
    expect(accepted.job_id).toBeGreaterThan(0);
    expect((await (await fetch(`${base}/v1/calc/list`)).json()) as unknown[]).toHaveLength(1);
  });

  it('fails a running job whose Redis state was lost, saying why in its log', async () => {
    const redis = await redisOn();
    const base = await serverOn(redis, '200ms');
    const id = await startSlowJob(base);

    await redis.stop();
    // An outage alone does not fail the job: the server cannot tell yet.
    expect((await statusOf(base, id)).status).toBe('executing');
    const logSize = await fetch(`${base}/v1/calc/${id}/log/size`);
    expect(logSize.status).toBe(503);
    expect(logSize.headers.get('retry-after')).toBe('5');

    await redis.restart();
    const failed = await eventually(async () => {
      const status = await statusOf(base, id);
      expect(status.status).toBe('failed');
      return status;
    });
    expect(failed.is_running).toBe(false);
    const traceback = (await (await fetch(`${base}/v1/calc/${id}/traceback`)).json()) as string[];
    expect(traceback.join('\n')).toMatch(/^The job queue lost job \S+ while it was running/);
    const log = (await (await fetch(`${base}/v1/calc/${id}/log/:`)).json()) as string[][];
    expect(log.map((row) => row[1])).toEqual(['CRITICAL']);
    expect((await fetch(`${base}/v1/calc/${id}/results`)).status).toBe(404);
  });

  it('aborts a job the server lists as running after Redis lost it', async () => {
    const redis = await redisOn();
    // No check before the abort: the server still lists the job as running.
    const base = await serverOn(redis, '1h');
    const id = await startSlowJob(base);
    await redis.restart();

    const abort = await eventually(async () => {
      const response = await fetch(`${base}/v1/calc/${id}/abort`, { method: 'POST' });
      expect(response.status).toBe(200);
      return response;
    });
    expect(await abort.json()).toEqual({ success: `Killing job ${id}` });
    expect(await statusOf(base, id)).toMatchObject({ status: 'aborted', is_running: false });
    const again = await fetch(`${base}/v1/calc/${id}/abort`, { method: 'POST' });
    expect(await again.json()).toEqual({ error: `Job ${id} is not running` });
  });
});
