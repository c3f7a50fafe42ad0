import { serializeError } from '@geoworks/errors';
import { JobAbortedError } from '../errors.js';
import type { JobHandler } from '../types.js';
import { createJobContext } from './context.js';
import type { FromWorker, ToWorker } from './protocol.js';

export interface WorkerChannel {
  send(message: FromWorker): void;
  onMessage(listener: (message: ToWorker) => void): void;
}

/**
 * The loop inside a worker thread or child process: runs one job at a time, forwards logs and
 * progress, and aborts the handler's signal when asked (abort message or SIGINT).
 */
export function startWorkerRuntime(channel: WorkerChannel): { abort(reason: string): void } {
  let controller: AbortController | null = null;
  const handlers = new Map<string, JobHandler>();

  const abort = (reason: string) => {
    if (controller !== null && !controller.signal.aborted)
      controller.abort(new JobAbortedError(reason));
  };

  channel.onMessage((message) => {
    if (message.kind === 'abort') {
      abort(message.reason);
      return;
    }
    const jobController = new AbortController();
    controller = jobController;
    void run(message, jobController.signal).finally(() => {
      if (controller === jobController) controller = null;
    });
  });

  async function run(
    message: Extract<ToWorker, { kind: 'run' }>,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      const handler = await loadHandler(message.module, message.exportName);
      const context = createJobContext(message, signal, {
        log: (level, text) => channel.send({ kind: 'log', level, message: text }),
        progress: (percent) => channel.send({ kind: 'progress', percent }),
      });
      const result = await handler(message.payload, context);
      try {
        channel.send({ kind: 'done', result });
      } catch (error) {
        channel.send({
          kind: 'error',
          error: serializeError(
            new Error(`The job's result cannot be sent back: ${(error as Error).message}`),
          ),
        });
      }
    } catch (error) {
      channel.send({ kind: 'error', error: serializeError(error) });
    }
  }

  async function loadHandler(module: string, exportName: string): Promise<JobHandler> {
    const cacheKey = `${module}#${exportName}`;
    const cached = handlers.get(cacheKey);
    if (cached !== undefined) return cached;
    const loaded = (await import(module)) as Record<string, unknown>;
    const handler = loaded[exportName];
    if (typeof handler !== 'function') {
      throw new TypeError(`Module ${module} has no function export "${exportName}"`);
    }
    handlers.set(cacheKey, handler as JobHandler);
    return handler as JobHandler;
  }

  return { abort };
}
