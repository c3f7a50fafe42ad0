#!/usr/bin/env node
// The `calc-engine` command: see `calc-engine --help` and the README.
import { homedir } from 'node:os';
import { runCli } from './cli/main.js';

// Output piped into `head` and the like: stop quietly when the reader goes away.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

let handler: (() => void) | undefined;
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  // The first Ctrl-C lets a waiting command wind down; a second one (or none waiting) exits.
  if (handler !== undefined && interrupts === 1) handler();
  else process.exit(130);
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  homedir: homedir(),
  onInterrupt(listener) {
    handler = listener;
    return () => {
      if (handler === listener) handler = undefined;
    };
  },
});
