import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NotFoundError } from '@geoworks/errors';
import { loadOrCreateKey } from './keys.js';

export interface PackageStoreOptions {
  /** Folder of the finished zips (`STORE_DIRECTORY`). */
  dir: string;
  /** How long a zip answers identical requests (`CACHE_TIME`), at least 1 s. Default 1 day. */
  cacheTimeMs?: number;
  /** How long a zip can be downloaded before it expires and is removed. Default 7 days. */
  retentionMs?: number;
}

/** A finished zip in the store. */
export interface StoredPackage {
  name: string;
  path: string;
  size: number;
  createdAt: Date;
  expiresAt: Date;
}

const NAME = /^[A-Za-z0-9_-]{1,100}\.zip$/;
const PARTIAL_DIR = '.partial';
const STORE_KEY_FILE = '.store-key';
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The zips: cache lookup, atomic publication, download lookup and clean-up. File names are
 * `<resource>_<hmac>.zip` where the HMAC of the cache key uses a random key kept in the
 * store, so the same request maps to the same file (the cache) while nobody can guess the
 * name of somebody else's download.
 */
export class PackageStore {
  readonly dir: string;
  readonly cacheTimeMs: number;
  readonly retentionMs: number;
  private readonly nameKey: Buffer;

  private constructor(dir: string, cacheTimeMs: number, retentionMs: number, nameKey: Buffer) {
    this.dir = dir;
    this.cacheTimeMs = cacheTimeMs;
    this.retentionMs = retentionMs;
    this.nameKey = nameKey;
  }

  static async open(options: PackageStoreOptions): Promise<PackageStore> {
    const dir = resolve(options.dir);
    const cacheTimeMs = Math.max(1000, options.cacheTimeMs ?? DAY_MS);
    const retentionMs = options.retentionMs ?? 7 * DAY_MS;
    if (!(retentionMs >= cacheTimeMs)) {
      throw new RangeError(
        'retentionMs must be at least cacheTimeMs, or cached links would expire early',
      );
    }
    await mkdir(join(dir, PARTIAL_DIR), { recursive: true });
    return new PackageStore(
      dir,
      cacheTimeMs,
      retentionMs,
      await loadOrCreateKey(dir, STORE_KEY_FILE),
    );
  }

  /**
   * The cache key of a task: md5 over `key:value;` of its parameters sorted by name, `email`
   * left out so that everybody asking for the same data shares one zip.
   */
  static cacheKey(parameters: Readonly<Record<string, unknown>>): string {
    const hash = createHash('md5');
    for (const name of Object.keys(parameters).sort()) {
      if (name === 'email') continue;
      const value = parameters[name];
      if (value === undefined) continue;
      hash.update(`${name}:${typeof value === 'string' ? value : JSON.stringify(value)};`);
    }
    return hash.digest('hex');
  }

  /** The zip name for a resource and cache key. */
  fileName(resourceId: string, cacheKey: string): string {
    const resource = resourceId
      .replace(/[^A-Za-z0-9-]+/g, '-')
      .slice(0, 60)
      .replace(/^-+|-+$/g, '');
    const token = createHmac('sha256', this.nameKey)
      .update(cacheKey)
      .digest('base64url')
      .slice(0, 32);
    return `${resource === '' ? 'resource' : resource}_${token.replace(/_/g, '-')}.zip`;
  }

  /** The zip for `name` if it is younger than the cache time. */
  async findFresh(name: string, now = Date.now()): Promise<StoredPackage | undefined> {
    const found = await this.lookUp(name);
    if (found === undefined || now - found.createdAt.getTime() >= this.cacheTimeMs)
      return undefined;
    return found;
  }

  /** The zip to download; `NotFoundError` when the name is unknown, malformed or expired. */
  async download(name: string, now = Date.now()): Promise<StoredPackage> {
    const found = NAME.test(name) ? await this.lookUp(name) : undefined;
    if (found === undefined || found.expiresAt.getTime() <= now) {
      throw new NotFoundError('This download does not exist or has expired', {
        code: 'DOWNLOAD_NOT_FOUND',
      });
    }
    return found;
  }

  /**
   * Runs `produce` on a private temporary path and moves the result to `name` only when it
   * resolves: a failed or interrupted build never leaves a zip that looks complete.
   */
  async publish(
    name: string,
    produce: (tempPath: string) => Promise<void>,
  ): Promise<StoredPackage> {
    if (!NAME.test(name)) throw new RangeError(`Bad package name ${JSON.stringify(name)}`);
    const temp = join(this.dir, PARTIAL_DIR, `${name}.${randomBytes(6).toString('hex')}.part`);
    try {
      await produce(temp);
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, join(this.dir, name));
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    const stored = await this.lookUp(name);
    if (stored === undefined)
      throw new Error(`Package ${name} vanished right after it was written`);
    return stored;
  }

  /** Removes every zip (`/clear_caches`); returns how many. Builds under way are untouched. */
  async clear(): Promise<number> {
    let removed = 0;
    for (const name of await this.names()) {
      await rm(join(this.dir, name), { force: true });
      removed += 1;
    }
    return removed;
  }

  /** Removes expired zips and temporary files left by builds that died a day ago or more. */
  async cleanUp(now = Date.now()): Promise<{ zips: number; partials: number }> {
    let zips = 0;
    for (const name of await this.names()) {
      const found = await this.lookUp(name);
      if (found !== undefined && found.expiresAt.getTime() <= now) {
        await rm(found.path, { force: true });
        zips += 1;
      }
    }
    let partials = 0;
    const partialDir = join(this.dir, PARTIAL_DIR);
    for (const entry of await readdir(partialDir)) {
      const path = join(partialDir, entry);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && now - info.mtimeMs >= DAY_MS) {
        await rm(path, { force: true, recursive: true });
        partials += 1;
      }
    }
    return { zips, partials };
  }

  private async names(): Promise<string[]> {
    return (await readdir(this.dir)).filter((entry) => NAME.test(entry));
  }

  private async lookUp(name: string): Promise<StoredPackage | undefined> {
    const path = join(this.dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined || !info.isFile()) return undefined;
    return {
      name,
      path,
      size: info.size,
      createdAt: info.mtime,
      expiresAt: new Date(info.mtimeMs + this.retentionMs),
    };
  }
}
