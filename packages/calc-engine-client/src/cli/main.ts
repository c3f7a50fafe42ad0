import { parseArgs } from 'node:util';
import { isGeoworksError } from '@geoworks/errors';
import { CalcEngineClient } from '../client.js';
import { JobRunError } from '../errors.js';
import type { Calculation, LogRow } from '../types.js';
import { calculationDetails, calculationsTable, formatLogRow, outputsTable } from './format.js';
import { resolveSettings, UsageError } from './settings.js';

export const USAGE = `Usage: calc-engine [--url URL] [--user NAME] [--password PASS] [--config FILE] <command>

Commands:
  run <job.ini> [inputs...] [--hazard-job-id N] [--wait]
  run --archive <job.zip> [--job-ini NAME] [--hazard-job-id N] [--wait]
        --wait: print the log live; exit 0 complete, 1 failed, 130 aborted.
        Ctrl-C stops waiting; with --abort-on-interrupt it also aborts the job.
  list [--mode MODE] [--running] [--limit N] [--json]
  status <id> [--json]
  logs <id> [--follow]
  results <id> [--json]
  download <resultId> --type csv [-o FILE|DIR]
  extract <id> <what> [-o FILE.npz]
  abort <id>
  remove <id>
  version

The server and credentials come from the flags, else CALC_ENGINE_URL, CALC_ENGINE_USER and
CALC_ENGINE_PASSWORD, else ~/.config/geoworks/calc-engine.json ({"url", "user", "password"}),
else http://localhost:8800.`;

/** What the CLI touches of its process, so it can be run in tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  homedir: string;
  /** Calls `handler` on the first Ctrl-C; returns a function that stops listening. */
  onInterrupt(handler: () => void): () => void;
}

