import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const TYPESCRIPT = /\.[cm]?ts$/;

interface TypeScriptLoader {
  /** For child processes: `--import` this. */
  processLoader: string;
  /** For worker threads: import this and call its `register()` before the entry. */
  threadRegister: string;
}

let loader: TypeScriptLoader | undefined;

/**
 * tsx, found from this package. Workers run plain Node: a TypeScript entry (this repository's
 * sources in tests, or a user's handler module) needs tsx loaded first, and sibling packages
 * resolved to their sources (`--conditions=@geoworks/source`).
 */
function typeScriptLoader(): TypeScriptLoader {
  if (loader !== undefined) return loader;
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve('tsx/package.json'));
  } catch {
    throw new Error(
      'Running a TypeScript worker module needs the "tsx" package (npm install -D tsx)',
    );
  }
  const threadRegister = join(root, 'dist', 'esm', 'api', 'index.mjs');
  if (!existsSync(threadRegister))
    throw new Error(`tsx is installed but ${threadRegister} is missing`);
  loader = {
    processLoader: pathToFileURL(require.resolve('tsx')).href,
    threadRegister: pathToFileURL(threadRegister).href,
  };
  return loader;
}

/** True when `entry` is TypeScript and so needs tsx in the worker. */
export function needsTypeScript(...modules: (string | URL)[]): boolean {
  return modules.some((module) => TYPESCRIPT.test(new URL(module).pathname));
}

export interface LaunchOptions {
  /** Other modules the worker will import; TypeScript among them also turns tsx on. */
  alsoLoads?: (string | URL)[];
}

/** Forks a child process running `entry` (a file URL), TypeScript or JavaScript. */
export function forkModule(
  entry: URL,
  args: readonly string[] = [],
  options: ForkOptions & LaunchOptions = {},
): ChildProcess {
  const { alsoLoads = [], execArgv = [], ...forkOptions } = options;
  const extra = needsTypeScript(entry, ...alsoLoads)
    ? ['--import', typeScriptLoader().processLoader, '--conditions=@geoworks/source']
    : [];
  return fork(fileURLToPath(entry), [...args], {
    ...forkOptions,
    execArgv: [...extra, ...execArgv],
  });
}

/**
 * Starts a worker thread running `entry`. Node 20 ignores `--import` hooks for a thread's
 * entry module, so for TypeScript the thread first registers tsx's ESM API, then imports it.
 */
export function startThread(entry: URL, options: WorkerOptions & LaunchOptions = {}): Worker {
  const { alsoLoads = [], execArgv = [], ...workerOptions } = options;
  if (!needsTypeScript(entry, ...alsoLoads))
    return new Worker(entry, { ...workerOptions, execArgv });
  const register = typeScriptLoader().threadRegister;
  const bootstrap =
    `import(${JSON.stringify(register)})` +
    `.then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, {
    ...workerOptions,
    eval: true,
    execArgv: ['--conditions=@geoworks/source', ...execArgv],
  });
}

/**
 * The URL of a sibling module of `base` (pass `import.meta.url`), with the extension the
 * caller itself has: `.ts` when running from sources, `.js` once built.
 */
export function siblingModule(base: string, name: string): URL {
  const extension = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, base);
}
