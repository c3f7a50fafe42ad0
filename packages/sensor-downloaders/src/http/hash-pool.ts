// MD5 off the main thread. A transfer at disk speed spends as long hashing as receiving: on
// the event loop that halves throughput, so the bytes are hashed by worker threads while the
// main thread keeps reading the network and writing the file.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (message) => {
  if (message.op === 'update') {
    let hash = hashes.get(message.id);
    if (hash === undefined) hashes.set(message.id, (hash = createHash(message.algorithm)));
    hash.update(message.chunk);
    parentPort.postMessage({ id: message.id, ack: message.chunk.byteLength });
  } else if (message.op === 'digest') {
    const hash = hashes.get(message.id) ?? createHash(message.algorithm);
    hashes.delete(message.id);
    parentPort.postMessage({ id: message.id, digest: hash.digest('hex') });
  } else if (message.op === 'drop') {
    hashes.delete(message.id);
  }
});
`;

/** Bytes a stream may have queued at its worker before `update` waits (flat memory). */
const MAX_QUEUED_BYTES = 16 << 20;

interface StreamState {
  worker: Worker;
  queued: number;
  resume: (() => void) | undefined;
  digest: ((hex: string) => void) | undefined;
}

class HashPool {
  readonly #workers: Worker[] = [];
  readonly #streams = new Map<number, StreamState>();
  #nextId = 0;
  #nextWorker = 0;

  #worker(): Worker {
    const size = Math.max(1, Math.min(4, availableParallelism() - 1));
    if (this.#workers.length < size) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      worker.on('message', (message: { id: number; ack?: number; digest?: string }) =>
        this.#onMessage(message),
      );
      this.#workers.push(worker);
      return worker;
    }
    return this.#workers[this.#nextWorker++ % this.#workers.length]!;
  }

  #onMessage(message: { id: number; ack?: number; digest?: string }): void {
    const stream = this.#streams.get(message.id);
    if (stream === undefined) return;
    if (message.ack !== undefined) {
      stream.queued -= message.ack;
      if (stream.queued <= MAX_QUEUED_BYTES / 2 && stream.resume !== undefined) {
        const resume = stream.resume;
        stream.resume = undefined;
        resume();
      }
    }
    if (message.digest !== undefined) {
      this.#streams.delete(message.id);
      this.#refresh(stream.worker);
      stream.digest?.(message.digest);
    }
  }

  /** Keeps the process alive only while some stream is being hashed. */
  #refresh(worker: Worker): void {
    const busy = [...this.#streams.values()].some((stream) => stream.worker === worker);
    if (busy) worker.ref();
    else worker.unref();
  }

  open(): number {
    const id = this.#nextId++;
    const worker = this.#worker();
    this.#streams.set(id, { worker, queued: 0, resume: undefined, digest: undefined });
    worker.ref();
    return id;
  }

  /** Queues a copy of `chunk`; resolves at once unless too much is waiting to be hashed. */
  async update(id: number, chunk: Uint8Array, algorithm: string): Promise<void> {
    const stream = this.#streams.get(id)!;
    stream.queued += chunk.byteLength;
    // A compact copy, transferred: posting the view itself would copy its whole backing buffer.
    // (Uint8Array's slice copies; Buffer's is a view, whose transfer would detach the caller's.)
    const copy = Uint8Array.prototype.slice.call(chunk);
    stream.worker.postMessage({ op: 'update', id, algorithm, chunk: copy }, [copy.buffer]);
    if (stream.queued > MAX_QUEUED_BYTES)
      await new Promise<void>((resolve) => (stream.resume = resolve));
  }

  digest(id: number, algorithm: string): Promise<string> {
    const stream = this.#streams.get(id)!;
    return new Promise((resolve) => {
      stream.digest = resolve;
      stream.worker.postMessage({ op: 'digest', id, algorithm });
    });
  }

  drop(id: number): void {
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    this.#streams.delete(id);
    stream.worker.postMessage({ op: 'drop', id });
    stream.resume?.();
    this.#refresh(stream.worker);
  }
}

const pool = new HashPool();

/** An incremental hash computed by a worker thread. */
export class BackgroundHash {
  readonly #id = pool.open();
  readonly #algorithm: string;
  #finished = false;

  constructor(algorithm = 'md5') {
    this.#algorithm = algorithm;
  }

  update(chunk: Uint8Array): Promise<void> {
    return pool.update(this.#id, chunk, this.#algorithm);
  }

  /** The hex digest; the hash cannot be used afterwards. */
  digest(): Promise<string> {
    this.#finished = true;
    return pool.digest(this.#id, this.#algorithm);
  }

  /** Abandons the hash (a failed transfer). */
  dispose(): void {
    if (!this.#finished) pool.drop(this.#id);
    this.#finished = true;
  }
}
