/**
 * The cookies of one server, enough for a Django session: `sessionid` after `ajax_login`,
 * `csrftoken` when the server sets one. Domains and paths are not tracked because a client
 * talks to exactly one server.
 */
export class CookieJar {
  private readonly cookies = new Map<string, { value: string; expires: number | null }>();

  /** Applies the `Set-Cookie` headers of a response. */
  store(headers: Headers, now = Date.now()): void {
    for (const line of setCookieLines(headers)) this.storeLine(line, now);
  }

  storeLine(line: string, now = Date.now()): void {
    const [pair = '', ...attributes] = line.split(';');
    const equals = pair.indexOf('=');
    if (equals <= 0) return;
    const name = pair.slice(0, equals).trim();
    let value = pair.slice(equals + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    let expires: number | null = null;
    for (const attribute of attributes) {
      const [rawKey = '', ...rest] = attribute.split('=');
      const key = rawKey.trim().toLowerCase();
      const attributeValue = rest.join('=').trim();
      if (key === 'max-age') {
        const seconds = Number(attributeValue);
        if (Number.isFinite(seconds)) expires = now + seconds * 1000;
        break; // Max-Age wins over Expires
      }
      if (key === 'expires') {
        const time = Date.parse(attributeValue);
        if (Number.isFinite(time)) expires = time;
      }
    }
    if (expires !== null && expires <= now) this.cookies.delete(name);
    else this.cookies.set(name, { value, expires });
  }

  get(name: string, now = Date.now()): string | undefined {
    const cookie = this.cookies.get(name);
    if (cookie === undefined) return undefined;
    if (cookie.expires !== null && cookie.expires <= now) {
      this.cookies.delete(name);
      return undefined;
    }
    return cookie.value;
  }

  delete(name: string): void {
    this.cookies.delete(name);
  }

  clear(): void {
    this.cookies.clear();
  }

  /** The `Cookie` request header, or undefined when there is nothing to send. */
  header(now = Date.now()): string | undefined {
    const pairs: string[] = [];
    for (const name of [...this.cookies.keys()]) {
      const value = this.get(name, now);
      if (value !== undefined) pairs.push(`${name}=${value}`);
    }
    return pairs.length > 0 ? pairs.join('; ') : undefined;
  }
}

function setCookieLines(headers: Headers): string[] {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  // A custom fetch without getSetCookie joins the headers with ", "; split where a new
  // `name=` starts (commas also occur inside Expires dates).
  const joined = headers.get('set-cookie');
  if (joined === null) return [];
  return joined.split(/,(?=\s*[^;,=\s]+=)/).map((line) => line.trim());
}
