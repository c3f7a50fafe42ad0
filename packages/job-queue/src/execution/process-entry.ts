// Entry point of a job child process.
import type { ToWorker } from './protocol.js';
import { startWorkerRuntime } from './runtime.js';

const send = process.send?.bind(process);
if (send === undefined)
  throw new Error('process-entry must run as a forked child with an IPC channel');

const runtime = startWorkerRuntime({
  send: (message) => {
    send(message);
  },
  onMessage: (listener) => process.on('message', (message: ToWorker) => listener(message)),
});

// Abort is SIGINT, as a user would send it by hand; the handler's signal fires and it winds down.
process.on('SIGINT', () => runtime.abort('interrupted (SIGINT)'));
// The queue went away: nobody will read our result.
process.on('disconnect', () => process.exit(0));
