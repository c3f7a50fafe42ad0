// Requests written byte by byte on a TCP connection, for clients fetch cannot play (ones that
// stop halfway through their headers or body and wait), and waiting for a file to appear.
import { mkdirSync, readdirSync, watch } from 'node:fs';
import { connect, type Socket } from 'node:net';

export interface RawConnection {
  socket: Socket;
  /** Everything the server sent, once it has closed the connection. */
  closed: Promise<string>;
}

/** Opens a connection to `port` on loopback and writes `data` on it. */
export function rawConnection(port: number, data: string | Buffer): RawConnection {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<string>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  socket.write(data);
  return { socket, closed };
}

/** Resolves once `dir` holds a file (waiting for the file system's events, not for time). */
export function fileAppears(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  return new Promise((resolve) => {
    const watcher = watch(dir, () => check());
    const check = () => {
      if (readdirSync(dir).length === 0) return;
      watcher.close();
      resolve();
    };
    check();
  });
}
