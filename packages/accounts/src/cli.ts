#!/usr/bin/env node
// The operators' command line: `geoworks-accounts --db accounts.sqlite list`. See cli/run.ts.
import { run } from './cli/run.js';

process.exitCode = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
