import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { GeoworksError } from '@geoworks/errors';

export class Bzip2UnavailableError extends GeoworksError {
  constructor(cause: unknown) {
    super(
      'internal',
      'bzip2 is needed for .bz2 files but could not be run (apt-get install bzip2)',
      {
        code: 'BZIP2_UNAVAILABLE',
        cause,
      },
    );
  }
}

/**
 * A bzip2 process as a stream pair: write to `input`, read from `output`. The system's bzip2
 * is native speed and streams; `done` settles when it exits (rejects on failure).
 */
export function bzip2(mode: 'compress' | 'decompress'): {
  input: Writable;
  output: Readable;
  done: Promise<void>;
} {
  const child = spawn('bzip2', mode === 'compress' ? ['-c', '-9'] : ['-d', '-c'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Bzip2UnavailableError(error)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(new Error(`bzip2 ${mode} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
  return { input: child.stdin, output: child.stdout, done };
}
