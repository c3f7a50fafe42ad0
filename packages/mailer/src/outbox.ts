import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMessage, type ParsedMessage } from './parse.js';

/** A message found in an outbox folder. */
export interface OutboxMessage extends ParsedMessage {
  /** The file's full path. */
  path: string;
  /** The file name, which sorts in the order the messages were written. */
  file: string;
}

let lastTime = 0;
let counter = 0;

/**
 * `20261122T181800123Z-000042-9f86d081.eml`: the time first, so names sort by when they were
 * written; a per-process counter keeps one process's messages in order within a millisecond
 * (the time never goes backwards here even if the clock does); random bytes keep processes
 * sharing an outbox from colliding.
 */
export function outboxFileName(now = Date.now()): string {
  lastTime = Math.max(lastTime, now);
  counter = (counter + 1) % 1_000_000;
  const stamp = new Date(lastTime).toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${String(counter).padStart(6, '0')}-${randomBytes(4).toString('hex')}.eml`;
}

/**
 * Writes a message under a hidden temporary name, flushes it to disk, then renames it into
 * place: a reader listing `*.eml` sees a whole message or none. The file is readable by its
 * owner only, since messages carry password-reset and download links.
 */
export async function writeOutboxFile(dir: string, message: Buffer): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = outboxFileName();
  const path = join(dir, name);
  const temporary = join(dir, `.${name}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(message);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return path;
}

/**
 * The messages in an outbox folder, oldest first, parsed enough to check recipients, subject,
 * bodies and attachments. A folder that does not exist yet holds no messages.
 */
export async function readOutbox(dir: string): Promise<OutboxMessage[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = names.filter((name) => name.endsWith('.eml') && !name.startsWith('.')).sort();
  return Promise.all(
    files.map(async (file) => {
      const path = join(dir, file);
      return { ...parseMessage(await readFile(path)), path, file };
    }),
  );
}
