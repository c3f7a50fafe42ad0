// The benchmark's pool worker: answers each task with its payload's length and first byte.
import { serveProcessPool } from '../src/index.js';

serveProcessPool<null, Uint8Array, [number, number]>({
  setup: () => undefined,
  run: (payload) => [payload.length, payload[0] ?? -1],
});
