// The benchmark's file host, in its own process so it does not share the client's event loop:
// every path answers the same SIZE-byte payload, in 1 MiB writes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const SIZE = Number(process.argv[2] ?? 20_000_000);
const CHUNK = Buffer.alloc(1 << 20, 7);
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-length': SIZE, 'content-type': 'application/octet-stream' });
  let left = SIZE;
  const write = () => {
    while (left > 0) {
      const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= piece.length;
      if (!response.write(piece)) {
        response.once('drain', write);
        return;
      }
    }
    response.end();
  };
  write();
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
