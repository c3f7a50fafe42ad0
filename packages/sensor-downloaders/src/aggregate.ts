// Several providers searched as one: results merged as they arrive, duplicates dropped, and a
// provider that fails reported instead of failing the search.
import { EventEmitter } from 'node:events';
import { ProviderError } from './errors.js';
import { createInstance, hasCredentials, SENSOR_NAMES, type Credentials } from './registry.js';
import type { Scene, SceneQuery } from './search.js';
import type { SensorApi } from './sensor-api.js';

export interface ProviderFailure {
  provider: string;
  error: Error;
}

export interface AggregateEvents {
  /** A provider's search failed; the others go on. */
  'provider-failed': [ProviderFailure];
}

/** The scenes of an aggregate search, merged from every provider that serves the platforms. */
export class AggregateSearch implements AsyncIterable<Scene> {
  /** Providers that failed during the iteration. */
  readonly failures: ProviderFailure[] = [];
  readonly #apis: SensorApi[];
  readonly #query: SceneQuery;
  readonly #events: EventEmitter<AggregateEvents>;

  constructor(apis: SensorApi[], query: SceneQuery, events: EventEmitter<AggregateEvents>) {
    this.#apis = apis;
    this.#query = query;
    this.#events = events;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Scene> {
    const wanted =
      this.#query.platformName === undefined ? undefined : [this.#query.platformName].flat();
    const searches: AsyncIterator<Scene>[] = [];
    const names: string[] = [];
    for (const api of this.#apis) {
      const platforms = wanted?.filter((name) => api.supportsPlatform(name));
      if (wanted !== undefined && platforms!.length === 0) continue;
      try {
        const { maxItems: _perProvider, ...query } = this.#query;
        const search = api.scenes({
          ...query,
          ...(platforms === undefined ? {} : { platformName: platforms }),
        });
        searches.push(search[Symbol.asyncIterator]());
        names.push(api.name);
      } catch (error) {
        this.#fail(api.name, error);
      }
    }
    if (searches.length === 0 && this.failures.length > 0) throw this.failures[0]!.error;
    const seen = new Set<string>();
    const max = this.#query.maxItems ?? Infinity;
    let yielded = 0;
    // One pending `next()` per provider; whichever answers first is yielded first.
    const pending = new Map<
      number,
      Promise<{ index: number; result?: IteratorResult<Scene>; error?: unknown }>
    >();
    const pull = (index: number) =>
      pending.set(
        index,
        searches[index]!.next().then(
          (result) => ({ index, result }),
          (error: unknown) => ({ index, error }),
        ),
      );
    searches.forEach((_, index) => pull(index));
    try {
      while (pending.size > 0 && yielded < max) {
        const { index, result, error } = await Promise.race(pending.values());
        pending.delete(index);
        if (error !== undefined) {
          this.#fail(names[index]!, error);
          continue;
        }
        if (result!.done === true) continue;
        pull(index);
        const scene = result!.value;
        const key = `${scene.platformName.toLowerCase()}|${scene.sceneId.toLowerCase().replace(/\.(zip|safe|tar|hdf|h5|nc)$/i, '')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        yield scene;
        yielded++;
      }
    } finally {
      await Promise.allSettled(searches.map((search) => search.return?.()));
    }
    if (yielded === 0 && this.failures.length > 0 && this.failures.length === searches.length)
      throw this.failures[0]!.error;
  }

  /** Every scene (bounded by `maxItems`). */
  async toArray(): Promise<Scene[]> {
    const scenes: Scene[] = [];
    for await (const scene of this) scenes.push(scene);
    return scenes;
  }

  #fail(provider: string, error: unknown): void {
    const failure = {
      provider,
      error: error instanceof Error ? error : new ProviderError(provider, String(error)),
    };
    this.failures.push(failure);
    this.#events.emit('provider-failed', failure);
  }
}

/**
 * Queries several providers with one call: every provider whose credentials are given (or the
 * `providers` listed), each asked only for the platforms it serves.
 */
export class AggregateSensorApi extends EventEmitter<AggregateEvents> {
  readonly apis: SensorApi[];

  constructor(credentials: Credentials = {}, options: { providers?: string[] } = {}) {
    super();
    const names =
      options.providers ?? SENSOR_NAMES.filter((name) => hasCredentials(name, credentials));
    this.apis = names.map((name) => createInstance(name, credentials));
  }

  /** Every platform any of the providers serves. */
  supportedPlatformNames(): string[] {
    return [...new Set(this.apis.flatMap((api) => api.supportedPlatformNames()))];
  }

  scenes(query: SceneQuery = {}): AggregateSearch {
    return new AggregateSearch(this.apis, query, this);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.apis.map((api) => api.close()));
  }
}
