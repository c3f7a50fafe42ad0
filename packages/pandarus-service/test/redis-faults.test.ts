// The service on Redis when Redis comes back without its data: no job becomes unknown.
import { createHash, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, pandarusFixture, startRedis, type RedisServer } from '@geoworks/test-fixtures';
import { PandarusService, type PandarusServiceOptions } from '../src/index.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redisOn(): Promise<RedisServer> {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  return redis;
}

async function open(options: PandarusServiceOptions): Promise<PandarusService> {
  const service = await PandarusService.open({ cpus: 0, compress: false, ...options });
  cleanups.push(() => service.close());
  return service;
}

/** Uploads a pandarus fixture as the HTTP route would hand it over; returns its hash. */
async function upload(service: PandarusService, dataDir: string, fixture: string) {
  const received = join(dataDir, `incoming-${randomUUID()}`);
  copyFileSync(pandarusFixture(fixture), received);
  const sha256 = createHash('sha256').update(readFileSync(received)).digest('hex');
  await service.upload(
    { name: fixture, sha256, band: '', layer: '', field: 'name' },
    { path: received, sha256 },
  );
  return sha256;
}

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pandarus-service-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('PandarusService on Redis', () => {
  it('fails a queued job that Redis lost, with a readable reason, instead of forgetting it', async () => {
    const redis = await redisOn();
    const dir = dataDir();
    const namespace = `lost-${randomUUID().slice(0, 8)}`;
    // Upload with a service that runs jobs (the inspection)...
    const uploader = await open({ dataDir: dir, redis: { url: redis.url, namespace } });
    const grid = await upload(uploader, dir, 'grid.geojson');
    const square = await upload(uploader, dir, 'square.geojson');
    await uploader.close();
    // ...then queue with a front that leaves jobs to worker hosts (none here): it stays queued.
    const front = await open({
      dataDir: dir,
      redis: { url: redis.url, namespace, consume: false },
      lostJobCheckMs: 0,
    });
    const id = await front.requestIntersection(grid, square);
    expect(await front.status(id)).toEqual({ status: 'queued', error: null });

    await redis.restart();
    const status = await eventually(() => front.status(id));
    expect(status?.status).toBe('failed');
    expect(status?.error).toBe(
      `The job queue lost job ${id} while it was queued (its Redis state is gone, for example after Redis restarted without its data); it was stopped and must be run again`,
    );
    // The dedupe key went with Redis too: asking again queues a new job.
    const again = await front.requestIntersection(grid, square);
    expect(again).not.toBe(id);
    expect((await front.status(again))?.status).toBe('queued');
    expect(await front.status('no-such-job')).toBeNull();
  });

  it('keeps answering finished for a job the queue no longer holds', async () => {
    const redis = await redisOn();
    const dir = dataDir();
    const service = await open({
      dataDir: dir,
      redis: { url: redis.url, namespace: `kept-${randomUUID().slice(0, 8)}` },
    });
    const grid = await upload(service, dir, 'grid.geojson');
    const square = await upload(service, dir, 'square.geojson');
    const id = await service.requestIntersection(grid, square);
    await eventually(async () => expect((await service.status(id))?.status).toBe('finished'));

    await redis.restart();
    expect(await eventually(() => service.status(id))).toEqual({
      status: 'finished',
      error: null,
    });
    expect(service.catalog().intersections).toContainEqual([grid, square]);
  });
});
