// The benchmark's file host, in its own process so it does not share the client's event loop:
// every path serves the same SIZE-byte payload; `/cut` drops its first transfer at 50 %.
import { createHash } from 'node:crypto';
import { serveFile, startFakeServer } from '../test/fakes/http.js';

const SIZE = Number(process.argv[2] ?? 20_000_000);
const payload = Buffer.alloc(SIZE);
for (let index = 0; index + 4 <= SIZE; index += 4)
  payload.writeUInt32LE((index * 2654435761) >>> 0, index);
let cutOnce = true;
const server = await startFakeServer(async (req, res, url) => {
  if (url.pathname === '/cut' && cutOnce && req.headers.range === undefined) {
    cutOnce = false;
    await serveFile(req, res, payload, { faults: { dropAtByte: SIZE / 2 } });
    return;
  }
  await serveFile(req, res, payload, { chunkSize: 1 << 20 });
});
process.send?.({ url: server.url, md5: createHash('md5').update(payload).digest('hex') });
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
