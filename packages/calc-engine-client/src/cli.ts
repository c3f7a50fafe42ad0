#!/usr/bin/env node
// The `calc-engine` command: see `calc-engine --help` and the README.
import { defineCli, packageVersion, UsageError, type CommandContext } from '@geoworks/cli';
import { defineConfig } from '@geoworks/config';
import { CalcEngineClient, DEFAULT_URL } from './client.js';
import { calculationDetails, calculationsTable, formatLogRow, outputsTable } from './cli-format.js';
import { JobRunError } from './errors.js';
import type { LogRow } from './types.js';

const USAGE = `Usage: calc-engine [--url URL] [--user NAME] [--password PASS] [--config FILE] <command>

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
  version          the server's engine version (--version: this command's)`;

const options = {
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

const schema = defineConfig({
  url: {
    env: 'CALC_ENGINE_URL',
    flag: 'url',
    type: 'url',
    protocols: ['http:', 'https:'],
    default: DEFAULT_URL,
    description: 'The engine server',
  },
  user: {
    env: 'CALC_ENGINE_USER',
    flag: 'user',
    type: 'string',
    optional: true,
    fileKeys: ['user', 'username'],
    description: 'Login name, for a server that asks for one',
  },
  password: {
    env: 'CALC_ENGINE_PASSWORD',
    flag: 'password',
    type: 'string',
    optional: true,
    secret: true,
    description: 'Password; prefer the variable or the file to --password, which ps shows',
  },
});

type Context = CommandContext<typeof options, typeof schema>;

/** The client of the configured server. */
const clientOf = ({ settings }: Context) =>
  new CalcEngineClient({ url: settings.url, username: settings.user, password: settings.password });

export const calcEngine = defineCli({
  name: 'calc-engine',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  usage: USAGE,
  options,
  config: { schema, file: { flag: 'config', userFile: 'calc-engine.json' } },
  prefixMessages: true,
  commands: {
    run: {
      args: ['job.ini?', 'inputs...'],
      options: ['archive', 'job-ini', 'hazard-job-id', 'wait', 'abort-on-interrupt', 'poll-ms'],
      async run(context) {
        const { args, values, io } = context;
        const archive = values.archive;
        if (archive === undefined && args.length === 0) {
          throw new UsageError('run needs a job.ini (or --archive job.zip)');
        }
        if (archive !== undefined && args.length > 0) {
          throw new UsageError('run takes either --archive or a job.ini with its inputs, not both');
        }
        if (archive === undefined && values['job-ini'] !== undefined) {
          throw new UsageError('--job-ini names the ini inside --archive; give the job.ini path');
        }
        const hazard = values['hazard-job-id'];
        const hazardJobId = hazard === undefined ? undefined : jobId(hazard, 'hazard job id');
        const pollMs = count(values['poll-ms'], 'poll-ms');
        const client = clientOf(context);
        const [jobIni = '', ...inputs] = args;
        let id: number;
        try {
          id = await client.run(
            archive === undefined
              ? { jobIni, inputs, hazardJobId }
              : { archive, jobIni: values['job-ini'], hazardJobId },
          );
        } catch (error) {
          if (!(error instanceof JobRunError) || error.traceback.length === 0) throw error;
          io.stderr.write(`calc-engine: ${error.message}\n${error.traceback.join('\n')}\n`);
          return 1;
        }
        if (values.wait !== true) {
          io.stdout.write(`${id}\n`);
          return 0;
        }
        io.stderr.write(`Job ${id} created\n`);
        return follow(context, client, id, pollMs, values['abort-on-interrupt'] === true);
      },
    },
    list: {
      options: ['mode', 'running', 'limit', 'json'],
      async run(context) {
        const { values, io } = context;
        const calculations = await clientOf(context).list({
          calculationMode: values.mode,
          isRunning: values.running === true ? true : undefined,
          limit: count(values.limit, 'limit'),
        });
        if (values.json === true)
          json(
            context,
            calculations.map((calc) => calc.raw),
          );
        else if (calculations.length === 0) io.stdout.write('No calculations\n');
        else io.stdout.write(`${calculationsTable(calculations)}\n`);
      },
    },
    status: {
      args: ['id'],
      options: ['json'],
      async run(context) {
        const calculation = await clientOf(context).status(jobId(context.args[0]));
        if (context.values.json === true) json(context, calculation.raw);
        else context.io.stdout.write(`${calculationDetails(calculation)}\n`);
      },
    },
    logs: {
      args: ['id'],
      options: ['follow', 'poll-ms'],
      async run(context) {
        const { args, values, io } = context;
        const id = jobId(args[0]);
        const client = clientOf(context);
        if (values.follow === true) {
          return follow(context, client, id, count(values['poll-ms'], 'poll-ms'), false);
        }
        for (const row of await client.logs(id)) io.stdout.write(`${formatLogRow(row)}\n`);
      },
    },
    results: {
      args: ['id'],
      options: ['json'],
      async run(context) {
        const outputs = await clientOf(context).results(jobId(context.args[0]));
        if (context.values.json === true)
          json(
            context,
            outputs.map((output) => output.raw),
          );
        else context.io.stdout.write(`${outputsTable(outputs)}\n`);
      },
    },
    download: {
      args: ['resultId'],
      options: ['type', 'output'],
      async run(context) {
        const { args, values, io } = context;
        const resultId = jobId(args[0], 'result id');
        if (values.type === undefined)
          throw new UsageError('download needs --type (csv, xml, ...)');
        const saved = await clientOf(context).download(resultId, {
          exportType: values.type,
          to: values.output ?? '.',
        });
        io.stdout.write(`${saved.path ?? saved.filename}\n`);
      },
    },
    extract: {
      args: ['id', 'what'],
      options: ['output'],
      async run(context) {
        const { args, values, io } = context;
        const [id, what] = [jobId(args[0]), args[1] ?? ''];
        const client = clientOf(context);
        if (values.output !== undefined) {
          const saved = await client.extractFile(id, what, { to: values.output });
          io.stdout.write(`${saved.path ?? saved.filename}\n`);
          return;
        }
        const entries = await client.extract(id, what);
        const { jsonFromNpy } = await import('@geoworks/npz');
        for (const [name, array] of Object.entries(entries)) {
          io.stdout.write(
            name === 'json'
              ? `json: ${JSON.stringify(jsonFromNpy(array), null, 2)}\n`
              : `${name}: ${array.dtype} (${array.shape.join(', ')})\n`,
          );
        }
      },
    },
    abort: {
      args: ['id'],
      options: [],
      async run(context) {
        context.io.stdout.write(`${await clientOf(context).abort(jobId(context.args[0]))}\n`);
      },
    },
    remove: {
      args: ['id'],
      options: [],
      async run(context) {
        const id = jobId(context.args[0]);
        await clientOf(context).remove(id);
        context.io.stdout.write(`Removed job ${id}\n`);
      },
    },
    version: {
      options: [],
      async run(context) {
        context.io.stdout.write(`${await clientOf(context).engineVersion()}\n`);
      },
    },
  },
});

function jobId(text: string | undefined, what = 'id'): number {
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`The ${what} must be a non-negative integer, not "${text ?? ''}"`);
  }
  return Number(text);
}

