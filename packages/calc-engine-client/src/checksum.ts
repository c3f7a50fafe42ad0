import { open } from 'node:fs/promises';

/** Adler-32 of `data`, as Python's `zlib.adler32(data) & 0xffffffff`. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  // 5552 is the largest run that cannot overflow before the modulo (as zlib does).
  for (let start = 0; start < data.length; start += 5552) {
    const end = Math.min(start + 5552, data.length);
    for (let index = start; index < end; index++) {
      a += data[index] ?? 0;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * The checksum `POST /v1/on_same_fs` expects: Adler-32 of the file's first 32 bytes. Pass a
 * path, or the bytes themselves.
 */
export async function sameFsChecksum(source: string | Uint8Array): Promise<number> {
  if (typeof source !== 'string') return adler32(source.subarray(0, 32));
  const handle = await open(source, 'r');
  try {
    const buffer = new Uint8Array(32);
    const { bytesRead } = await handle.read(buffer, 0, 32, 0);
    return adler32(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
