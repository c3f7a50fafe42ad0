import { WriteAbortedError } from './errors.js';

/** Throws a typed abort error when `signal` has fired (called once per record: a field read). */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new WriteAbortedError(what, signal.reason);
}

/**
 * A promise that rejects when `signal` fires, for racing against waits (drain, entry done)
 * that would otherwise never notice the abort. `dispose` removes the listener.
 */
export function abortPromise(
  signal: AbortSignal | undefined,
  what: string,
): { promise: Promise<never>; dispose: () => void } {
  if (signal === undefined) return { promise: new Promise<never>(() => {}), dispose: () => {} };
  let dispose = () => {};
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) {
      reject(new WriteAbortedError(what, signal.reason));
      return;
    }
    const onAbort = () => reject(new WriteAbortedError(what, signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    dispose = () => signal.removeEventListener('abort', onAbort);
  });
  // Rejections are consumed by whoever races this promise; never report them as unhandled.
  promise.catch(() => {});
  return { promise, dispose };
}
