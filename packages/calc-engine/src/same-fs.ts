import { isAbsolute, resolve, sep } from 'node:path';
import { sameFsChecksum } from '@geoworks/calc-engine-client';

/**
 * OpenQuake's `on_same_fs`: does the server see `filename` with this checksum (Adler-32 of its
 * first 32 bytes, as clients compute it)? Only files under `root` are looked at, so the
 * question cannot be used to probe the rest of the disk; any failure is a plain no.
 */
export async function onSameFileSystem(
  filename: string,
  checksum: number,
  root: string,
): Promise<boolean> {
  if (filename === '' || !Number.isFinite(checksum) || !isAbsolute(filename)) return false;
  const path = resolve(filename);
  if (path !== resolve(root) && !path.startsWith(`${resolve(root)}${sep}`)) return false;
  try {
    return (await sameFsChecksum(path)) === checksum;
  } catch {
    return false;
  }
}
