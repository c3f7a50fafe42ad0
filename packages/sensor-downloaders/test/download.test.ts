// The download engine over real HTTP: resume, integrity, retries, stalls, cancellation,
// redirects and the Authorization rules.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DownloadCancelled,
  fetchFile,
  HttpClient,
  IntegrityError,
  StalledTransferError,
} from '../src/index.js';
import {
  serveFile,
  startFakeServer,
  SyntheticFile,
  type FakeServer,
  type FileFaults,
} from './fakes/http.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fileHost(
  file: SyntheticFile,
  faults: FileFaults = {},
  filename?: string,
): Promise<FakeServer> {
  const server = await startFakeServer((req, res) =>
    serveFile(req, res, file, { faults, ...(filename === undefined ? {} : { filename }) }),
  );
  servers.push(server);
  return server;
}

const client = (retries = 5, maxDelayMs = 50) =>
  new HttpClient({ provider: 'Test', retry: { retries, baseDelayMs: 5, maxDelayMs } });
const outdir = () => mkdtempSync(join(tmpdir(), 'sensor-dl-'));
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

describe('fetchFile', () => {
  it('downloads, verifies size and MD5, and writes the file only when complete', async () => {
    const file = new SyntheticFile(300_000, 3);
    const host = await fileHost(file);
    const dir = outdir();
    const seen: number[] = [];
    const fetched = await fetchFile(
      client(),
      'S1',
      { url: `${host.url}/a.zip`, filename: 'a.zip', key: 'S1', size: file.size, md5: file.md5 },
      {
        outdir: dir,
        onProgress: ({ bytes }) => seen.push(bytes),
      },
    );
    expect(fetched).toEqual({
      path: join(dir, 'a.zip'),
      bytes: 300_000,
      skipped: false,
      resumedFrom: 0,
    });
    expect(md5(readFileSync(join(dir, 'a.zip')))).toBe(file.md5);
    expect(readdirSync(dir)).toEqual(['a.zip']);
    expect(seen.at(-1)).toBe(300_000);
  });

  it('resumes with Range after the connection drops halfway', async () => {
    const file = new SyntheticFile(400_000, 5);
    const host = await fileHost(file, { dropAtByte: 200_000 });
    const dir = outdir();
    const fetched = await fetchFile(
      client(),
      'S1',
      { url: `${host.url}/b.bin`, filename: 'b.bin', key: 'S1', size: file.size, md5: file.md5 },
      { outdir: dir },
    );
    expect(fetched.bytes).toBe(400_000);
    expect(md5(readFileSync(fetched.path))).toBe(file.md5);
    // The server cut at byte 200,000; what was in flight at that moment is lost and asked again.
    const [first, second] = host.requests.map((request) => request.headers.range);
    expect(first).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(second!)![1]);
    expect(resumedAt).toBeGreaterThan(100_000);
    expect(resumedAt).toBeLessThanOrEqual(200_000);
    expect(host.requests).toHaveLength(2);
  });

  it('resumes a .part file left by an earlier run', async () => {
    const file = new SyntheticFile(100_000, 7);
    const host = await fileHost(file);
    const dir = outdir();
    writeFileSync(join(dir, 'c.bin.part'), file.slice(0, 60_000));
    const fetched = await fetchFile(
      client(),
      'S1',
      { url: `${host.url}/c.bin`, filename: 'c.bin', key: 'S1', size: file.size, md5: file.md5 },
      { outdir: dir },
    );
    expect(fetched.resumedFrom).toBe(60_000);
    expect(host.requests[0]!.headers.range).toBe('bytes=60000-');
    expect(md5(readFileSync(fetched.path))).toBe(file.md5);
  });

  it('waits as Retry-After says on 429 and retries 5xx', async () => {
    const file = new SyntheticFile(10_000);
    const host = await fileHost(file, {
      tooManyRequests: 1,
      retryAfterSeconds: 1,
      serverErrors: 2,
    });
    // The waits are recorded, not waited: what they were asked to be is what is checked.
    const waits: number[] = [];
    const recording = new HttpClient({
      provider: 'Test',
      retry: { retries: 5, baseDelayMs: 5, maxDelayMs: 5000 },
      sleep: async (ms) => void waits.push(ms),
    });
    const fetched = await fetchFile(
      recording,
      'S1',
      { url: `${host.url}/d`, filename: 'd', key: 'S1', size: file.size },
      { outdir: outdir() },
    );
    expect(fetched.bytes).toBe(10_000);
    expect(host.requests).toHaveLength(4);
    // Retry-After: 1 is a full second; the two 5xx after it get jittered backoffs of at most
    // 10 and 20 ms (5 ms doubled per attempt).
    expect(waits).toHaveLength(3);
    expect(waits[0]).toBe(1000);
    expect(waits[1]).toBeLessThanOrEqual(10);
    expect(waits[2]).toBeLessThanOrEqual(20);
  });

  it('starts over once on a checksum mismatch, and fails clearly the second time', async () => {
    const file = new SyntheticFile(50_000, 9);
    const once = await fileHost(file, { corruptions: 1 });
    const dir = outdir();
    const fetched = await fetchFile(
      client(),
      'S1',
      { url: `${once.url}/e`, filename: 'e', key: 'S1', size: file.size, md5: file.md5 },
      { outdir: dir },
    );
    expect(md5(readFileSync(fetched.path))).toBe(file.md5);
    expect(once.requests).toHaveLength(2);

    const always = await fileHost(file, { corruptions: 5 });
    const other = outdir();
    const failure = fetchFile(
      client(),
      'S2',
      { url: `${always.url}/e`, filename: 'e', key: 'S2', size: file.size, md5: file.md5 },
      { outdir: other },
    );
    await expect(failure).rejects.toBeInstanceOf(IntegrityError);
    await expect(failure).rejects.toThrow(
      /S2: MD5 [0-9a-f]{32} does not match the advertised [0-9a-f]{32} \(twice\)/,
    );
    expect(readdirSync(other)).toEqual([]);
  });

  it('times out a stalled transfer and resumes it', async () => {
    const file = new SyntheticFile(200_000, 11);
    const host = await fileHost(file, { stallAtByte: 100_000 });
    const fetched = await fetchFile(
      client(),
      'S1',
      { url: `${host.url}/f`, filename: 'f', key: 'S1', size: file.size, md5: file.md5 },
      { outdir: outdir(), stallTimeoutMs: 300 },
    );
    expect(md5(readFileSync(fetched.path))).toBe(file.md5);
    expect(host.requests.map((request) => request.headers.range)).toEqual([
      undefined,
      'bytes=100000-',
    ]);
  });

  it('reports a stall when no attempt is left', async () => {
    const file = new SyntheticFile(200_000, 11);
    const host = await fileHost(file, { stallAtByte: 50_000 });
    await expect(
      fetchFile(
        client(),
        'S1',
        { url: `${host.url}/g`, filename: 'g', key: 'S1', size: file.size },
        { outdir: outdir(), stallTimeoutMs: 200, attempts: 1 },
      ),
    ).rejects.toBeInstanceOf(StalledTransferError);
  });

  it('keeps a complete file unless asked to overwrite, and re-fetches one of the wrong size', async () => {
    const file = new SyntheticFile(20_000, 13);
    const host = await fileHost(file);
    const dir = outdir();
    const request = { url: `${host.url}/h`, filename: 'h', key: 'S1', size: file.size };
    writeFileSync(join(dir, 'h'), file.slice(0, 20_000));
    expect((await fetchFile(client(), 'S1', request, { outdir: dir })).skipped).toBe(true);
    expect(host.requests).toHaveLength(0);
    expect(
      (await fetchFile(client(), 'S1', request, { outdir: dir, overwrite: true })).skipped,
    ).toBe(false);
    writeFileSync(join(dir, 'h'), 'short');
    const refetched = await fetchFile(client(), 'S1', request, { outdir: dir });
    expect(refetched.skipped).toBe(false);
    expect(readFileSync(join(dir, 'h')).length).toBe(20_000);
  });

  it('names the file from Content-Disposition when the provider does not', async () => {
    const file = new SyntheticFile(1000);
    const host = await fileHost(file, {}, 'LC08_L2SP_017030_20190515.tar');
    const dir = outdir();
    const fetched = await fetchFile(
      client(),
      'S1',
      { url: `${host.url}/download-staging/abc?sig=1`, key: 'entity-1' },
      { outdir: dir },
    );
    expect(fetched.path).toBe(join(dir, 'LC08_L2SP_017030_20190515.tar'));
    const traversal = await fileHost(file, {}, '../../etc/passwd');
    const safe = await fetchFile(
      client(),
      'S1',
      { url: `${traversal.url}/x`, key: 'entity-2' },
      { outdir: dir },
    );
    expect(safe.path).toBe(join(dir, 'passwd'));
  });

  it('leaves only a .part file when cancelled', async () => {
    const file = new SyntheticFile(2_000_000, 17);
    const host = await fileHost(file, { stallAtByte: 500_000 });
    const dir = outdir();
    const controller = new AbortController();
    await expect(
      fetchFile(
        client(),
        'S1',
        { url: `${host.url}/i`, filename: 'i.zip', key: 'S1', size: file.size },
        {
          outdir: dir,
          signal: controller.signal,
          // Cancelled once all the host sends before it stalls has arrived.
          onProgress: ({ bytes }) => {
            if (bytes >= 500_000) controller.abort();
          },
        },
      ),
    ).rejects.toBeInstanceOf(DownloadCancelled);
    expect(readdirSync(dir)).toEqual(['i.zip.part']);
  });
});

