#!/usr/bin/env node
// flux-manage: the original's manage.py (load, remove, rename, db) over the SQLite store.
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isGeoworksError } from '@geoworks/errors';
import { MODEL_NAMES, openModel } from './models/registry.js';
import { FluxStore } from './store/store.js';

const USAGE = `Usage:
    flux-manage load -p <filepath> -m <model> -n <collection_name> [-c <config_file>] [-o "k=v;k=v"]
    flux-manage remove -n <collection_name>
    flux-manage rename -n <collection_name> -r <new_name>
    flux-manage db (-l collections|metadata|coord_index [-x] | -n <collection_name> | -a)

Arguments:
    -p, --path               Input file in Matlab (*.mat) or HDF5 (*.h5 or *.mat) format
    -m, --model              Model of the input file: ${MODEL_NAMES.join(', ')}
    -n, --collection_name    Name of the dataset
    -c, --config_file        JSON configuration (default: the input file with a .json extension)
    -o, --options            Overrides of the configuration: "parameter1=value1;parameter2=value2"
    -r, --new_name           New name of the dataset (rename)
    -l, --list_ids           List collections, metadata or coord_index entries (db)
    -x, --include_counts     With "-l collections": the number of records of each
    -a, --audit              Report datasets missing metadata/coord_index entries and stale entries
    --db <file>              The database (default $FLUX_DB, else $GEOWORKS_DATA_DIR/flux/flux.sqlite,
                             else ./data/flux/flux.sqlite)
    -q, --quiet              No progress bar
    -h, --help               This text

Exit status: 0 done, 1 failed, 2 bad usage.
`;

/** Bad usage: the message, the usage text and exit status 2. */
class UsageError extends Error {}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress bar). */
  isTty: boolean;
  env: NodeJS.ProcessEnv;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: process.stderr.isTTY === true,
  env: process.env,
};

function databasePath(env: NodeJS.ProcessEnv, flag: string | undefined): string {
  if (flag !== undefined) return resolve(flag);
  if (env.FLUX_DB !== undefined && env.FLUX_DB !== '') return resolve(env.FLUX_DB);
  return resolve(join(env.GEOWORKS_DATA_DIR ?? './data', 'flux', 'flux.sqlite'));
}

