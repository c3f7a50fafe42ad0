/**
 * The name shown for a dataset (in `/catalog`): the last segment of the client's name (`/` and
 * `\` both separate), without control or format characters, surrounding spaces or leading
 * dots, at most 200 characters (an intersection's output, `<sha256>.<sha256>.geojson`, is 141);
 * `dataset` when nothing is left.
 */
export function displayName(name: string): string {
  const last = name.split(/[\\/]/).pop() ?? '';
  const cleaned = Array.from(
    last
      .replace(/[\p{Cc}\p{Cf}]/gu, '')
      .trim()
      .replace(/^\.+/, ''),
  );
  return cleaned.length === 0 ? 'dataset' : cleaned.slice(-200).join('');
}

/**
 * A stored file name from the client's `name`: its display name in safe characters only (others
 * become `_`), its last 120 characters so the extension stays (GDAL recognises formats, zips
 * especially, by it).
 */
export function safeDatasetName(name: string): string {
  return displayName(name)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(-120);
}
