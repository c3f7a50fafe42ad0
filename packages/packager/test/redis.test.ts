import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRows, startFakeCkan, type FakeCkan } from '@geoworks/fake-ckan';
import { createMailer, readOutbox, type Mailer } from '@geoworks/mailer';
import { startRedis, type RedisServer } from '@geoworks/test-fixtures';
import { loadDwcSettings, Packager, type PackageJobResult } from '../src/index.js';

// Two machines: a web node that only enqueues and serves downloads, a worker that builds.
describe('packager over Redis', () => {
  let redis: RedisServer;
  let ckan: FakeCkan;
  let root: string;
  const mailers: Mailer[] = [];
  const packagers: Packager[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    ckan = await startFakeCkan();
    const rows = generateRows(120, 6, 5);
    await ckan.addResource({ id: 'shared', fields: rows.fields, rows });
    root = await mkdtemp(join(tmpdir(), 'packager-redis-'));
  });
  afterAll(async () => {
    for (const packager of packagers) await packager.close();
    for (const mailer of mailers) mailer.close();
    await ckan?.stop();
    await redis?.stop();
    await rm(root, { recursive: true, force: true });
  });

  async function machine(name: string, consume: boolean): Promise<Packager> {
    const mailer = createMailer({
      outboxDir: join(root, name, 'outbox'),
      from: 'portal@example.org',
    });
    mailers.push(mailer);
    const packager = await Packager.open({
      dataDir: join(root, name),
      storeDir: join(root, 'shared-store'),
      redis: { url: redis.url, namespace: 'packager-test', consume },
      downloadBaseUrl: 'https://packager.example.org/downloads/',
      // The fake CKAN listens on loopback, refused unless allowed.
      allowPrivateAddresses: true,
      mailer,
      dwc: await loadDwcSettings(),
    });
    packagers.push(packager);
    return packager;
  }

  it('a job enqueued on one machine is built on another, into the shared store', async () => {
    const web = await machine('web', false);
    const worker = await machine('worker', true);
    const submission = await web.submit('datastore', {
      resource_id: 'shared',
      email: 'ann@example.org',
      api_url: ckan.apiUrl,
      limit: '100',
    });
    expect(submission.queue).toBe('fast');
    const job = await web.queue.wait(submission.jobId, { timeoutMs: 20_000 });
    expect(job.status).toBe('finished');
    const result = job.result as PackageJobResult;
    expect(result.count).toBe(100);
    // The web node serves what the worker built.
    const stored = await web.download(result.zipFileName);
    expect(stored.size).toBe(result.size);
    expect(await readdir(join(root, 'shared-store'))).toContain(result.zipFileName);
    const [mail] = await readOutbox(join(root, 'worker', 'outbox'));
    expect(mail?.to).toEqual(['ann@example.org']);
    expect(mail?.text).toContain(result.downloadUrl);
    expect(worker.stats.totals('shared').shared?.requests).toBe(1);
    // The same request from the web node is now a cache hit: fast queue, no CKAN call.
    const calls = ckan.searchCalls;
    const again = await web.submit('datastore', {
      resource_id: 'shared',
      email: 'bob@example.org',
      api_url: ckan.apiUrl,
      limit: '100',
    });
    expect(again.cached).toBe(true);
    expect((await web.queue.wait(again.jobId, { timeoutMs: 20_000 })).status).toBe('finished');
    expect(ckan.searchCalls).toBe(calls);
  });
});