/** Runs the command line; resolves with the exit status. */
export async function runFluxManage(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { command, values } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  try {
    const need = (name: keyof typeof values, flag: string): string => {
      const value = values[name];
      if (typeof value !== 'string' || value === '')
        throw new UsageError(`${command}: ${flag} is required`);
      return value;
    };
    switch (command) {
      case 'load': {
        const path = need('path', '-p/--path');
        const model = need('model', '-m/--model');
        const name = need('collection_name', '-n/--collection_name');
        if (!MODEL_NAMES.includes(model as (typeof MODEL_NAMES)[number])) {
          throw new UsageError(
            `load: unknown model "${model}"; the models are ${MODEL_NAMES.join(', ')}`,
          );
        }
        return await load(io, databasePath(io.env, values.db), {
          path,
          model,
          name,
          configFile: values.config_file,
          options: values.options,
          quiet: values.quiet === true,
        });
      }
      case 'remove': {
        const name = need('collection_name', '-n/--collection_name');
        return withStore(io, values.db, (store) => {
          if (!store.remove(name)) {
            io.err(`No collection "${name}".\n`);
            return 1;
          }
          io.out(`Removed collection "${name}".\n`);
          return 0;
        });
      }
      case 'rename': {
        const name = need('collection_name', '-n/--collection_name');
        const newName = need('new_name', '-r/--new_name');
        return withStore(io, values.db, (store) => {
          store.rename(name, newName);
          io.out(`Renamed collection "${name}" to "${newName}".\n`);
          return 0;
        });
      }
      case 'db': {
        const chosen = [
          values.list_ids !== undefined,
          values.collection_name !== undefined,
          values.audit === true,
        ].filter(Boolean).length;
        if (chosen !== 1) throw new UsageError('db: give exactly one of -l, -n or -a');
        return withStore(io, values.db, (store) => {
          if (values.audit) {
            const problems = store.audit();
            for (const problem of problems) io.out(`${problem}\n`);
            io.out('Database audit complete.\n');
            if (problems.length === 0) io.out('No inconsistencies found!\n');
            return 0;
          }
          if (values.collection_name !== undefined) {
            const metadata = store.metadata(values.collection_name);
            if (metadata === undefined) {
              io.err(`No metadata for collection "${values.collection_name}".\n`);
              return 1;
            }
            io.out(`${JSON.stringify(metadata, null, 2)}\n`);
            return 0;
          }
          const kind = values.list_ids!;
          if (kind !== 'collections' && kind !== 'metadata' && kind !== 'coord_index') {
            throw new UsageError(
              `db: -l takes collections, metadata or coord_index, not "${kind}"`,
            );
          }
          for (const entry of store.list(kind, {
            counts: values.include_counts === true && kind === 'collections',
          })) {
            io.out(
              entry.count === undefined
                ? `${entry.name}\n`
                : `${entry.name} (${entry.count} records)\n`,
            );
          }
          return 0;
        });
      }
      default:
        throw new UsageError(
          command === undefined ? 'A command is required' : `Unknown command "${command}"`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    io.err(`${isGeoworksError(error) ? error.message : String((error as Error).stack ?? error)}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      path: { type: 'string', short: 'p' },
      model: { type: 'string', short: 'm' },
      collection_name: { type: 'string', short: 'n' },
      config_file: { type: 'string', short: 'c' },
      options: { type: 'string', short: 'o' },
      new_name: { type: 'string', short: 'r' },
      list_ids: { type: 'string', short: 'l' },
      include_counts: { type: 'boolean', short: 'x' },
      audit: { type: 'boolean', short: 'a' },
      db: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}"`);
  return { command: positionals[0], values };
}

function withStore(
  io: CliIo,
  dbFlag: string | undefined,
  run: (store: FluxStore) => number,
): number {
  const store = FluxStore.open(databasePath(io.env, dbFlag));
  try {
    return run(store);
  } finally {
    store.close();
  }
}

async function load(
  io: CliIo,
  database: string,
  request: {
    path: string;
    model: string;
    name: string;
    configFile: string | undefined;
    options: string | undefined;
    quiet: boolean;
  },
): Promise<number> {
  const model = await openModel(request.model, request.path, {
    ...(request.configFile === undefined ? {} : { configFile: request.configFile }),
    ...(request.options === undefined ? {} : { overrides: request.options }),
  });
  const store = FluxStore.open(database);
  const bar = request.quiet || !io.isTty ? undefined : progressBar(io);
  try {
    const plan = await model.toLoad();
    const summary = await store.load(
      request.name,
      plan,
      bar === undefined ? {} : { onProgress: bar.update },
    );
    bar?.done();
    io.out('Upload complete!\n');
    io.out(
      `${summary.records} records loaded into "${request.name}" (${summary.totalRecords} in all).\n`,
    );
    return 0;
  } finally {
    bar?.done();
    store.close();
    model.close();
  }
}

function progressBar(io: CliIo): { update(done: number, total: number): void; done(): void } {
  let shown = -1;
  let finished = false;
  return {
    update(done, total) {
      const percent = total === 0 ? 100 : Math.floor((100 * done) / total);
      if (percent === shown) return;
      shown = percent;
      const width = 30;
      const filled = Math.round((width * percent) / 100);
      io.err(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${done}/${total}`,
      );
    },
    done() {
      if (!finished && shown >= 0) io.err('\n');
      finished = true;
    },
  };
}

// Run only as a program (also through the bin symlink), not when imported by the tests.
const invoked = process.argv[1] === undefined ? undefined : realpathSync(process.argv[1]);
if (invoked === fileURLToPath(import.meta.url)) {
  process.exitCode = await runFluxManage(process.argv.slice(2));
}
