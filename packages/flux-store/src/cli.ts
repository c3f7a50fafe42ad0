#!/usr/bin/env node
// flux-manage: the original's manage.py (load, remove, rename, db) over the SQLite store.
import { defineCli, packageVersion, UsageError, type CliIo } from '@geoworks/cli';
import { defineConfig } from '@geoworks/config';
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
    -q, --quiet              No progress bar
    -h, --help               This text
    --version                The version of flux-manage

Exit status: 0 done, 1 failed, 2 bad usage.`;

type Values = Partial<Record<string, string | boolean>>;

/** A required option's value, or a usage error naming it. */
function need(values: Values, name: string, flag: string, command: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(`${command}: ${flag} is required`);
  }
  return value;
}

export const fluxManage = defineCli({
  name: 'flux-manage',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  usage: USAGE,
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
    quiet: { type: 'boolean', short: 'q' },
  },
  config: {
    schema: defineConfig({
      db: {
        env: 'FLUX_DB',
        flag: 'db',
        type: 'path',
        default: '$GEOWORKS_DATA_DIR/flux/flux.sqlite',
        description: 'The flux database, shared with flux-server',
      },
    }),
  },
  // manage.py's statuses: 2 only for bad usage, 1 for a file or dataset that cannot be loaded.
  exitCodes: { 'invalid-input': 1 },
  messages: { noCommand: 'A command is required' },
  commands: {
    load: {
      async run({ values, settings, io }) {
        const path = need(values, 'path', '-p/--path', 'load');
        const model = need(values, 'model', '-m/--model', 'load');
        const name = need(values, 'collection_name', '-n/--collection_name', 'load');
        if (!(MODEL_NAMES as readonly string[]).includes(model)) {
          throw new UsageError(
            `load: unknown model "${model}"; the models are ${MODEL_NAMES.join(', ')}`,
          );
        }
        const opened = await openModel(model, path, {
          ...(values.config_file === undefined ? {} : { configFile: values.config_file }),
          ...(values.options === undefined ? {} : { overrides: values.options }),
        });
        const store = FluxStore.open(settings.db);
        const bar = values.quiet === true || io.stderr.isTTY !== true ? undefined : progressBar(io);
        try {
          const summary = await store.load(
            name,
            await opened.toLoad(),
            bar === undefined ? {} : { onProgress: bar.update },
          );
          bar?.done();
          io.stdout.write('Upload complete!\n');
          io.stdout.write(
            `${summary.records} records loaded into "${name}" (${summary.totalRecords} in all).\n`,
          );
        } finally {
          bar?.done();
          store.close();
          opened.close();
        }
      },
    },
    remove: {
      run: ({ values, settings, io }) => {
        const name = need(values, 'collection_name', '-n/--collection_name', 'remove');
        return withStore(settings.db, (store) => {
          if (!store.remove(name)) {
            io.stderr.write(`No collection "${name}".\n`);
            return 1;
          }
          io.stdout.write(`Removed collection "${name}".\n`);
          return 0;
        });
      },
    },
    rename: {
      run: ({ values, settings, io }) => {
        const name = need(values, 'collection_name', '-n/--collection_name', 'rename');
        const newName = need(values, 'new_name', '-r/--new_name', 'rename');
        return withStore(settings.db, (store) => {
          store.rename(name, newName);
          io.stdout.write(`Renamed collection "${name}" to "${newName}".\n`);
          return 0;
        });
      },
    },
    db: {
      run: ({ values, settings, io }) => {
        const { list_ids: kind, collection_name: name, audit } = values;
        if ([kind !== undefined, name !== undefined, audit === true].filter(Boolean).length !== 1)
          throw new UsageError('db: give exactly one of -l, -n or -a');
        if (kind !== undefined && !['collections', 'metadata', 'coord_index'].includes(kind))
          throw new UsageError(`db: -l takes collections, metadata or coord_index, not "${kind}"`);
        return withStore(settings.db, (store) => {
          if (audit === true) {
            const problems = store.audit();
            for (const problem of problems) io.stdout.write(`${problem}\n`);
            io.stdout.write('Database audit complete.\n');
            if (problems.length === 0) io.stdout.write('No inconsistencies found!\n');
            return 0;
          }
          if (name !== undefined) {
            const metadata = store.metadata(name);
            if (metadata === undefined) {
              io.stderr.write(`No metadata for collection "${name}".\n`);
              return 1;
            }
            io.stdout.write(`${JSON.stringify(metadata, null, 2)}\n`);
            return 0;
          }
          const listed = kind as 'collections' | 'metadata' | 'coord_index';
          const counts = values.include_counts === true && listed === 'collections';
          for (const entry of store.list(listed, { counts })) {
            io.stdout.write(
              entry.count === undefined
                ? `${entry.name}\n`
                : `${entry.name} (${entry.count} records)\n`,
            );
          }
          return 0;
        });
      },
    },
  },
});

function withStore(database: string, run: (store: FluxStore) => number): number {
  const store = FluxStore.open(database);
  try {
    return run(store);
  } finally {
    store.close();
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
      io.stderr.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${done}/${total}`,
      );
    },
    done() {
      if (!finished && shown >= 0) io.stderr.write('\n');
      finished = true;
    },
  };
}

await fluxManage.main(import.meta.url);