function count(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${what} must be a non-negative integer`);
  return Number(text);
}

function json({ io }: Context, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Prints the job's log as it grows until the job ends: exit 0 when complete, 1 when failed
 * (with the traceback), 130 when aborted or when Ctrl-C stopped the waiting.
 */
async function follow(
  { io, interruptible }: Context,
  client: CalcEngineClient,
  id: number,
  pollMs: number | undefined,
  abortOnInterrupt: boolean,
): Promise<number> {
  const onLog = (rows: LogRow[]) => {
    for (const row of rows) io.stdout.write(`${formatLogRow(row)}\n`);
  };
  const final = await interruptible(async (signal) => {
    try {
      return await client.wait(id, { signal, pollMs, onLog });
    } catch (error) {
      if (signal.aborted) return undefined;
      throw error;
    }
  });
  if (final === undefined) {
    if (!abortOnInterrupt) {
      io.stderr.write(
        `Interrupted: stopped waiting; job ${id} keeps running (calc-engine abort ${id} stops it)\n`,
      );
    } else {
      const aborted = await client.abort(id).then(
        (message) => `Interrupted: ${message}`,
        (error: Error) => `Interrupted; could not abort job ${id}: ${error.message}`,
      );
      io.stderr.write(`${aborted}\n`);
    }
    return 130;
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

await calcEngine.main(import.meta.url);
