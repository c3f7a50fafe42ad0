import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '@geoworks/errors';
import { PackageStore } from '../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'packager-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HOUR = 3600_000;

describe('PackageStore.cacheKey', () => {
  it('is the md5 of key:value; over the sorted parameters, email left out', () => {
    // md5("a:1;b:two;") computed independently (printf 'a:1;b:two;' | md5sum).
    expect(PackageStore.cacheKey({ b: 'two', email: 'x@example.org', a: '1' })).toBe(
      '195ea4ac20675c227037be76e2653be7',
    );
  });

  it('is the same whoever asks and differs when the data differs', () => {
    const base = { resource_id: 'r1', api_url: 'http://ckan/api', q: 'fish' };
    expect(PackageStore.cacheKey({ ...base, email: 'a@x.org' })).toBe(
      PackageStore.cacheKey({ ...base, email: 'b@y.org' }),
    );
    expect(PackageStore.cacheKey({ ...base, q: 'birds' })).not.toBe(PackageStore.cacheKey(base));
  });
});

describe('PackageStore', () => {
  it('publishes atomically and finds a fresh zip until the cache time has passed', async () => {
    const store = await PackageStore.open({ dir, cacheTimeMs: HOUR, retentionMs: 24 * HOUR });
    const name = store.fileName('res-1', 'key');
    expect(name).toMatch(/^res-1_[A-Za-z0-9-]{32}\.zip$/);
    expect(await store.findFresh(name)).toBeUndefined();
    const stored = await store.publish(name, (temp) => writeFile(temp, 'zip bytes'));
    expect(stored.size).toBe(9);
    expect(await readFile(join(dir, name), 'utf8')).toBe('zip bytes');
    expect((await store.findFresh(name))?.name).toBe(name);
    const later = stored.createdAt.getTime() + HOUR + 1;
    expect(await store.findFresh(name, later)).toBeUndefined();
    // Expired for the cache, still downloadable until the retention ends.
    expect((await store.download(name, later)).size).toBe(9);
  });

  it('leaves nothing when the build fails', async () => {
    const store = await PackageStore.open({ dir });
    const name = store.fileName('r', 'k');
    await expect(
      store.publish(name, async (temp) => {
        await writeFile(temp, 'half a zip');
        throw new Error('CKAN went away');
      }),
    ).rejects.toThrow('CKAN went away');
    expect(await readdir(dir)).not.toContain(name);
    expect(await readdir(join(dir, '.partial'))).toEqual([]);
  });

  it('names are stable per key, differ between stores, and cannot be guessed from the key', async () => {
    const store = await PackageStore.open({ dir });
    const again = await PackageStore.open({ dir });
    expect(again.fileName('r', 'k')).toBe(store.fileName('r', 'k'));
    expect(store.fileName('r', 'k2')).not.toBe(store.fileName('r', 'k'));
    const other = await mkdtemp(join(tmpdir(), 'packager-store-'));
    try {
      const elsewhere = await PackageStore.open({ dir: other });
      expect(elsewhere.fileName('r', 'k')).not.toBe(store.fileName('r', 'k'));
    } finally {
      await rm(other, { recursive: true });
    }
    expect(store.fileName('../../etc/passwd', 'k')).toMatch(/^etc-passwd_[A-Za-z0-9-]{32}\.zip$/);
  });

  it('answers 404 for unknown, malformed and expired names', async () => {
    const store = await PackageStore.open({ dir, cacheTimeMs: 1000, retentionMs: 2000 });
    await writeFile(join(dir, 'secret.txt'), 'no');
    for (const name of ['nope.zip', '../secret.txt', 'secret.txt', '.store-key', '']) {
      await expect(store.download(name)).rejects.toBeInstanceOf(NotFoundError);
    }
    const name = store.fileName('r', 'k');
    const stored = await store.publish(name, (temp) => writeFile(temp, 'z'));
    await expect(store.download(name, stored.createdAt.getTime() + 2000)).rejects.toThrow(
      /expired/,
    );
  });

  it('cleans up expired zips and old partial files, and clears on demand', async () => {
    const store = await PackageStore.open({ dir, cacheTimeMs: 1000, retentionMs: 10_000 });
    const old = store.fileName('old', 'k');
    const fresh = store.fileName('fresh', 'k');
    await store.publish(old, (temp) => writeFile(temp, 'old'));
    await store.publish(fresh, (temp) => writeFile(temp, 'new'));
    const past = new Date(Date.now() - 60_000);
    await utimes(join(dir, old), past, past);
    const deadPartial = join(dir, '.partial', 'x.zip.123.part');
    await writeFile(deadPartial, 'x');
    const twoDaysAgo = new Date(Date.now() - 48 * HOUR);
    await utimes(deadPartial, twoDaysAgo, twoDaysAgo);
    await writeFile(join(dir, '.partial', 'running.part'), 'y');
    expect(await store.cleanUp()).toEqual({ zips: 1, partials: 1 });
    expect((await readdir(dir)).filter((entry) => entry.endsWith('.zip'))).toEqual([fresh]);
    expect(await readdir(join(dir, '.partial'))).toEqual(['running.part']);
    expect(await store.clear()).toBe(1);
    expect((await readdir(dir)).filter((entry) => entry.endsWith('.zip'))).toEqual([]);
  });

  it('refuses a retention shorter than the cache time', async () => {
    await expect(
      PackageStore.open({ dir, cacheTimeMs: 10_000, retentionMs: 5000 }),
    ).rejects.toThrow(RangeError);
  });
});
