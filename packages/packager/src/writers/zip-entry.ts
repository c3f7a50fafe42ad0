import type { Readable } from 'node:stream';
import type { Archiver, EntryData, ZipEntryData } from 'archiver';
import { ArchiveFailedError } from './errors.js';

/**
 * archiver copies entry data (`{...data}`) before emitting `entry`, so a symbol-keyed property
 * is the one way to recognise our own entry among others with the same name.
 */
const ENTRY_TOKEN = Symbol('geoworks.packager.entry');

export interface PendingEntry {
  /** Resolves once the archive has written the whole entry (its `entry` event). */
  done: Promise<void>;
  /**
   * Never resolves; rejects when the archive errors or closes before the entry is done, or
   * when a stream source errors (with the source's own error). Race it against waits (drain,
   * a download) that would otherwise hang on a dead archive.
   */
  failed: Promise<never>;
  /** Detaches the listeners put on the archive and the source. */
  dispose(): void;
}

/**
 * Queues `source` as entry `name` of `archive` and watches for its completion. The archive
 * writes one entry at a time: a stream source is read only when its turn comes, which is
 * what gives the writers their backpressure.
 *
 * archiver reads a stream source through a PassThrough of its own and never sees the source's
 * errors: the entry would stall and the archive could never be finalized, nor even aborted
 * while the entry is being written. So a source error destroys the archive (see
 * `failArchive`) and rejects `failed` and `done` with that error.
 */
export function appendEntry(
  archive: Archiver,
  source: Readable | Buffer,
  name: string,
  options: { store?: boolean } = {},
): PendingEntry {
  const token = {};
  let fail = (_error: Error) => {};
  let succeed = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const done = new Promise<void>((resolve, reject) => {
    succeed = resolve;
    failed.catch(reject);
  });
  // Whoever awaits these sees the rejection; the copy nobody awaits must not be "unhandled".
  done.catch(() => {});
  failed.catch(() => {});

  const onEntry = (data: EntryData) => {
    if ((data as unknown as Record<symbol, unknown>)[ENTRY_TOKEN] === token) succeed();
  };
  const onError = (error: Error) => fail(new ArchiveFailedError(name, error));
  const onClose = () => fail(new ArchiveFailedError(name));
  const onSourceError = (error: Error) => {
    fail(error);
    failArchive(archive, error);
  };
  archive.on('entry', onEntry);
  archive.on('error', onError);
  archive.on('close', onClose);
  archive.on('end', onClose);
  if (!Buffer.isBuffer(source)) source.once('error', onSourceError);
  const data: ZipEntryData & { [ENTRY_TOKEN]: object } = {
    name,
    date: new Date(),
    [ENTRY_TOKEN]: token,
  };
  if (options.store) data.store = true;
  archive.append(source, data);
  return {
    done,
    failed,
    dispose() {
      archive.off('entry', onEntry);
      archive.off('error', onError);
      archive.off('close', onClose);
      archive.off('end', onClose);
      if (!Buffer.isBuffer(source)) source.off('error', onSourceError);
    },
  };
}

/**
 * Gives up on `archive` after an entry failed half-way. archiver reads every stream source
 * through a PassThrough of its own, so an error on the source never reaches the archive: the
 * entry just stalls, and `finalize()` or `abort()` could wait for it forever. Destroying the
 * archive with the error is the one reliable signal: whoever pipes it sees the error, and a
 * zip missing part of an entry can no longer be finalized by mistake. The sources are
 * destroyed too, releasing what they buffer.
 */
export function failArchive(archive: Archiver, error: unknown, sources: readonly Readable[] = []) {
  for (const source of sources) source.destroy();
  if (!archive.destroyed)
    archive.destroy(error instanceof Error ? error : new Error(String(error)));
}
