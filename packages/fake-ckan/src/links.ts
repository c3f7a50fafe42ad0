/**
 * CKAN's `_insert_links`: the request's own URL (path and query string; a POST body is not in
 * it) with `offset` removed for `start`, set to offset + limit for `next`, and to
 * offset - limit for `prev` when that is above 0. Python's `parse_qsl` drops blank values and
 * `dict()` keeps the last of repeated ones; `urlencode` quotes as `quote_plus` does.
 */
export function ckanLinks(
  pathWithQuery: string,
  offset: number,
  limit: number,
): Record<string, string> {
  const at = pathWithQuery.indexOf('?');
  const path = at === -1 ? pathWithQuery : pathWithQuery.slice(0, at);
  const args = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(at === -1 ? '' : pathWithQuery.slice(at + 1)))
    if (value !== '') args.set(key, value);
  const url = (changes: Map<string, string>) => {
    const query = [...changes].map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&');
    return query ? `${path}?${query}` : path;
  };
  const start = new Map(args);
  start.delete('offset');
  const links: Record<string, string> = {
    start: url(start),
    next: url(new Map(args).set('offset', String(offset + limit))),
  };
  if (offset - limit > 0) links['prev'] = url(new Map(args).set('offset', String(offset - limit)));
  return links;
}

/** Python's `urllib.parse.quote_plus`: only letters, digits and `_.-~` are left as they are. */
function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');
}
