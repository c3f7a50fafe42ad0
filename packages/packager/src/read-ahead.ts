import { AbortedError } from '@geoworks/errors';
import { CkanError } from './errors.js';

/**
 * Reads an HTTP body ahead of its consumer, up to `budgetBytes`, so the server is not held
 * back while the consumer works on what came before (a CKAN that streams its answer would
 * otherwise only produce as fast as we write the zip). Memory stays bounded by the budget.
 * The silence timeout counts only while reading is allowed to go on: a consumer that is slow
 * is not the server's fault.
 */
export class ReadAhead {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;
  private failure: Error | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakePump: (() => void) | undefined;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly options: {
      budgetBytes: number;
      /** Longest silence from the server while we wait for bytes. */
      timeoutMs: number;
      host: string;
      signal: AbortSignal | undefined;
    },
  ) {
    void this.pump();
  }

  /**
   * Everything buffered so far, up to `maxBytes` (at least one chunk), as one Buffer; waits
   * when nothing is buffered; undefined at the end of the body.
   */
  async take(maxBytes: number): Promise<Buffer | undefined> {
    for (;;) {
      if (this.chunks.length > 0) {
        let size = 0;
        let count = 0;
        while (
          count < this.chunks.length &&
          (count === 0 || size + this.chunks[count]!.byteLength <= maxBytes)
        ) {
          size += this.chunks[count]!.byteLength;
          count++;
        }
        const taken = this.chunks.splice(0, count);
        this.buffered -= size;
        this.wakePump?.();
        return taken.length === 1
          ? Buffer.from(taken[0]!.buffer, taken[0]!.byteOffset, taken[0]!.byteLength)
          : Buffer.concat(taken, size);
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.wakeConsumer = resolve;
      });
    }
  }

  /** Stops reading and releases the connection. */
  cancel(): void {
    this.ended = true;
    void this.reader.cancel().catch(() => undefined);
    this.wakePump?.();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        while (this.buffered >= this.options.budgetBytes && !this.ended) {
          await new Promise<void>((resolve) => {
            this.wakePump = resolve;
          });
        }
        if (this.ended) return;
        const chunk = await this.read();
        if (chunk === undefined) break;
        this.chunks.push(chunk);
        this.buffered += chunk.byteLength;
        this.wake();
      }
    } catch (error) {
      this.failure = this.describe(error);
      void this.reader.cancel().catch(() => undefined);
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private wake(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }

  private async read(): Promise<Uint8Array | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CkanError(`${this.options.host} sent nothing for ${this.options.timeoutMs} ms`, {
              transient: true,
            }),
          ),
        this.options.timeoutMs,
      );
    });
    try {
      const { done, value } = await Promise.race([this.reader.read(), silence]);
      return done ? undefined : value;
    } finally {
      clearTimeout(timer);
    }
  }

  private describe(error: unknown): Error {
    if (this.options.signal?.aborted) return new AbortedError('The download was stopped');
    if (error instanceof CkanError) return error;
    return new CkanError(
      `${this.options.host} broke off its answer: ${(error as Error).message}`,
      { transient: true },
      { cause: error },
    );
  }
}
