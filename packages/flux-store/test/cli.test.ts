import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { fluxFixture } from '@geoworks/test-fixtures';
import { beforeEach, describe, expect, it } from 'vitest';
import { textIo } from '@geoworks/cli';
import { fluxManage } from '../src/cli.js';
import { FluxStore } from '../src/index.js';

const fixture = fluxFixture;
const CASA = fixture('casagfed2004.mat');

let dir: string;
let db: string;

/** `flux-manage load` of the original's test grid. */
const loadCasa = (name = 'casa', timestamp = '2004-06-30T00:00:00') => [
  'load',
  '-p',
  CASA,
  '-m',
  'SpatioTemporalMatrix',
  '-n',
  name,
  '-o',
  `timestamp=${timestamp}`,
];

async function manage(
  args: string[],
  isTty = false,
): Promise<{ code: number; out: string; err: string }> {
  const io = textIo({ stderrTTY: isTty });
  const code = await fluxManage.run([...args, '--db', db], io);
  return { code, out: io.stdout.text, err: io.stderr.text };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flux-cli-'));
  db = join(dir, 'flux.sqlite');
});

describe('flux-manage', () => {
  it('loads, lists with counts, prints metadata, renames, removes', async () => {
    const loaded = await manage(loadCasa('casa_gfed_load_test'));
    expect(loaded).toEqual({
      code: 0,
      out: 'Upload complete!\n8 records loaded into "casa_gfed_load_test" (8 in all).\n',
      err: '',
    });
    expect((await manage(['db', '-l', 'collections', '-x'])).out).toBe(
      'casa_gfed_load_test (8 records)\n',
    );
    expect((await manage(['db', '-l', 'metadata'])).out).toBe('casa_gfed_load_test\n');
    expect((await manage(['db', '-l', 'coord_index'])).out).toBe('casa_gfed_load_test\n');
    const metadata = JSON.parse((await manage(['db', '-n', 'casa_gfed_load_test'])).out) as Record<
      string,
      unknown
    >;
    expect(metadata).toMatchObject({
      _id: 'casa_gfed_load_test',
      bboxmd5: '6f3e33c145010bc74c5ccd3ba772f504',
      dates: ['2004-06-30T00:00:00', '2004-06-30T21:00:00'],
      title: 'Surface Carbon Flux',
    });
    expect(await manage(['rename', '-n', 'casa_gfed_load_test', '-r', 'casa'])).toEqual({
      code: 0,
      out: 'Renamed collection "casa_gfed_load_test" to "casa".\n',
      err: '',
    });
    expect((await manage(['db', '-a'])).out).toBe(
      'Database audit complete.\nNo inconsistencies found!\n',
    );
    expect(await manage(['remove', '-n', 'casa'])).toEqual({
      code: 0,
      out: 'Removed collection "casa".\n',
      err: '',
    });
    expect(await manage(['remove', '-n', 'casa'])).toEqual({
      code: 1,
      out: '',
      err: 'No collection "casa".\n',
    });
    expect((await manage(['db', '-l', 'collections'])).out).toBe('');
  });

  it('reports inconsistencies in the audit with the original messages', async () => {
    await manage(loadCasa());
    const raw = new BetterSqlite3(db);
    raw.prepare("DELETE FROM coord_index WHERE name = 'casa'").run();
    raw.prepare("INSERT INTO metadata (name, document) VALUES ('gone', '{}')").run();
    raw.close();
    expect((await manage(['db', '-a'])).out).toBe(
      [
        'INCONSISTENCY FOUND: missing coord_index entry for collection ID "casa"',
        'INCONSISTENCY FOUND: stale entry for collection ID "gone" in metadata',
        'Database audit complete.',
        '',
      ].join('\n'),
    );
  });

  it('shows a progress bar on a terminal', async () => {
    const { code, err } = await manage(loadCasa(), true);
    expect(code).toBe(0);
    expect(err).toContain('] 100% 8/8');
    expect(err.endsWith('\n')).toBe(true);
  });

  it('exits 2 on bad usage with the usage text', async () => {
    for (const [args, message] of [
      [
        ['load', '-p', CASA, '-m', 'SpatioTemporalMatrix'],
        'load: -n/--collection_name is required',
      ],
      [['load', '-p', CASA, '-m', 'Nope', '-n', 'x'], 'load: unknown model "Nope"'],
      [['rename', '-n', 'a'], 'rename: -r/--new_name is required'],
      [['db'], 'db: give exactly one of -l, -n or -a'],
      [['db', '-l', 'things'], 'db: -l takes collections, metadata or coord_index, not "things"'],
      [['fly'], 'Unknown command "fly"'],
      [[], 'A command is required'],
      [['load', '--bogus'], "Unknown option '--bogus'"],
    ] as const) {
      const result = await manage([...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toContain(message);
      expect(result.err).toContain('Usage:');
    }
  });

  it('exits 1 with a clear message when a load fails, leaving the database as it was', async () => {
    await manage(loadCasa());
    const again = await manage(loadCasa());
    expect(again).toEqual({
      code: 1,
      out: '',
      err: 'Dataset "casa" already has a time step at 2004-06-30T00:00:00: nothing was loaded\n',
    });
    const cut = join(dir, 'cut.mat');
    writeFileSync(cut, readFileSync(CASA).subarray(0, 100_000));
    const broken = await manage([
      'load',
      '-p',
      cut,
      '-m',
      'SpatioTemporalMatrix',
      '-n',
      'casa',
      '-o',
      'timestamp=2005-01-01T00:00:00;var_name=casa_gfed_2004',
    ]);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain(cut);
    const missing = await manage([
      'load',
      '-p',
      join(dir, 'none.mat'),
      '-m',
      'XCO2Matrix',
      '-n',
      'x',
    ]);
    expect(missing).toMatchObject({
      code: 1,
      err: `No such matrix file: ${join(dir, 'none.mat')}\n`,
    });
    expect((await manage(loadCasa('metadata', '2005-01-01T00:00:00'))).err).toBe(
      'Invalid dataset name "metadata": the name is reserved\n',
    );
    const store = FluxStore.open(db);
    expect(store.recordCount('casa')).toBe(8);
    expect(store.list('collections')).toEqual([{ name: 'casa' }]);
    store.close();
  });

  it('refuses point data given to a grid model, naming the point model, and loads nothing', async () => {
    const XCO2 = fixture('xco2.mat');
    for (const model of ['SpatioTemporalMatrix', 'KrigedXCO2Matrix']) {
      const refused = await manage([
        'load',
        '-p',
        XCO2,
        '-m',
        model,
        '-n',
        'points',
        '-o',
        'timestamp=2009-06-15T00:00:00',
      ]);
      expect(refused).toEqual({
        code: 1,
        out: '',
        err: `${model}: xco2.mat holds point data, not a grid: only 4 of its 1311 rows share a longitude or latitude with another row, where a grid's cells line up in rows and columns. Load it with -m XCO2Matrix, the model for point retrievals (x, y, value, day of year, year, error); nothing was loaded\n`,
      });
    }
    const store = FluxStore.open(db);
    expect(store.list('collections')).toEqual([]);
    expect(store.list('metadata')).toEqual([]);
    store.close();
    // The model the message names loads the same file.
    expect((await manage(['load', '-p', XCO2, '-m', 'XCO2Matrix', '-n', 'points'])).code).toBe(0);
  });

  it('refuses a timestamp whose offset no zone has, and takes the widest real one', async () => {
    const refused = await manage(loadCasa('casa', '2004-06-30T00:00:00+99:99'));
    expect(refused).toEqual({
      code: 1,
      out: '',
      err: `Invalid configuration (${fixture('casagfed2004.json')}):\n  timestamp: expected an ISO 8601 date and time such as 2004-06-30T00:00:00, got "2004-06-30T00:00:00+99:99"\n`,
    });
    expect((await manage(loadCasa('casa', '2004-06-30T00:00:00+14:01'))).code).toBe(1);
    expect((await manage(['db', '-l', 'collections'])).out).toBe('');
    expect(await manage(loadCasa('casa', '2004-06-30T14:00:00+14:00'))).toEqual({
      code: 0,
      out: 'Upload complete!\n8 records loaded into "casa" (8 in all).\n',
      err: '',
    });
    const metadata = JSON.parse((await manage(['db', '-n', 'casa'])).out) as { dates: string[] };
    expect(metadata.dates).toEqual(['2004-06-30T00:00:00', '2004-06-30T21:00:00']);
  });

  it('runs as a program with the documented exit codes', async () => {
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const run = (args: string[]) =>
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', '--conditions=@geoworks/source', cli, ...args],
        {
          env: { ...process.env, FLUX_DB: db },
        },
      ).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          stdout: error.stdout,
          stderr: error.stderr,
        }),
      );
    expect(
      await run(['load', '-p', fixture('xco2.mat'), '-m', 'XCO2Matrix', '-n', 'xco2']),
    ).toEqual({
      code: 0,
      stdout: 'Upload complete!\n1311 records loaded into "xco2" (1311 in all).\n',
    });
    expect(await run(['db', '-l', 'collections', '-x'])).toEqual({
      code: 0,
      stdout: 'xco2 (1311 records)\n',
    });
    expect((await run(['remove'])).code).toBe(2);
    expect((await run(['rename', '-n', 'nothing', '-r', 'other'])).code).toBe(1);
  });

  it('prints its help and version, and finds the database where flux-server does', async () => {
    const help = textIo();
    expect(await fluxManage.run(['--help'], help)).toBe(0);
    expect(help.stdout.text).toMatch(/^Usage:\n {4}flux-manage load -p <filepath>/);
    expect(help.stdout.text).toContain(
      '  --db, FLUX_DB      The flux database, shared with flux-server (default: $GEOWORKS_DATA_DIR/flux/flux.sqlite)\n',
    );
    const version = textIo();
    expect(await fluxManage.run(['--version'], version)).toBe(0);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version.stdout.text).toBe(`${pkg.version}\n`);
    // Without --db or FLUX_DB: $GEOWORKS_DATA_DIR/flux/flux.sqlite, as flux-server opens it.
    const loaded = textIo({ env: { GEOWORKS_DATA_DIR: dir } });
    expect(await fluxManage.run(loadCasa(), loaded)).toBe(0);
    const store = FluxStore.open(join(dir, 'flux', 'flux.sqlite'));
    expect(store.list('collections')).toEqual([{ name: 'casa' }]);
    store.close();
    const own = textIo({ env: { GEOWORKS_DATA_DIR: dir, FLUX_DB: db } });
    expect(await fluxManage.run(['db', '-l', 'collections'], own)).toBe(0);
    expect(own.stdout.text).toBe('');
  });
});
