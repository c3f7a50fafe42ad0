import { sep } from 'node:path';

// A stack frame as V8 writes it: `    at f (/srv/x.js:1:2)`, `    at /srv/x.js:1:2`,
// `    at Array.map (<anonymous>)`.
const FRAME = /^\s+at \S.*(\)|:\d+:\d+)$/;

/**
 * What a client may read of a log message or an error: its lines without stack frames (the
 * server log has those) and with every path under one of `dirs` made relative to it (a job's
 * folder, the data directory), so that no answer names a server path.
 */
export function publicText(text: string, dirs: readonly string[]): string {
  let result = text
    .split('\n')
    .filter((line) => !FRAME.test(line))
    .join('\n');
  for (const dir of dirs) result = result.replaceAll(`${dir}${sep}`, '').replaceAll(dir, '.');
  return result;
}

/**
 * `name too long` for Node's `ENAMETOOLONG: name too long, open '/srv/...'`: a system error
 * without the paths its message ends with; null for other errors.
 */
export function systemErrorText(error: unknown): string | null {
  const { code, syscall, message } = error as Partial<NodeJS.ErrnoException>;
  if (typeof code !== 'string' || typeof syscall !== 'string') return null;
  return /^[A-Z0-9_]+: ([^,]+)/.exec(message ?? '')?.[1] ?? code;
}

/** A client's file name as messages quote it: at most 60 characters. */
export function shortName(name: string): string {
  return JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}...` : name);
}
