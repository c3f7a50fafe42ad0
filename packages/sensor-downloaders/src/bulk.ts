// Downloading many scenes: activation polled apart from the transfers, bounded concurrency
// overall and per provider, and a summary of results and failures at the end.
import { EventEmitter } from 'node:events';
import type { DownloadResult } from './download.js';
import {
  FailedDownload,
  type DownloaderOptions,
  type DownloadOptions,
  type SceneProgress,
} from './download.js';
import { DownloadCancelled, DownloadError } from './errors.js';
import { sleep } from './http/client.js';
import type { Scene } from './search.js';

export interface BulkDownloadOptions extends Omit<DownloadOptions, 'skipError'> {
  /**
   * Go on after a scene fails and report it in `failed` (default true); false stops everything
   * at the first failure and rejects with it.
   */
  skipError?: boolean;
  /** Only scenes it accepts are downloaded. */
  filter?(scene: Scene): boolean;
  /** Transfers at once in all (default 4); each provider's own limit also holds. */
  concurrency?: number;
  /** Wait between activation checks of a scene being prepared (default 30 s). */
  activationWaitMs?: number;
  /** Give up on a scene still not ready after this long (default 2 h). */
  activationTimeoutMs?: number;
  /** Options of every scene's downloader. */
  downloader?: DownloaderOptions;
}

export interface BulkProgress extends SceneProgress {
  /** Bytes of every scene so far. */
  overallBytes: number;
  /** Known sizes of the scenes started so far (undefined until every one is known). */
  overallTotal: number | undefined;
  completed: number;
  failed: number;
}

export interface BulkSummary {
  results: DownloadResult[];
  failed: FailedDownload[];
  /** Scenes the filter left out. */
  filteredOut: number;
  /** Bytes on disk for the downloaded scenes (kept files included). */
  bytes: number;
  seconds: number;
}

export interface BulkEvents {
  progress: [BulkProgress];
  /** A scene is waiting for its provider to prepare it. */
  activating: [Scene];
  started: [Scene];
  finished: [DownloadResult];
  failed: [FailedDownload];
}

/** A counting semaphore. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}

/** Downloads scenes from any providers, as the seed's BulkDownloader. */
export class BulkDownloader extends EventEmitter<BulkEvents> {
  readonly #scenes: Iterable<Scene> | AsyncIterable<Scene>;
  readonly #filter: ((scene: Scene) => boolean) | undefined;

  constructor(scenes: Iterable<Scene> | AsyncIterable<Scene>, filter?: (scene: Scene) => boolean) {
    super();
    this.#scenes = scenes;
    this.#filter = filter;
  }

