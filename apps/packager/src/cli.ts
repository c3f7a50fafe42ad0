#!/usr/bin/env node
// ckanpackager: the command line client of the packager service, as the original's.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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
    -s SECRET   The secret; overrides the defaults file and PACKAGER_SECRET (a secret:
                PARAM:VALUE overrides this one).

Exit status: 0 done, 1 the service refused or failed, 2 bad usage.
`;

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

const DEFAULTS_FILE = '/etc/ckanpackager/ckanpackager-cli.json';

class UsageError extends Error {}

interface Command {
  path: string;
  parameters: Record<string, string>;
}

function parseCommand(positionals: string[]): { path: string; rest: string[] } {
  const [verb, ...rest] = positionals;
  switch (verb) {
    case 'status':
      if (rest.length > 1) throw new UsageError('status takes at most one JOB_ID');
      return {
        path: rest[0] === undefined ? '/status' : `/status/${encodeURIComponent(rest[0])}`,
        rest: [],
      };
    case 'cc':
    case 'clear-cache':
      if (rest.length > 0) throw new UsageError(`${verb} takes no parameters`);
      return { path: '/clear_caches', rest };
    case 'stats': {
      const kind = rest[0] !== undefined && !rest[0].includes(':') ? rest.shift()! : 'totals';
      const path = STATS[kind];
      if (path === undefined)
        throw new UsageError(`stats: unknown kind "${kind}" (totals, requests or errors)`);
      return { path, rest };
    }
    case 'queue': {
      const task = rest.shift();
      if (task === undefined) throw new UsageError('queue: TASK is missing');
      const path = TASKS[task];
      if (path === undefined)
        throw new UsageError(`queue: unknown task "${task}" (datastore, dwc or url)`);
      return { path, rest };
    }
    case undefined:
      throw new UsageError('A command is missing');
    default:
      throw new UsageError(`Unknown command "${verb}"`);
  }
}

function readDefaults(file: string | undefined): Record<string, string> {
  const path = file ?? (existsSync(DEFAULTS_FILE) ? DEFAULTS_FILE : undefined);
  if (path === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`Cannot read the defaults file ${path}: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`The defaults file ${path} must hold a JSON object`);
  }
  return Object.fromEntries(
    Object.entries(parsed).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : defaultText(path, name, value),
    ]),
  );
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

/** Builds the request a command line asks for. */
export function buildCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Command & { host: string; quiet: boolean } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      host: { type: 'string', short: 'p' },
      defaults: { type: 'string', short: 'd' },
      secret: { type: 'string', short: 's' },
    },
  });
  const { path, rest } = parseCommand(positionals);
  const parameters = readDefaults(values.defaults);
  if (parameters.secret === undefined && env.PACKAGER_SECRET !== undefined)
    parameters.secret = env.PACKAGER_SECRET;
  if (values.secret !== undefined) parameters.secret = values.secret;
  for (const pair of rest) {
    const colon = pair.indexOf(':');
    if (colon <= 0) throw new UsageError(`"${pair}" is not PARAM:VALUE`);
    parameters[pair.slice(0, colon)] = pair.slice(colon + 1);
  }
  let host = values.host ?? 'http://127.0.0.1:8765';
  if (!/^https?:\/\//.test(host)) host = `http://${host}`;
  return { path, parameters, host: host.replace(/\/+$/, ''), quiet: values.quiet ?? false };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv.includes('--version')) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  let command: ReturnType<typeof buildCommand>;
  try {
    command = buildCommand(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let response: Response;
  try {
    response = await fetch(`${command.host}${command.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(command.parameters).toString(),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    if (!command.quiet) process.stderr.write(`Cannot reach ${command.host}: ${cause}\n`);
    return 1;
  }
  const text = await response.text();
  let output = text;
  try {
    output = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON: print as is.
  }
  if (!command.quiet) (response.ok ? process.stdout : process.stderr).write(`${output}\n`);
  return response.ok ? 0 : 1;
}

// Run only as a program (also through the bin symlink), not when imported by the tests.
const invoked = process.argv[1] === undefined ? undefined : realpathSync(process.argv[1]);
if (invoked === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}

export { main as runCli, USAGE };
