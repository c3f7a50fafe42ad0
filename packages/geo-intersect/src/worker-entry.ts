// A worker process of `intersect()`: builds the engine from the setup it is sent, then
// answers each batch of first-dataset features with their intersections.
import { serializeError } from '@geoworks/errors';
import { IntersectionEngine, type EngineSetup } from './engine.js';
import type { FromWorker, ToWorker } from './protocol.js';

let engine: IntersectionEngine | null = null;
const send = (message: FromWorker) => process.send!(message);

process.on('message', (message: ToWorker) => {
  try {
    if (message.kind === 'setup') {
      engine = new IntersectionEngine(message.setup satisfies EngineSetup);
      send({ kind: 'ready' });
      return;
    }
    const results = message.features.flatMap(({ index, wkb }) =>
      engine!.intersect(index, toBuffer(wkb)),
    );
    send({ kind: 'results', seq: message.seq, results });
  } catch (error) {
    send({ kind: 'error', error: serializeError(error) });
  }
});
process.on('disconnect', () => process.exit(0));

// Buffers arrive as Uint8Array through the advanced serialization.
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
