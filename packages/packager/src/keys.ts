import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A random 32-byte key kept in `dir/name` (mode 0600), made on first use. Several processes
 * (or machines sharing the folder) starting at once end up with the same key: the file is
 * created exclusively and a loser reads the winner's.
 */
export async function loadOrCreateKey(dir: string, name: string): Promise<Buffer> {
  const file = join(dir, name);
  try {
    const existing = await readFile(file);
    if (existing.length >= 32) return existing.subarray(0, 32);
  } catch {
    // First start: make one below.
  }
  const key = randomBytes(32);
  try {
    await writeFile(file, key, { flag: 'wx', mode: 0o600 });
    return key;
  } catch {
    return (await readFile(file)).subarray(0, 32);
  }
}

const VERSION = 'v1';

/**
 * Seals short secrets (a user's CKAN API key) for storage in a job payload with AES-256-GCM:
 * the jobs database, or Redis, then holds nothing usable without the key file.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {}

  seal(text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** The sealed text; throws when it was sealed with another key or tampered with. */
  open(sealed: string): string {
    const [version, data] = sealed.split('.', 2);
    if (version !== VERSION || data === undefined) throw new Error('Not a sealed value');
    const bytes = Buffer.from(data, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  }
}
