// Entry point of a job worker thread.
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from './protocol.js';
import { startWorkerRuntime } from './runtime.js';

const port = parentPort;
if (port === null) throw new Error('thread-entry must run in a worker thread');

startWorkerRuntime({
  send: (message) => port.postMessage(message),
  onMessage: (listener) => port.on('message', (message: ToWorker) => listener(message)),
});
