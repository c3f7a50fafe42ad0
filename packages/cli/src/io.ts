import { Readable } from 'node:stream';
import type { Env } from '@geoworks/config';

/** Where a command writes: `process.stdout` and `process.stderr`, or a test's buffer. */
export interface CliOutput {
  write(text: string): unknown;
  /** A terminal: progress bars and prompts only go to one. */
  isTTY?: boolean;
}

/** Everything a command touches of its process, so that tests run it in theirs. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: CliOutput;
  stderr: CliOutput;
  env: Env;
  /**
   * Calls `listener` at the first Ctrl-C (the one registered last, if several); returns a
   * function that stops listening. With no listener, or at a second Ctrl-C, the process exits
   * 130 at once.
   */
  onInterrupt(listener: () => void): () => void;
}

/** The real process: its streams and environment, Ctrl-C as `onInterrupt` says. */
export function processIo(): CliIo {
  const listeners: (() => void)[] = [];
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts += 1;
    const listener = listeners.at(-1);
    if (listener === undefined || interrupts > 1) process.exit(130);
    listener();
  });
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt: (listener) => listen(listeners, listener),
  };
}

/** A buffered output: what was written, as one string. */
export interface TextOutput extends CliOutput {
  readonly text: string;
}

/** `textIo()`: a `CliIo` whose outputs are kept, for tests. */
export interface TextIo extends CliIo {
  stdout: TextOutput;
  stderr: TextOutput;
  /** Acts as a Ctrl-C: calls the listener registered last; false when there was none. */
  interrupt(): boolean;
}

export interface TextIoOptions {
  /** The environment; default empty (never the test process's own). */
  env?: Env;
  /** Standard input, all of it; default empty. */
  stdin?: string;
  /** Whether standard output or error pretend to be terminals. */
  stdoutTTY?: boolean;
  stderrTTY?: boolean;
}

/** A `CliIo` for tests: outputs kept as text, the given input and environment. */
export function textIo(options: TextIoOptions = {}): TextIo {
  const listeners: (() => void)[] = [];
  const stdin = Object.assign(Readable.from([Buffer.from(options.stdin ?? '')]), {
    isTTY: false,
  });
  return {
    stdin,
    stdout: textOutput(options.stdoutTTY === true),
    stderr: textOutput(options.stderrTTY === true),
    env: options.env ?? {},
    onInterrupt: (listener) => listen(listeners, listener),
    interrupt() {
      const listener = listeners.at(-1);
      listener?.();
      return listener !== undefined;
    },
  };
}

function textOutput(isTTY: boolean): TextOutput {
  let text = '';
  return {
    isTTY,
    get text() {
      return text;
    },
    write(chunk: string) {
      text += chunk;
      return true;
    },
  };
}

function listen(listeners: (() => void)[], listener: () => void): () => void {
  listeners.push(listener);
  return () => {
    const index = listeners.lastIndexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  };
}
