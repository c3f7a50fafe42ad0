import type { Writable } from 'node:stream';

/** Text is gathered into chunks of about this many UTF-16 units before it is written. */
const BATCH_CHARS = 64 * 1024;

/**
 * Writes text to a stream in ~64 KiB chunks and honours backpressure: `push` returns a
 * promise only when the stream is full, so the per-row cost in the common case is a string
 * append and no `await` at all (an `await` per row would cost a microtask each).
 *
 * `stops` are promises that only ever reject (abort, a failed archive): a wait for `drain`
 * ends with their error, so it cannot hang on a stream nobody reads any more. They are
 * subscribed to once here rather than raced at every wait, which would pile a reaction onto
 * each never-settling promise per wait.
 */
export class BatchedWriter {
  /** Bytes (UTF-8) handed to the stream so far. */
  bytes = 0;
  private batch = '';
  private stopped: Error | undefined;
  private onStop: ((error: Error) => void) | undefined;

  constructor(
    private readonly stream: Writable,
    stops: Promise<never>[] = [],
  ) {
    const stop = (error: unknown) => {
      this.stopped ??= error instanceof Error ? error : new Error(String(error));
      this.onStop?.(this.stopped);
    };
    for (const promise of stops) promise.catch(stop);
    // A stream's 'error' with no listener would crash the process; it stops the writer.
    stream.on('error', stop);
  }

  /** Adds text; when this fills a chunk that the stream cannot take yet, returns the wait. */
  push(text: string): Promise<void> | undefined {
    this.batch += text;
    return this.batch.length >= BATCH_CHARS ? this.flush() : undefined;
  }

  /** Writes what is gathered; returns a wait when the stream is full. */
  flush(): Promise<void> | undefined {
    if (this.stopped) throw this.stopped;
    if (this.batch.length === 0) return undefined;
    const chunk = Buffer.from(this.batch, 'utf8');
    this.batch = '';
    this.bytes += chunk.length;
    return this.stream.write(chunk) ? undefined : this.drain();
  }

  /** Flushes and ends the stream (the caller waits for whatever "done" means for it). */
  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
  }

  private drain(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        this.stream.off('drain', onDrain);
        this.onStop = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onDrain = () => settle();
      this.stream.on('drain', onDrain);
      this.onStop = settle;
      if (this.stopped) settle(this.stopped);
    });
  }
}