describe('HttpClient redirects', () => {
  it('drops Authorization on a redirect to another host unless the provider allows it', async () => {
    const target = await startFakeServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.headers.authorization ?? 'none');
    });
    const origin = await startFakeServer((_req, res) => {
      res.writeHead(302, { location: `${target.url}/file` });
      res.end();
    });
    servers.push(target, origin);
    const auth = {
      headers: async () => ({ Authorization: 'Bearer secret' }),
      invalidate: () => {},
    };
    const strict = new HttpClient({ provider: 'Test', auth });
    expect(await (await strict.fetch(`${origin.url}/start`)).text()).toBe('none');
    const trusting = new HttpClient({ provider: 'Test', auth, keepAuthorization: () => true });
    expect(await (await trusting.fetch(`${origin.url}/start`)).text()).toBe('Bearer secret');
  });

  it('renews credentials once on a 401', async () => {
    let tokens = 0;
    const server = await startFakeServer((req, res) => {
      res.writeHead(req.headers.authorization === 'Bearer t2' ? 200 : 401);
      res.end(req.headers.authorization ?? '');
    });
    servers.push(server);
    let stale = false;
    const auth = {
      headers: async () => {
        if (tokens === 0 || stale) {
          tokens++;
          stale = false;
        }
        return { authorization: `Bearer t${tokens}` };
      },
      invalidate: () => {
        stale = true;
      },
    };
    const response = await new HttpClient({ provider: 'Test', auth }).fetch(`${server.url}/x`);
    expect(response.status).toBe(200);
    expect(tokens).toBe(2);
  });
});
