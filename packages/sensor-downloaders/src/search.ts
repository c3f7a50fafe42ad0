// What a search returns: scenes, and an async iterator that pages through them lazily.
import type { Geometry } from 'geojson';
import type { AoiInput } from './aoi.js';
import { DownloadCancelled } from './errors.js';
import type { Downloader, DownloaderOptions } from './download.js';

/** The query every provider understands; providers add their own options. */
export interface SceneQuery {
  /** One platform or several; each provider lists its own (`supportedPlatformNames()`). */
  platformName?: string | string[];
  /** WKT, GeoJSON (text or object) or `{file}` (shapefile or GeoJSON file). */
  aoi?: AoiInput;
  startDate?: Date;
  endDate?: Date;
  /** Cloud cover bounds in percent (0-100) for every provider. */
  cloudMin?: number;
  cloudMax?: number;
  /**
   * Scenes per page asked of the provider (capped at its maximum). It only sizes requests:
   * `maxItems` is what bounds a search.
   */
  limit?: number;
  /** Stop after this many scenes in all (default: every match). */
  maxItems?: number;
  signal?: AbortSignal;
  /** Provider-specific options (CMR `shortName`, Copernicus `productType`, ...). */
  [option: string]: unknown;
}

/** What a provider's scene carries. */
export interface SceneInit {
  provider: string;
  platformName: string;
  sceneId: string;
  /** GeoJSON geometry in lon/lat, or null when the provider gives none. */
  footprint: Geometry | null;
  acqDate: Date;
  /** Percent (0-100) for every provider (Planet's 0-1 fraction converted), null when unknown. */
  cloudCoverPercentage: number | null;
  downloadLinks: string[];
  filenames: string[];
  /** Total bytes when the provider says. */
  size?: number;
  /** The provider's record, as it came. */
  raw: unknown;
}

/** Creates the downloader of a scene: each provider's search gives its scenes one. */
export type DownloaderFactory = (scene: Scene, options: DownloaderOptions) => Downloader;

/** One scene found by a search. */
export class Scene implements SceneInit {
  readonly provider: string;
  readonly platformName: string;
  readonly sceneId: string;
  readonly footprint: Geometry | null;
  readonly acqDate: Date;
  readonly cloudCoverPercentage: number | null;
  readonly downloadLinks: string[];
  readonly filenames: string[];
  readonly size: number | undefined;
  readonly raw: unknown;
  readonly #makeDownloader: DownloaderFactory;

  constructor(init: SceneInit, makeDownloader: DownloaderFactory) {
    this.provider = init.provider;
    this.platformName = init.platformName;
    this.sceneId = init.sceneId;
    this.footprint = init.footprint;
    this.acqDate = init.acqDate;
    this.cloudCoverPercentage = init.cloudCoverPercentage;
    this.downloadLinks = init.downloadLinks;
    this.filenames = init.filenames;
    this.size = init.size;
    this.raw = init.raw;
    this.#makeDownloader = makeDownloader;
  }

  /** The downloader of this scene (activation, then download). */
  downloader(options: DownloaderOptions = {}): Downloader {
    return this.#makeDownloader(this, options);
  }

  /** A plain summary (for JSON output): no raw record, no functions. */
  toJSON(): Record<string, unknown> {
    return {
      provider: this.provider,
      platformName: this.platformName,
      sceneId: this.sceneId,
      acqDate: this.acqDate.toISOString(),
      cloudCoverPercentage: this.cloudCoverPercentage,
      size: this.size ?? null,
      downloadLinks: this.downloadLinks,
      filenames: this.filenames,
      footprint: this.footprint,
    };
  }
}

/** One page of results, and how to ask for the next. */
export interface SearchPage<Cursor> {
  scenes: Scene[];
  /** Undefined when this was the last page. */
  next: Cursor | undefined;
  /** Matches in all, when the provider reports it. */
  total?: number;
}

export type PageFetcher<Cursor> = (
  cursor: Cursor | undefined,
  pageSize: number,
  signal?: AbortSignal,
) => Promise<SearchPage<Cursor>>;

export interface SearchIteratorOptions {
  /** Scenes per page (already capped to the provider's maximum). */
  pageSize: number;
  maxItems?: number;
  signal?: AbortSignal;
  /** Safety stop: never fetch more pages than this (default 100,000). */
  maxPages?: number;
  /** A key for a cursor, to notice a provider that hands back the same page forever. */
  cursorKey?(cursor: unknown): string;
}

/**
 * A lazy, paging async iterator over the scenes of a search. Pages are fetched as the loop
 * asks for them; the search ends at the provider's last page, at `maxItems`, when a page comes
 * back empty, or when the provider hands back a cursor it gave before (USGS's `nextRecord`
 * does not advance on the last page): it cannot page forever.
 */
export class SearchIterator implements AsyncIterable<Scene> {
  readonly #fetchPage: PageFetcher<unknown>;
  readonly #options: SearchIteratorOptions;
  #total: number | undefined;
  #pages = 0;

  constructor(fetchPage: PageFetcher<unknown>, options: SearchIteratorOptions) {
    this.#fetchPage = fetchPage;
    this.#options = options;
  }

  /** Matches in all when the provider reported it (known after the first page), else undefined. */
  get total(): number | undefined {
    return this.#total;
  }

  /** Pages fetched so far. */
  get pagesFetched(): number {
    return this.#pages;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Scene> {
    const max = this.#options.maxItems ?? Infinity;
    const maxPages = this.#options.maxPages ?? 100_000;
    const key = this.#options.cursorKey ?? ((cursor: unknown) => JSON.stringify(cursor));
    const seen = new Set<string>();
    let cursor: unknown = undefined;
    let yielded = 0;
    while (yielded < max) {
      if (this.#options.signal?.aborted)
        throw new DownloadCancelled('The search was cancelled', {
          cause: this.#options.signal.reason,
        });
      if (this.#pages >= maxPages) return;
      const pageSize = Math.max(1, Math.min(this.#options.pageSize, max - yielded));
      const page = await this.#fetchPage(cursor, pageSize, this.#options.signal);
      this.#pages++;
      if (page.total !== undefined) this.#total = page.total;
      for (const scene of page.scenes) {
        yield scene;
        if (++yielded >= max) return;
      }
      if (page.scenes.length === 0 || page.next === undefined) return;
      const nextKey = key(page.next);
      if (seen.has(nextKey)) return;
      seen.add(nextKey);
      cursor = page.next;
    }
  }

  /** Every scene (bounded by `maxItems`). */
  async toArray(): Promise<Scene[]> {
    const scenes: Scene[] = [];
    for await (const scene of this) scenes.push(scene);
    return scenes;
  }
}
