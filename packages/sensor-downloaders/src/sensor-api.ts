// The interface every provider offers: its platforms, and a lazy paging search.
import { resolveAoi, type Aoi } from './aoi.js';
import { SearchParameterError } from './errors.js';
import { SearchIterator, type PageFetcher, type SceneQuery } from './search.js';

/** A search with its inputs checked and the AOI resolved (once, on the first page). */
export interface NormalizedQuery {
  /** Canonical platform names, each one the provider supports. */
  platformNames: string[];
  aoi(): Promise<Aoi | undefined>;
  startDate: Date | undefined;
  endDate: Date | undefined;
  /** Percent. */
  cloudMin: number | undefined;
  cloudMax: number | undefined;
  /** The provider-specific options of the query (everything else it carried). */
  options: Record<string, unknown>;
}

const COMMON_KEYS = new Set([
  'platformName',
  'aoi',
  'startDate',
  'endDate',
  'cloudMin',
  'cloudMax',
  'limit',
  'maxItems',
  'signal',
]);

/** A scene search and download service. */
export abstract class SensorApi {
  /** Provider name, as in the registry (`CMR`, `Copernicus`, `UsgsOt`, `Planet`, ...). */
  abstract readonly name: string;
  /** Largest page the provider serves. */
  protected abstract readonly maxPageSize: number;
  /** Page size used when the query gives no `limit`. */
  protected abstract readonly defaultPageSize: number;

  /** The platform names this provider searches (canonical spellings). */
  abstract supportedPlatformNames(): string[];

  /** Other spellings accepted for a platform (lower case), e.g. `s2` for `Sentinel-2`. */
  protected platformAliases(): Record<string, string> {
    return {};
  }

  /** The page fetcher of a checked query. */
  protected abstract pageFetcher(query: NormalizedQuery): PageFetcher<unknown>;

  /** Ends sessions the provider keeps (USGS logout); the instance is unusable afterwards. */
  async close(): Promise<void> {}

  /** Whether this provider searches `platformName` (any accepted spelling). */
  supportsPlatform(platformName: string): boolean {
    return this.canonicalPlatform(platformName) !== undefined;
  }

  protected canonicalPlatform(platformName: string): string | undefined {
    const lower = platformName.trim().toLowerCase();
    return (
      this.supportedPlatformNames().find((name) => name.toLowerCase() === lower) ??
      this.platformAliases()[lower]
    );
  }

  /**
   * Searches for scenes. Inputs are checked at once (a SearchParameterError names the wrong
   * one); requests start when the iteration does.
   */
  scenes(query: SceneQuery = {}): SearchIterator {
    const normalized = this.normalize(query);
    const pageSize = Math.min(this.maxPageSize, query.limit ?? this.defaultPageSize);
    return new SearchIterator(this.pageFetcher(normalized), {
      pageSize,
      ...(query.maxItems === undefined ? {} : { maxItems: query.maxItems }),
      ...(query.signal === undefined ? {} : { signal: query.signal }),
    });
  }

  protected normalize(query: SceneQuery): NormalizedQuery {
    const requested =
      query.platformName === undefined
        ? []
        : Array.isArray(query.platformName)
          ? query.platformName
          : [query.platformName];
    const platformNames = requested.map((name) => {
      if (typeof name !== 'string')
        throw new SearchParameterError('platformName must be a string or a list of strings');
      const canonical = this.canonicalPlatform(name);
      if (canonical === undefined) {
        throw new SearchParameterError(
          `${this.name} has no platform "${name}"; it has ${this.supportedPlatformNames().join(', ')}`,
        );
      }
      return canonical;
    });
    for (const key of ['startDate', 'endDate'] as const) {
      const value = query[key];
      if (value !== undefined && !(value instanceof Date && !Number.isNaN(value.getTime()))) {
        throw new SearchParameterError(`${key} must be a valid Date`);
      }
    }
    if (
      query.startDate !== undefined &&
      query.endDate !== undefined &&
      query.startDate > query.endDate
    ) {
      throw new SearchParameterError(
        `startDate (${query.startDate.toISOString()}) is after endDate (${query.endDate.toISOString()})`,
      );
    }
    for (const key of ['cloudMin', 'cloudMax'] as const) {
      const value = query[key];
      if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 100)) {
        throw new SearchParameterError(
          `${key} must be a percentage between 0 and 100, not ${String(value)}`,
        );
      }
    }
    if (
      query.cloudMin !== undefined &&
      query.cloudMax !== undefined &&
      query.cloudMin > query.cloudMax
    ) {
      throw new SearchParameterError(
        `cloudMin (${query.cloudMin}) is above cloudMax (${query.cloudMax})`,
      );
    }
    for (const key of ['limit', 'maxItems'] as const) {
      const value = query[key];
      if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
        throw new SearchParameterError(
          `${key} must be a whole number above 0, not ${String(value)}`,
        );
      }
    }
    let aoi: Promise<Aoi | undefined> | undefined;
    const options = Object.fromEntries(
      Object.entries(query).filter(([key]) => !COMMON_KEYS.has(key)),
    );
    return {
      platformNames:
        platformNames.length > 0 ? [...new Set(platformNames)] : this.supportedPlatformNames(),
      aoi: () =>
        (aoi ??= query.aoi === undefined ? Promise.resolve(undefined) : resolveAoi(query.aoi)),
      startDate: query.startDate,
      endDate: query.endDate,
      cloudMin: query.cloudMin,
      cloudMax: query.cloudMax,
      options,
    };
  }
}
