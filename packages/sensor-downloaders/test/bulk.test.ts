// The bulk downloader and the search iterator through their public extension points: a small
// provider whose scenes live on a real local file host.
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BulkDownloader,
  DownloadCancelled,
  Downloader,
  downloadAll,
  HttpClient,
  NotActivatableError,
  Scene,
  SearchIterator,
  type RemoteFile,
} from '../src/index.js';
import { serveFile, startFakeServer, SyntheticFile, type FakeServer } from './fakes/http.js';

interface Hosted {
  server: FakeServer;
  files: Map<string, SyntheticFile>;
  peak: number;
  /** Scene ids that answer 404. */
  missing: Set<string>;
}

const hosts: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((server) => server.close()));
});

async function host(count: number, size = 100_000): Promise<Hosted> {
  const files = new Map<string, SyntheticFile>();
  for (let index = 0; index < count; index++)
    files.set(`scene-${index}`, new SyntheticFile(size, index + 1));
  const state: Hosted = {
    server: undefined as unknown as FakeServer,
    files,
    peak: 0,
    missing: new Set(),
  };
  let active = 0;
  state.server = await startFakeServer(async (req, res, url) => {
    const id = url.pathname.slice(1);
    const file = files.get(id);
    if (file === undefined || state.missing.has(id)) {
      res.writeHead(404);
      res.end('no such scene');
      return;
    }
    active++;
    state.peak = Math.max(state.peak, active);
    try {
      await serveFile(req, res, file, { chunkSize: 16_384, chunkDelayMs: 2 });
    } finally {
      active--;
    }
  });
  hosts.push(state.server);
  return state;
}

/** A provider whose scenes need `activations` checks before they are ready. */
class LocalDownloader extends Downloader {
  readonly maxConcurrent: number;
  #checks = 0;

  constructor(
    scene: Scene,
    private readonly hosted: Hosted,
    private readonly limit: number,
    private readonly activations: number,
  ) {
    super(
      scene,
      new HttpClient({ provider: 'Local', retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 10 } }),
    );
    this.maxConcurrent = limit;
  }

  async activate(): Promise<boolean> {
    if (this.sceneId.endsWith('offline')) throw new NotActivatableError(this.sceneId, 'offline');
    return ++this.#checks > this.activations;
  }

  protected async remoteFiles(): Promise<RemoteFile[]> {
    const file = this.hosted.files.get(this.sceneId);
    return [
      {
        url: `${this.hosted.server.url}/${this.sceneId}`,
        filename: `${this.sceneId}.bin`,
        key: this.sceneId,
        size: file?.size ?? 1,
        md5: file?.md5 ?? '0',
      },
    ];
  }
}

function scenes(
  hosted: Hosted,
  ids: string[],
  options: { limit?: number; activations?: number } = {},
): Scene[] {
  return ids.map(
    (sceneId) =>
      new Scene(
        {
          provider: 'Local',
          platformName: 'Test',
          sceneId,
          footprint: null,
          acqDate: new Date(0),
          cloudCoverPercentage: null,
          downloadLinks: [],
          filenames: [`${sceneId}.bin`],
          raw: {},
        },
        (scene) => new LocalDownloader(scene, hosted, options.limit ?? 2, options.activations ?? 0),
      ),
  );
}

