import type { ServerResponse } from 'node:http';

/** Text is sent in pieces of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/** The client went away, or a destroy fault cut the response: stop producing it. */
export class ResponseStopped extends Error {}

/**
 * Streams a response body in chunks, waiting for the socket to drain, so a page of any size
 * costs one chunk of memory, not one string. With `destroyAfterBytes` (a destroy fault) it
 * sends that many body bytes and then destroys the socket, leaving the response incomplete.
 */
export class BodyWriter {
  private parts: string[] = [];
  private queued = 0;
  private sent = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly destroyAfterBytes: number | undefined,
  ) {}

  /** Queues text; true when enough is queued that the caller should `await flush()`. */
  push(text: string): boolean {
    this.parts.push(text);
    this.queued += text.length;
    return this.queued >= CHUNK_CHARS;
  }

  async flush(): Promise<void> {
    if (this.queued === 0) return;
    const chunk = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    this.queued = 0;
    await this.send(chunk);
  }

  /** Sends what is queued and ends the response (or, under a destroy fault, cuts it). */
  async end(): Promise<void> {
    await this.flush();
    if (this.destroyAfterBytes !== undefined) {
      // The whole body was shorter than the cut: still never finish it.
      await this.cut(Buffer.alloc(0));
      return;
    }
    this.res.end();
  }

  private async send(chunk: string): Promise<void> {
    if (this.res.destroyed) throw new ResponseStopped('client closed the connection');
    if (this.destroyAfterBytes !== undefined) {
      const bytes = Buffer.from(chunk);
      const room = this.destroyAfterBytes - this.sent;
      if (bytes.length >= room) await this.cut(bytes.subarray(0, room));
      this.sent += bytes.length;
      if (!this.res.write(bytes)) await this.drained();
      return;
    }
    if (!this.res.write(chunk)) await this.drained();
  }

  /** Sends the last bytes allowed, then destroys the socket mid-body. */
  private async cut(last: Buffer): Promise<never> {
    this.res.flushHeaders();
    if (last.length > 0)
      await new Promise<void>((resolve) => this.res.write(last, () => resolve()));
    // Let the bytes reach the client before the connection is torn down.
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.res.socket?.destroy();
    this.res.destroy();
    throw new ResponseStopped('socket destroyed by a fault');
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', gone);
        resolve();
      };
      const gone = () => {
        this.res.off('drain', done);
        this.res.off('close', gone);
        reject(new ResponseStopped('client closed the connection'));
      };
      this.res.on('drain', done);
      this.res.on('close', gone);
    });
  }
}
