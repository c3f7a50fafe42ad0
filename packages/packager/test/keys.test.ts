import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKey, SecretBox } from '../src/keys.js';

describe('SecretBox', () => {
  it('seals and opens; another key or a changed byte fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'packager-keys-'));
    try {
      const key = await loadOrCreateKey(dir, '.k');
      expect((await stat(join(dir, '.k'))).mode & 0o777).toBe(0o600);
      expect((await loadOrCreateKey(dir, '.k')).equals(key)).toBe(true);
      const box = new SecretBox(key);
      const sealed = box.seal('api-key-123');
      expect(sealed).toMatch(/^v1\./);
      expect(sealed).not.toContain('api-key-123');
      expect(box.seal('api-key-123')).not.toBe(sealed);
      expect(box.open(sealed)).toBe('api-key-123');
      const other = new SecretBox(await loadOrCreateKey(dir, '.other'));
      expect(() => other.open(sealed)).toThrow();
      const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
      expect(() => box.open(tampered)).toThrow();
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