describe('BulkDownloader', () => {
  it("downloads every scene, never exceeding the provider's connection limit", async () => {
    const hosted = await host(8);
    const dir = mkdtempSync(join(tmpdir(), 'bulk-'));
    const bulk = new BulkDownloader(
      scenes(hosted, [...hosted.files.keys()], { limit: 2, activations: 1 }),
    );
    const activating: string[] = [];
    let lastProgress = 0;
    bulk.on('activating', (scene) => activating.push(scene.sceneId));
    bulk.on('progress', (progress) => (lastProgress = progress.overallBytes));
    const summary = await bulk.downloadAll(dir, { concurrency: 6, activationWaitMs: 10 });
    expect(summary.results).toHaveLength(8);
    expect(summary.failed).toEqual([]);
    expect(summary.bytes).toBe(800_000);
    expect(hosted.peak).toBe(2);
    expect(activating).toHaveLength(8);
    expect(lastProgress).toBe(800_000);
    expect(readdirSync(dir).sort()).toEqual(
      [...hosted.files.keys()].map((id) => `${id}.bin`).sort(),
    );
  });

  it('reports failures at the end instead of stopping, unless asked to stop', async () => {
    const hosted = await host(4);
    hosted.missing.add('scene-1');
    const list = scenes(hosted, ['scene-0', 'scene-1', 'scene-2', 'scene-3', 'scene-x-offline']);
    const summary = await downloadAll(list, mkdtempSync(join(tmpdir(), 'bulk-')), {
      activationWaitMs: 10,
    });
    expect(summary.results.map((result) => result.sceneId).sort()).toEqual([
      'scene-0',
      'scene-2',
      'scene-3',
    ]);
    expect(
      summary.failed
        .map((failure) => failure.toJSON())
        .sort((a, b) => String(a.sceneId).localeCompare(String(b.sceneId))),
    ).toEqual([
      {
        sceneId: 'scene-1',
        error: expect.stringMatching(
          /^scene-1: Local: 404 from http:\/\/127\.0\.0\.1:\d+\/scene-1: no such scene$/,
        ),
        code: 'DOWNLOAD_FAILED',
      },
      {
        sceneId: 'scene-x-offline',
        error: 'scene-x-offline: offline',
        code: 'SCENE_NOT_ACTIVATABLE',
      },
    ]);
    await expect(
      downloadAll(list.slice(0, 4), mkdtempSync(join(tmpdir(), 'bulk-')), {
        skipError: false,
        concurrency: 1,
      }),
    ).rejects.toThrow('scene-1: Local: 404');
  });

  it('applies the filter and cancels cleanly through the signal', async () => {
    const hosted = await host(6, 2_000_000);
    const controller = new AbortController();
    const dir = mkdtempSync(join(tmpdir(), 'bulk-'));
    const bulk = new BulkDownloader(
      scenes(hosted, [...hosted.files.keys()]),
      (scene) => scene.sceneId !== 'scene-5',
    );
    bulk.on('progress', (progress) => {
      if (progress.overallBytes > 1_000_000) controller.abort();
    });
    const cancelled = await bulk
      .downloadAll(dir, { signal: controller.signal })
      .catch((error: unknown) => error);
    expect(cancelled).toBeInstanceOf(DownloadCancelled);
    // Nothing that looks complete unless it is: .part files, and whole files of scenes that
    // finished before the cancel.
    const names = readdirSync(dir);
    expect(names.some((name) => name.endsWith('.part'))).toBe(true);
    for (const name of names.filter((entry) => entry.endsWith('.bin'))) {
      expect(statSync(join(dir, name)).size).toBe(2_000_000);
    }
    expect(names).not.toContain('scene-5.bin');
    const summary = (cancelled as DownloadCancelled & { summary: { filteredOut: number } }).summary;
    // The search is read ahead of the transfers: scene-5 was seen and left out before the cancel.
    expect(summary.filteredOut).toBe(1);
  });
});

describe('SearchIterator', () => {
  const page = (cursor: number | undefined, size: number, total: number) => {
    const start = cursor ?? 0;
    const end = Math.min(total, start + size);
    return {
      scenes: Array.from(
        { length: end - start },
        (_, index) => ({ id: start + index }) as unknown as Scene,
      ),
      next: end < total ? end : undefined,
      total,
    };
  };

  it('pages lazily, stops at maxItems and reports the total', async () => {
    const asked: number[] = [];
    const iterator = new SearchIterator(
      async (cursor, size) => {
        asked.push(size);
        return page(cursor as number | undefined, size, 25);
      },
      { pageSize: 10, maxItems: 23 },
    );
    expect(iterator.total).toBeUndefined();
    const all = await iterator.toArray();
    expect(all).toHaveLength(23);
    expect(iterator.total).toBe(25);
    expect(asked).toEqual([10, 10, 3]);
  });

  it('cannot page forever on a provider that repeats its cursor', async () => {
    let calls = 0;
    const iterator = new SearchIterator(
      async () => {
        calls++;
        return { scenes: [{} as Scene], next: 7 };
      },
      { pageSize: 1 },
    );
    expect(await iterator.toArray()).toHaveLength(2);
    expect(calls).toBe(2);
  });
});