  /**
   * Downloads every scene into `outdir`. Resolves with the summary; with `skipError: false`
   * rejects with the first DownloadError. Cancelling through `signal` rejects with
   * DownloadCancelled, whose `summary` holds what was done.
   */
  async downloadAll(outdir: string, options: BulkDownloadOptions = {}): Promise<BulkSummary> {
    const started = performance.now();
    const concurrency = Math.max(1, options.concurrency ?? 4);
    const overall = new Slots(concurrency);
    const perProvider = new Map<string, Slots>();
    // Scenes in flight (activating or transferring) are capped so a huge search stays lazy.
    const inFlight = new Slots(Math.max(concurrency * 4, 16));
    const stop = new AbortController();
    const signal =
      options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
    const summary: BulkSummary = { results: [], failed: [], filteredOut: 0, bytes: 0, seconds: 0 };
    const bytes = new Map<string, number>();
    const totals = new Map<string, number | undefined>();
    let overallBytes = 0;
    let knownTotal = 0;
    let unknownTotals = 0;
    const filter = options.filter ?? this.#filter;
    let firstError: Error | undefined;
    const tasks: Promise<void>[] = [];

    const runScene = async (scene: Scene): Promise<void> => {
      const downloader = scene.downloader(options.downloader ?? {});
      try {
        await this.#waitUntilActive(downloader, scene, options, signal);
        let slots = perProvider.get(scene.provider);
        if (slots === undefined)
          perProvider.set(
            scene.provider,
            (slots = new Slots(Math.max(1, downloader.maxConcurrent))),
          );
        await slots.acquire();
        await overall.acquire();
        try {
          if (signal.aborted) throw new DownloadCancelled(undefined, { cause: signal.reason });
          this.emit('started', scene);
          downloader.on('progress', (progress) => {
            // Running sums: this fires for every chunk of every transfer, so no pass over all
            // scenes here.
            overallBytes += progress.sceneBytes - (bytes.get(scene.sceneId) ?? 0);
            bytes.set(scene.sceneId, progress.sceneBytes);
            if (!totals.has(scene.sceneId)) {
              totals.set(scene.sceneId, progress.sceneTotal);
              if (progress.sceneTotal === undefined) unknownTotals++;
              else knownTotal += progress.sceneTotal;
            }
            this.emit('progress', {
              ...progress,
              overallBytes,
              overallTotal: unknownTotals === 0 ? knownTotal : undefined,
              completed: summary.results.length,
              failed: summary.failed.length,
            });
          });
          const result = await downloader.download(outdir, {
            overwrite: options.overwrite === true,
            extract: options.extract === true,
            signal,
          });
          summary.results.push(result);
          this.emit('finished', result);
        } finally {
          overall.release();
          slots.release();
        }
      } catch (error) {
        if (signal.aborted && (firstError !== undefined || options.signal?.aborted)) return;
        const failure = new FailedDownload(
          scene.sceneId,
          error instanceof Error ? error : new DownloadError(scene.sceneId, String(error)),
        );
        summary.failed.push(failure);
        this.emit('failed', failure);
        if (options.skipError === false && firstError === undefined) {
          firstError = failure.error;
          stop.abort(failure.error);
        }
      }
    };

    try {
      for await (const scene of this.#scenes) {
        if (signal.aborted) break;
        if (filter !== undefined && !filter(scene)) {
          summary.filteredOut++;
          continue;
        }
        await inFlight.acquire();
        tasks.push(runScene(scene).finally(() => inFlight.release()));
      }
    } finally {
      await Promise.allSettled(tasks);
    }
    summary.bytes = summary.results.reduce((sum, result) => sum + result.bytes, 0);
    summary.seconds = (performance.now() - started) / 1000;
    if (firstError !== undefined) throw firstError;
    if (options.signal?.aborted) {
      throw Object.assign(
        new DownloadCancelled(`Cancelled after ${summary.results.length} scene(s)`, {
          cause: options.signal.reason,
        }),
        { summary },
      );
    }
    return summary;
  }

  async #waitUntilActive(
    downloader: ReturnType<Scene['downloader']>,
    scene: Scene,
    options: BulkDownloadOptions,
    signal: AbortSignal,
  ): Promise<void> {
    const deadline = Date.now() + (options.activationTimeoutMs ?? 2 * 3_600_000);
    let announced = false;
    while (!(await downloader.activate(signal))) {
      if (!announced) {
        announced = true;
        this.emit('activating', scene);
      }
      if (Date.now() >= deadline) {
        throw new DownloadError(
          scene.sceneId,
          `still being prepared by ${scene.provider} after ${Math.round((options.activationTimeoutMs ?? 7_200_000) / 1000)} s`,
          {
            code: 'ACTIVATION_TIMEOUT',
          },
        );
      }
      await sleep(options.activationWaitMs ?? 30_000, signal);
    }
  }
}

/** Downloads `scenes` into `outdir` (see BulkDownloader.downloadAll). */
export function downloadAll(
  scenes: Iterable<Scene> | AsyncIterable<Scene>,
  outdir: string,
  options: BulkDownloadOptions = {},
): Promise<BulkSummary> {
  return new BulkDownloader(scenes).downloadAll(outdir, options);
}