const OPTIONS = {
  url: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  archive: { type: 'string' },
  'job-ini': { type: 'string' },
  'hazard-job-id': { type: 'string' },
  wait: { type: 'boolean' },
  'abort-on-interrupt': { type: 'boolean' },
  'poll-ms': { type: 'string' },
  mode: { type: 'string' },
  running: { type: 'boolean' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  follow: { type: 'boolean', short: 'f' },
  type: { type: 'string', short: 't' },
  output: { type: 'string', short: 'o' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

const GLOBAL: OptionName[] = ['url', 'user', 'password', 'config', 'help'];

/** The options each command accepts besides the global ones, and its positional arguments. */
const COMMANDS: Record<string, { options: OptionName[]; args: [number, number] }> = {
  run: {
    options: ['archive', 'job-ini', 'hazard-job-id', 'wait', 'abort-on-interrupt', 'poll-ms'],
    args: [0, Infinity],
  },
  list: { options: ['mode', 'running', 'limit', 'json'], args: [0, 0] },
  status: { options: ['json'], args: [1, 1] },
  logs: { options: ['follow', 'poll-ms'], args: [1, 1] },
  results: { options: ['json'], args: [1, 1] },
  download: { options: ['type', 'output'], args: [1, 1] },
  extract: { options: ['output'], args: [2, 2] },
  abort: { options: [], args: [1, 1] },
  remove: { options: [], args: [1, 1] },
  version: { options: [], args: [0, 0] },
};

/** Runs one command line; resolves with the exit status. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  if (values.help === true) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command, ...args] = positionals;
  if (command === undefined) return usage(io, 'No command given');
  const definition = COMMANDS[command];
  if (definition === undefined) return usage(io, `Unknown command "${command}"`);
  for (const name of Object.keys(values) as OptionName[]) {
    if (!GLOBAL.includes(name) && !definition.options.includes(name)) {
      return usage(io, `"${command}" does not take --${name}`);
    }
  }
  const [least, most] = definition.args;
  if (command === 'run' && values.archive === undefined && args.length === 0) {
    return usage(io, 'run needs a job.ini (or --archive job.zip)');
  }
  if (command === 'run' && values.archive !== undefined && args.length > 0) {
    return usage(io, 'run takes either --archive or a job.ini with its inputs, not both');
  }
  if (args.length < least || args.length > most) {
    return usage(
      io,
      `"${command}" takes ${least === most ? least : `${least} to ${most}`} argument(s)`,
    );
  }

  try {
    const settings = await resolveSettings(values, io.env, io.homedir);
    const client = new CalcEngineClient(settings);
    return await COMMAND_RUNNERS[command]!(client, args, values, io);
  } catch (error) {
    if (error instanceof UsageError) return usage(io, error.message);
    if (error instanceof JobRunError) {
      io.stderr.write(`calc-engine: ${error.message}\n`);
      if (error.traceback.length > 0) io.stderr.write(`${error.traceback.join('\n')}\n`);
      return 1;
    }
    io.stderr.write(`calc-engine: ${describeError(error)}\n`);
    return 1;
  }
}

function describeError(error: unknown): string {
  if (isGeoworksError(error)) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`calc-engine: ${message}\n\n${USAGE}\n`);
  return 2;
}

function jobId(text: string | undefined, what = 'id'): number {
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`The ${what} must be a non-negative integer, not "${text ?? ''}"`);
  }
  return Number(text);
}

function positive(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${what} must be a non-negative integer`);
  return Number(text);
}

function json(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

type Runner = (
  client: CalcEngineClient,
  args: string[],
  values: Values,
  io: CliIo,
) => Promise<number>;

const COMMAND_RUNNERS: Record<string, Runner> = {
  async run(client, args, values, io) {
    const hazardJobId =
      values['hazard-job-id'] === undefined
        ? undefined
        : jobId(values['hazard-job-id'], 'hazard job id');
    const pollMs = positive(values['poll-ms'], 'poll-ms');
    let id: number;
    if (values.archive !== undefined) {
      id = await client.run({ archive: values.archive, jobIni: values['job-ini'], hazardJobId });
    } else {
      if (values['job-ini'] !== undefined) {
        throw new UsageError('--job-ini names the ini inside --archive; give the job.ini path');
      }
      const [jobIni, ...inputs] = args as [string, ...string[]];
      id = await client.run({ jobIni, inputs, hazardJobId });
    }
    if (values.wait !== true) {
      io.stdout.write(`${id}\n`);
      return 0;
    }
    io.stderr.write(`Job ${id} created\n`);
    return follow(client, id, io, {
      pollMs,
      abortOnInterrupt: values['abort-on-interrupt'] === true,
    });
  },

  async list(client, _args, values, io) {
    const limit = positive(values.limit, 'limit');
    const calculations = await client.list({
      calculationMode: values.mode,
      isRunning: values.running === true ? true : undefined,
      limit,
    });
    if (values.json === true) {
      json(
        io,
        calculations.map((calc) => calc.raw),
      );
    } else if (calculations.length === 0) {
      io.stdout.write('No calculations\n');
    } else {
      io.stdout.write(`${calculationsTable(calculations)}\n`);
    }
    return 0;
  },

  async status(client, args, values, io) {
    const calculation = await client.status(jobId(args[0]));
    if (values.json === true) json(io, calculation.raw);
    else io.stdout.write(`${calculationDetails(calculation)}\n`);
    return 0;
  },

  async logs(client, args, values, io) {
    const id = jobId(args[0]);
    if (values.follow === true) {
      return follow(client, id, io, { pollMs: positive(values['poll-ms'], 'poll-ms') });
    }
    for (const row of await client.logs(id)) io.stdout.write(`${formatLogRow(row)}\n`);
    return 0;
  },

  async results(client, args, values, io) {
    const outputs = await client.results(jobId(args[0]));
    if (values.json === true)
      json(
        io,
        outputs.map((output) => output.raw),
      );
    else io.stdout.write(`${outputsTable(outputs)}\n`);
    return 0;
  },

  async download(client, args, values, io) {
    const resultId = jobId(args[0], 'result id');
    if (values.type === undefined) throw new UsageError('download needs --type (csv, xml, ...)');
    const saved = await client.download(resultId, {
      exportType: values.type,
      to: values.output ?? '.',
    });
    io.stdout.write(`${saved.path ?? saved.filename}\n`);
    return 0;
  },

  async extract(client, args, values, io) {
    const id = jobId(args[0]);
    const what = args[1] ?? '';
    if (values.output !== undefined) {
      const saved = await client.extractFile(id, what, { to: values.output });
      io.stdout.write(`${saved.path ?? saved.filename}\n`);
      return 0;
    }
    const entries = await client.extract(id, what);
    const { jsonFromNpy } = await import('@geoworks/npz');
    for (const [name, array] of Object.entries(entries)) {
      if (name === 'json') {
        io.stdout.write(`json: ${JSON.stringify(jsonFromNpy(array), null, 2)}\n`);
      } else {
        io.stdout.write(`${name}: ${array.dtype} (${array.shape.join(', ')})\n`);
      }
    }
    return 0;
  },

  async abort(client, args, _values, io) {
    io.stdout.write(`${await client.abort(jobId(args[0]))}\n`);
    return 0;
  },

  async remove(client, args, _values, io) {
    const id = jobId(args[0]);
    await client.remove(id);
    io.stdout.write(`Removed job ${id}\n`);
    return 0;
  },

  async version(client, _args, _values, io) {
    io.stdout.write(`${await client.engineVersion()}\n`);
    return 0;
  },
};

/**
 * Prints the job's log as it grows until the job ends: exit 0 when complete, 1 when failed
 * (with the traceback), 130 when aborted or when Ctrl-C stopped the waiting.
 */
async function follow(
  client: CalcEngineClient,
  id: number,
  io: CliIo,
  options: { pollMs?: number; abortOnInterrupt?: boolean },
): Promise<number> {
  const controller = new AbortController();
  const stopListening = io.onInterrupt(() => controller.abort());
  let final: Calculation;
  try {
    final = await client.wait(id, {
      signal: controller.signal,
      pollMs: options.pollMs,
      onLog: (rows: LogRow[]) => {
        for (const row of rows) io.stdout.write(`${formatLogRow(row)}\n`);
      },
    });
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    if (options.abortOnInterrupt === true) {
      try {
        io.stderr.write(`Interrupted: ${await client.abort(id)}\n`);
      } catch (abortError) {
        io.stderr.write(`Interrupted; could not abort job ${id}: ${describeError(abortError)}\n`);
      }
    } else {
      io.stderr.write(
        `Interrupted: stopped waiting; job ${id} keeps running (calc-engine abort ${id} stops it)\n`,
      );
    }
    return 130;
  } finally {
    stopListening();
  }
  io.stderr.write(`Job ${id} ${final.status}\n`);
  if (final.status === 'complete') return 0;
  if (final.status === 'aborted') return 130;
  if (final.status === 'failed') {
    const traceback = await client.traceback(id).catch(() => []);
    if (traceback.length > 0) io.stderr.write(`${traceback.join('\n')}\n`);
  }
  return 1;
}
