// Downloading one scene: the provider says how to activate it and which files it has; this
// base class fetches them (resumable, verified), extracts archives when asked and reports.
import { EventEmitter } from 'node:events';
import { isGeoworksError } from '@geoworks/errors';
import { archiveKind, extractArchive, extractionFolder } from './archive.js';
import { DownloadCancelled, DownloadError } from './errors.js';
import type { HttpClient } from './http/client.js';
import { fetchFile, type RemoteFile } from './http/download.js';
import type { Scene } from './search.js';

export interface DownloaderOptions {
  /** Abort a transfer that receives nothing for this long (default 60 s). */
  stallTimeoutMs?: number;
  /** Attempts per file, resumes included (default 6). */
  attempts?: number;
  /**
   * Verify the MD5 a provider advertises (default true). MD5 runs at about 800 MB/s per core
   * (in worker threads), so on a fast link with few cores it bounds throughput; the size is
   * always checked.
   */
  verifyChecksum?: boolean;
}

export interface DownloadOptions {
  /** Replace complete files already there (default: keep them). */
  overwrite?: boolean;
  /** Resolve with a result carrying `error` instead of rejecting (default false). */
  skipError?: boolean;
  signal?: AbortSignal;
  /** Extract zip/tar/tar.gz files into a folder of the same name (default false). */
  extract?: boolean;
}

/** Progress of one scene's download. */
export interface SceneProgress {
  sceneId: string;
  /** The file being written. */
  file: string;
  bytes: number;
  total: number | undefined;
  /** Bytes of the whole scene so far, and its size when every file's is known. */
  sceneBytes: number;
  sceneTotal: number | undefined;
}

/** What a scene's download produced. */
export class DownloadResult {
  readonly scene: Scene;
  /** Files written (extracted files included), or kept because they were complete. */
  readonly outFiles: string[];
  /** Archives that were extracted. */
  readonly archives: string[];
  /** Files already complete on disk, not transferred again. */
  readonly skipped: string[];
  /** Bytes of the scene's files on disk (before extraction). */
  readonly bytes: number;
  /** With `skipError`: why the scene failed. */
  readonly error: Error | undefined;

  constructor(init: {
    scene: Scene;
    outFiles?: string[];
    archives?: string[];
    skipped?: string[];
    bytes?: number;
    error?: Error;
  }) {
    this.scene = init.scene;
    this.outFiles = init.outFiles ?? [];
    this.archives = init.archives ?? [];
    this.skipped = init.skipped ?? [];
    this.bytes = init.bytes ?? 0;
    this.error = init.error;
  }

  get sceneId(): string {
    return this.scene.sceneId;
  }

  get ok(): boolean {
    return this.error === undefined;
  }
}

/** A scene that could not be downloaded, with the reason. */
export class FailedDownload {
  constructor(
    readonly sceneId: string,
    readonly error: Error,
  ) {}

  toJSON(): Record<string, unknown> {
    return {
      sceneId: this.sceneId,
      error: this.error.message,
      code: (this.error as { code?: string }).code ?? null,
    };
  }
}

export interface DownloaderEvents {
  progress: [SceneProgress];
}

/**
 * The downloader of one scene. Providers implement `activate` (make the scene downloadable:
 * ordering, asset activation; false while it is being prepared) and `remoteFiles` (what to
 * fetch, once activated).
 */
export abstract class Downloader extends EventEmitter<DownloaderEvents> {
  readonly scene: Scene;
  protected readonly client: HttpClient;
  protected readonly options: DownloaderOptions;

  constructor(scene: Scene, client: HttpClient, options: DownloaderOptions = {}) {
    super();
    this.scene = scene;
    this.client = client;
    this.options = options;
  }

  get sceneId(): string {
    return this.scene.sceneId;
  }

  /** Connections a provider allows at once (the bulk downloader never exceeds it). */
  abstract readonly maxConcurrent: number;

  /**
   * True when the scene can be downloaded now; starts the provider's preparation where there
   * is one and answers false while it runs. Throws NotActivatableError when it never can be.
   */
  abstract activate(signal?: AbortSignal): Promise<boolean>;

  /** The files of the scene (after a successful `activate`). */
  protected abstract remoteFiles(signal?: AbortSignal): Promise<RemoteFile[]>;

  /** Downloads the scene into `outdir`. */
  async download(outdir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
    try {
      return await this.#download(outdir, options);
    } catch (error) {
      const failure = this.#asDownloadError(error, options.signal);
      if (options.skipError === true && !(failure instanceof DownloadCancelled)) {
        return new DownloadResult({ scene: this.scene, error: failure });
      }
      throw failure;
    }
  }

  async #download(outdir: string, options: DownloadOptions): Promise<DownloadResult> {
    const files = await this.remoteFiles(options.signal);
    const sizes = files.map((file) => file.size);
    const sceneTotal = sizes.every((size) => size !== undefined)
      ? sizes.reduce<number>((sum, size) => sum + size!, 0)
      : undefined;
    const done = new Array<number>(files.length).fill(0);
    let sceneBytes = 0;
    const outFiles: string[] = [];
    const skipped: string[] = [];
    const archives: string[] = [];
    for (let index = 0; index < files.length; index++) {
      const file = files[index]!;
      const { md5: _unverified, ...withoutChecksum } = file;
      const request = this.options.verifyChecksum === false ? withoutChecksum : file;
      const fetched = await fetchFile(this.client, this.sceneId, request, {
        outdir,
        overwrite: options.overwrite === true,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(this.options.stallTimeoutMs === undefined
          ? {}
          : { stallTimeoutMs: this.options.stallTimeoutMs }),
        ...(this.options.attempts === undefined ? {} : { attempts: this.options.attempts }),
        onProgress: ({ bytes, total }) => {
          sceneBytes += bytes - done[index]!;
          done[index] = bytes;
          this.emit('progress', {
            sceneId: this.sceneId,
            file: file.filename ?? file.key,
            bytes,
            total,
            sceneBytes,
            sceneTotal,
          });
        },
      });
      sceneBytes += fetched.bytes - done[index]!;
      done[index] = fetched.bytes;
      (fetched.skipped ? skipped : outFiles).push(fetched.path);
      if (options.extract === true && archiveKind(fetched.path) !== undefined) {
        outFiles.push(...(await extractArchive(fetched.path, extractionFolder(fetched.path))));
        archives.push(fetched.path);
      }
    }
    return new DownloadResult({
      scene: this.scene,
      outFiles: [...skipped, ...outFiles],
      archives,
      skipped,
      bytes: sceneBytes,
    });
  }

  #asDownloadError(error: unknown, signal: AbortSignal | undefined): Error {
    if (error instanceof DownloadCancelled || signal?.aborted) {
      return error instanceof DownloadCancelled
        ? error
        : new DownloadCancelled(undefined, { cause: error });
    }
    if (error instanceof DownloadError) return error;
    const message =
      isGeoworksError(error) || error instanceof Error ? error.message : String(error);
    return new DownloadError(this.sceneId, message, { cause: error });
  }
}
