/**
 * A host allow-list: entries are host names (`data.example.org`), a host and port
 * (`localhost:5000`), a wildcard for subdomains (`*.example.org`), or `*` for every host.
 * `undefined` or an empty list allows every host.
 */
export type AllowedHosts = readonly string[] | undefined;

/** True when `url`'s host is allowed by `allowedHosts`. */
export function hostAllowed(url: URL, allowedHosts: AllowedHosts): boolean {
  if (allowedHosts === undefined || allowedHosts.length === 0) return true;
  return matchingEntry(url, allowedHosts) !== undefined;
}

/** True when an entry other than `*` names `url`'s host (a host someone chose by name). */
export function hostNamed(url: URL, allowedHosts: AllowedHosts): boolean {
  const entry = matchingEntry(url, allowedHosts ?? []);
  return entry !== undefined && entry !== '*';
}

/** The first allow-list entry that accepts `url`'s host, named entries before `*`. */
function matchingEntry(url: URL, allowedHosts: readonly string[]): string | undefined {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  let any: string | undefined;
  for (const raw of allowedHosts) {
    const entry = raw.trim().toLowerCase();
    if (entry === '*') {
      any = entry;
      continue;
    }
    const match = /^(.*?)(?::(\d+))?$/.exec(entry)!;
    const pattern = match[1]!.replace(/^\[|\]$/g, '');
    if (match[2] !== undefined && match[2] !== port) continue;
    if (pattern.startsWith('*.')) {
      if (host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1) return entry;
    } else if (host === pattern) {
      return entry;
    }
  }
  return any;
}
