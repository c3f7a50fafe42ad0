import { CookieJar } from 'tough-cookie';

export { CookieJar };

/** The `Set-Cookie` lines of a response. */
export function setCookieLines(headers: Headers): string[] {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  // A custom fetch without getSetCookie joins the headers with ", "; split where a new
  // `name=` starts (commas also occur inside Expires dates).
  const joined = headers.get('set-cookie');
  if (joined === null) return [];
  return joined.split(/,(?=\s*[^;,=\s]+=)/).map((line) => line.trim());
}

/** Stores the cookies a response from `url` sets; ones the jar refuses are left out. */
export async function storeCookies(jar: CookieJar, headers: Headers, url: URL): Promise<void> {
  for (const line of setCookieLines(headers)) {
    await jar.setCookie(line, url.href, { ignoreError: true });
  }
}

/** The value of the cookie `name` the jar would send to `url`, if any. */
export async function cookieValue(
  jar: CookieJar,
  url: URL,
  name: string,
): Promise<string | undefined> {
  return (await jar.getCookies(url.href)).find((cookie) => cookie.key === name)?.value;
}

/** Forgets every cookie `name` the jar would send to `url` (a session at logout). */
export async function removeCookie(jar: CookieJar, url: URL, name: string): Promise<void> {
  for (const cookie of await jar.getCookies(url.href)) {
    if (cookie.key === name && cookie.domain !== null && cookie.path !== null) {
      await jar.store.removeCookie(cookie.domain, cookie.path, cookie.key);
    }
  }
}
