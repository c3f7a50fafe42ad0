#!/usr/bin/env node
// ckanpackager: the command line client of the packager service, as the original's.
import {
  defineCli,
  packageVersion,
  UsageError,
  type CliOptions,
  type CommandContext,
  type Invocation,
} from '@geoworks/cli';
import { defineConfig, type Env } from '@geoworks/config';

const USAGE = `Command line client of a packager (ckanpackager) service.

Usage: ckanpackager [options] status [JOB_ID]
       ckanpackager [options] (cc|clear-cache)
       ckanpackager [options] stats [totals|requests|errors] [PARAM:VALUE ...]
       ckanpackager [options] queue TASK [PARAM:VALUE ...]

TASK is datastore, dwc or url (or the route name: package_datastore,
package_dwc_archive, package_url). status JOB_ID follows one request (the job_id
queue printed): its job, then the email with its link.

Options:
    -h --help   Show this screen.
    --version   Show the version.
    -q          Quiet: print nothing (the exit status tells the outcome).
    -p HOST     The packager service [default: http://127.0.0.1:8765].
    -d FILE     JSON file of default parameters, such as {"secret": "...", "api_url":
                "https://.../api/3/action/datastore_search"}. Default:
                /etc/ckanpackager/ckanpackager-cli.json when it exists.

Exit status: 0 done, 1 the service refused or failed, 2 bad usage.`;

const TASKS: Record<string, string> = {
  datastore: '/package_datastore',
  package_datastore: '/package_datastore',
  dwc: '/package_dwc_archive',
  dwc_archive: '/package_dwc_archive',
  package_dwc_archive: '/package_dwc_archive',
  url: '/package_url',
  package_url: '/package_url',
};

const STATS: Record<string, string> = {
  totals: '/statistics',
  requests: '/statistics/requests',
  errors: '/statistics/errors',
};

const options = {
  quiet: { type: 'boolean', short: 'q' },
  host: { type: 'string', short: 'p' },
  defaults: { type: 'string', short: 'd' },
  secret: { type: 'string', short: 's' },
} as const satisfies CliOptions;

const schema = defineConfig({
  secret: {
    env: 'PACKAGER_SECRET',
    flag: 'secret',
    type: 'string',
    optional: true,
    secret: true,
    description: 'The shared secret (a secret:VALUE parameter wins over it)',
  },
});

/** The service path of a command and the PARAM:VALUE arguments it leaves. */
const ROUTES: Record<string, (args: string[]) => { path: string; rest: string[] }> = {
  status: ([id]) => ({
    path: id === undefined ? '/status' : `/status/${encodeURIComponent(id)}`,
    rest: [],
  }),
  cc: () => ({ path: '/clear_caches', rest: [] }),
  'clear-cache': () => ({ path: '/clear_caches', rest: [] }),
  stats: (args) => {
    const [first, ...others] = args;
    const named = first !== undefined && !first.includes(':');
    const kind = named ? first : 'totals';
    const path = STATS[kind];
    if (path === undefined)
      throw new UsageError(`stats: unknown kind "${kind}" (totals, requests or errors)`);
    return { path, rest: named ? others : args };
  },
  queue: ([task = '', ...rest]) => {
    const path = TASKS[task];
    if (path === undefined)
      throw new UsageError(`queue: unknown task "${task}" (datastore, dwc or url)`);
    return { path, rest };
  },
};

interface Request {
  path: string;
  parameters: Record<string, string>;
  host: string;
  quiet: boolean;
}

/** The request an invocation asks for: defaults file < secret setting < PARAM:VALUE. */
function requestOf({
  command,
  args,
  values,
  settings,
  configFile,
}: Invocation<typeof options, typeof schema>): Request {
  const { path, rest } = ROUTES[command]!(args);
  const parameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(configFile?.values ?? {})) {
    parameters[name] =
      typeof value === 'string' ? value : defaultText(configFile!.path, name, value);
  }
  if (settings.secret !== undefined) parameters.secret = settings.secret;
  for (const pair of rest) {
    const colon = pair.indexOf(':');
    if (colon <= 0) throw new UsageError(`"${pair}" is not PARAM:VALUE`);
    parameters[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  let host = values.host ?? 'http://127.0.0.1:8765';
  if (!/^https?:\/\//.test(host)) host = `http://${host}`;
  return { path, parameters, host: host.replace(/\/+$/, ''), quiet: values.quiet ?? false };
}

// A value JSON.parse could read may still be too deep for JSON.stringify to write back.
function defaultText(path: string, name: string, value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new UsageError(
      `The defaults file ${path}: parameter "${name}" is nested too deeply to be sent`,
    );
  }
}

/** Sends the request a command asks for and prints the answer: 0 when the service accepted it. */
async function send(invocation: CommandContext<typeof options, typeof schema>): Promise<number> {
  const { io } = invocation;
  const request = requestOf(invocation);
  let response: Response;
  try {
    response = await fetch(`${request.host}${request.path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(request.parameters).toString(),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    if (!request.quiet) io.stderr.write(`Cannot reach ${request.host}: ${cause}\n`);
    return 1;
  }
  const text = await response.text();
  let output = text;
  try {
    output = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON: print as is.
  }
  if (!request.quiet) (response.ok ? io.stdout : io.stderr).write(`${output}\n`);
  return response.ok ? 0 : 1;
}

export const ckanpackager = defineCli({
  name: 'ckanpackager',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  usage: USAGE,
  options,
  config: { schema, file: { flag: 'defaults', path: '/etc/ckanpackager/ckanpackager-cli.json' } },
  commands: {
    status: { args: ['JOB_ID?'], run: send },
    cc: { run: send },
    'clear-cache': { run: send },
    stats: { args: ['KIND-OR-PARAM:VALUE...'], run: send },
    queue: { args: ['TASK', 'PARAM:VALUE...'], run: send },
  },
});

/** The request a command line asks for, without sending it. */
export function buildCommand(argv: string[], env: Env = process.env): Request {
  const invocation = ckanpackager.parse(argv, env);
  if (typeof invocation === 'string') throw new UsageError(`--${invocation} sends no request`);
  return requestOf(invocation);
}

await ckanpackager.main(import.meta.url);
