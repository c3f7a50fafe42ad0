/** Longest name kept, in UTF-8 bytes; with the random prefix it stays far below 255. */
const MAX_NAME_BYTES = 100;
/** A longer "extension" is more likely part of the name; it is not kept apart when cutting. */
const MAX_EXTENSION_CHARACTERS = 16;

/**
 * A client's file name made safe to use as one path segment: the last segment of whatever path
 * it carried (`/` and `\`, so `..\..\x` and `C:\dir\x` too), without control characters (NUL,
 * newlines), with anything but letters, digits, `.`, `_` and `-` turned into `_`, without
 * leading dots (no hidden files, no `..`) or trailing dots, cut to 100 bytes keeping its
 * extension, and `file` when nothing is left. The result never contains a path separator.
 */
export function safeFileName(name: string): string {
  const withoutControls = name.normalize('NFC').replace(/\p{Cc}/gu, '');
  const lastSegment = withoutControls.slice(withoutControls.search(/[^/\\]*$/));
  const cleaned = lastSegment
    .replace(/^[A-Za-z]:/, '')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .replace(/^\.+/, '')
    .replace(/\.+$/, '');
  const safe = truncate(cleaned);
  return safe === '' ? 'file' : safe;
}

function truncate(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= MAX_EXTENSION_CHARACTERS ? name.slice(dot) : '';
  // Cut by code points so no character is split; the stem loses characters, the extension none.
  const budget = MAX_NAME_BYTES - Buffer.byteLength(extension);
  let stem = '';
  let used = 0;
  for (const character of name.slice(0, name.length - extension.length)) {
    used += Buffer.byteLength(character);
    if (used > budget) break;
    stem += character;
  }
  return stem + extension;
}
