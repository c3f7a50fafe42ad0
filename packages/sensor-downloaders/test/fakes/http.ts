// Shared plumbing of the fake provider servers: a loopback HTTP server, JSON bodies, and a
// file host that serves synthetic scene files with Range support and the faults real
// providers show (429 with Retry-After, 5xx, a connection dropped halfway, wrong checksums).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface FakeServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly server: Server;
  /** Every request seen, in order: method, path with query, and headers. */
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

/** Starts a loopback server; a handler that throws answers 500 with the message. */
export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    Promise.resolve(handler(req, res, url)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String((error as Error).message ?? error));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJson<T = unknown>(req: IncomingMessage): Promise<T> {
  const text = await readBody(req);
  return (text === '' ? {} : JSON.parse(text)) as T;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A synthetic file: `size` bytes of a deterministic pattern seeded by `seed`, and its MD5. */
export class SyntheticFile {
  readonly size: number;
  readonly seed: number;
  #md5: string | undefined;

  constructor(size: number, seed = 1) {
    this.size = size;
    this.seed = seed;
  }

  /** Bytes [start, end) of the file. */
  slice(start: number, end: number): Buffer {
    const out = Buffer.allocUnsafe(end - start);
    for (let index = start; index < end; index++)
      out[index - start] = (index * 31 + this.seed * 7 + (index >> 11)) & 0xff;
    return out;
  }

  get md5(): string {
    this.#md5 ??= createHash('md5').update(this.slice(0, this.size)).digest('hex');
    return this.#md5;
  }
}

/** Faults a file host can inject, each consumed as it fires. */
export interface FileFaults {
  /** Answer this many requests with 429 and `Retry-After: retryAfterSeconds` first. */
  tooManyRequests?: number;
  retryAfterSeconds?: number;
  /** Answer this many requests with 503 first. */
  serverErrors?: number;
  /** Cut the connection once the file offset reaches this byte, `drops` times (default once). */
  dropAtByte?: number;
  drops?: number;
  /** Stop sending (without closing) once the file offset reaches this byte, once: a stall. */
  stallAtByte?: number;
  /** Serve bytes that do not match the advertised MD5 this many times. */
  corruptions?: number;
  /** Ignore Range headers (always answer 200 with the whole file). */
  ignoreRange?: boolean;
}

export interface ServeFileOptions {
  /** `Content-Disposition: attachment; filename="..."`. */
  filename?: string;
  contentType?: string;
  /** Bytes per write (default 64 KiB). */
  chunkSize?: number;
  /** Pause between writes, to make transfers overlap in tests (default none). */
  chunkDelayMs?: number;
  faults?: FileFaults;
}

/** Serves `file` honouring `Range: bytes=N-` (206) and the faults; HEAD answers headers only. */
export async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: SyntheticFile | Buffer,
  options: ServeFileOptions = {},
): Promise<void> {
  const faults = options.faults ?? {};
  if ((faults.tooManyRequests ?? 0) > 0) {
    faults.tooManyRequests!--;
    sendText(res, 429, 'Too Many Requests', {
      'retry-after': String(faults.retryAfterSeconds ?? 1),
    });
    return;
  }
  if ((faults.serverErrors ?? 0) > 0) {
    faults.serverErrors!--;
    sendText(res, 503, 'Service Unavailable');
    return;
  }
  const size = Buffer.isBuffer(file) ? file.length : file.size;
  const slice = (start: number, end: number) =>
    Buffer.isBuffer(file) ? file.subarray(start, end) : file.slice(start, end);
  let start = 0;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range !== null && faults.ignoreRange !== true) {
    start = Number(range[1]);
    if (start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
  }
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/octet-stream',
    'content-length': String(size - start),
    'accept-ranges': 'bytes',
  };
  if (options.filename !== undefined)
    headers['content-disposition'] = `attachment; filename="${options.filename}"`;
  if (start > 0) headers['content-range'] = `bytes ${start}-${size - 1}/${size}`;
  res.writeHead(start > 0 ? 206 : 200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const corrupt = (faults.corruptions ?? 0) > 0;
  if (corrupt) faults.corruptions!--;
  let dropAt = Infinity;
  if (faults.dropAtByte !== undefined && (faults.drops ?? 1) > 0) {
    dropAt = faults.dropAtByte;
    faults.drops = (faults.drops ?? 1) - 1;
  }
  let stallAt = Infinity;
  if (faults.stallAtByte !== undefined) {
    stallAt = faults.stallAtByte;
    delete faults.stallAtByte;
  }
  const chunkSize = options.chunkSize ?? 65536;
  for (let at = start; at < size;) {
    let end = Math.min(size, at + chunkSize);
    if (dropAt > at && dropAt < end) end = dropAt;
    if (stallAt > at && stallAt < end) end = stallAt;
    let chunk = slice(at, end);
    if (corrupt && at === start) {
      chunk = Buffer.from(chunk);
      chunk[0] = chunk[0]! ^ 0xff;
    }
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    if (options.chunkDelayMs !== undefined)
      await new Promise((resolve) => setTimeout(resolve, options.chunkDelayMs));
    at = end;
    if (at === dropAt && at < size) {
      res.socket?.destroy();
      return;
    }
    if (at === stallAt && at < size) {
      // Hold the connection open without sending: the client must time out.
      await new Promise((resolve) => res.once('close', resolve));
      return;
    }
  }
  res.end();
}

/** [west, south, east, north] in degrees. */
export type BBox = [number, number, number, number];

/** Whether two boxes overlap (edges touching count): the fakes' spatial filter. */
export function intersects(a: BBox, b: BBox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/** A seeded pseudo-random generator (mulberry32), so generated records are the same every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const roundTo = (value: number, digits: number): number => Number(value.toFixed(digits));

/**
 * A box the size of `aoi`, its centre anywhere within the AOI's size around the AOI's centre:
 * scenes that overlap the AOI or, now and then, miss it (edges rounded to 4 decimals).
 */
export function scatteredBox(rand: () => number, [w, s, e, n]: BBox): BBox {
  const width = e - w;
  const height = n - s;
  const cx = w + width / 2 + (rand() - 0.5) * width * 2;
  const cy = s + height / 2 + (rand() - 0.5) * height * 2;
  return [
    roundTo(cx - width, 4),
    roundTo(cy - height, 4),
    roundTo(cx + width, 4),
    roundTo(cy + height, 4),
  ];
}
