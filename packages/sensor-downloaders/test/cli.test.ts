import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textIo } from '@geoworks/cli';
import { sensorDownload } from '../src/cli.js';
import { startCopernicusFake, type CopernicusFake } from './fakes/copernicus.js';

let cdse: CopernicusFake;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  cdse = await startCopernicusFake({ count: 8, offline: [2] });
  env = {
    COPERNICUS_USERNAME: cdse.username,
    COPERNICUS_PASSWORD: cdse.password,
    COPERNICUS_CATALOGUE_URL: cdse.catalogueUrl,
    COPERNICUS_IDENTITY_URL: cdse.identityUrl,
  };
});
afterAll(() => cdse.close());

async function cli(
  args: string[],
  environment: NodeJS.ProcessEnv = env,
): Promise<{ code: number; out: string; err: string }> {
  const io = textIo({ env: environment });
  const code = await sensorDownload.run(args, io);
  return { code, out: io.stdout.text, err: io.stderr.text };
}

const SEARCH = [
  '--provider',
  'copernicus',
  '--platform',
  'Sentinel-2',
  '--start',
  '2019-05-01',
  '--end',
  '2019-06-01',
];

describe('sensor-download', () => {
  it('searches and prints a table, or JSON', async () => {
    const table = await cli(['search', ...SEARCH]);
    expect(table.code).toBe(0);
    const lines = table.out.trim().split('\n');
    expect(lines[0]).toMatch(/^scene\s+provider\s+platform\s+acquired\s+cloud %\s+size$/);
    expect(lines.at(-1)).toBe('8 scene(s)');
    const json = await cli(['search', ...SEARCH, '--json', '--cloud-max', '50']);
    const scenes = JSON.parse(json.out) as {
      sceneId: string;
      cloudCoverPercentage: number;
      provider: string;
    }[];
    expect(scenes.length).toBeGreaterThan(0);
    expect(scenes.length).toBeLessThan(8);
    expect(
      scenes.every((scene) => scene.provider === 'Copernicus' && scene.cloudCoverPercentage <= 50),
    ).toBe(true);
  });

  it('downloads, prints a summary and exits 1 when a scene failed', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'sensor-cli-'));
    const result = await cli(['get', ...SEARCH, '-o', outdir]);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/\n7 downloaded, 1 failed, [\d.]+ MB in [\d.]+ s\n$/);
    const offline = cdse.products.find((product) => !product.online)!;
    expect(result.out).toContain(`${offline.name.replace(/\.SAFE$/, '')}  FAILED`);
    expect(readdirSync(outdir).sort()).toEqual(
      cdse.products
        .filter((product) => product.online)
        .map((product) => `${product.name}.zip`)
        .sort(),
    );
    // Progress without a terminal: lines, not bars.
    expect(result.err).toMatch(/: [\d.]+ MB of [\d.]+ MB\n/);
    // A second run keeps the complete files.
    const again = await cli(['get', ...SEARCH, '-o', outdir, '--json']);
    const summary = JSON.parse(again.out) as {
      results: { sceneId: string }[];
      failed: { sceneId: string; code: string }[];
    };
    expect(summary.results).toHaveLength(7);
    expect(summary.failed).toEqual([
      {
        sceneId: offline.name.replace(/\.SAFE$/, ''),
        error: expect.stringContaining('offline'),
        code: 'SCENE_NOT_ACTIVATABLE',
      },
    ]);
  });

  it('reads credentials from a config file', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'sensor-cli-')), 'credentials.json');
    writeFileSync(
      config,
      JSON.stringify({
        copernicus_username: cdse.username,
        copernicus_password: cdse.password,
        copernicus_catalogue_url: cdse.catalogueUrl,
        copernicus_identity_url: cdse.identityUrl,
      }),
    );
    const result = await cli(['search', ...SEARCH, '--config', config], {});
    expect(result.code).toBe(0);
    expect(result.out.trim().split('\n').at(-1)).toBe('8 scene(s)');
  });

  it('exits 2 on bad usage, naming the problem', async () => {
    for (const [args, message] of [
      [['search'], '--provider is required'],
      [['get', ...SEARCH], 'get: -o/--outdir is required'],
      [['search', '--provider', 'nowhere'], 'No provider "nowhere"'],
      [['search', ...SEARCH, '--cloud-max', 'lots'], '--cloud-max must be a number, not "lots"'],
      [
        ['search', ...SEARCH, '--cloud-max', '150'],
        'cloudMax must be a percentage between 0 and 100',
      ],
      [
        ['search', '--provider', 'copernicus', '--start', 'soon'],
        '--start must be a date such as 2019-05-11',
      ],
      [
        ['search', '--provider', 'copernicus', '--platform', 'Landsat-8'],
        'Copernicus has no platform "Landsat-8"',
      ],
      [['fly'], 'Unknown command "fly"'],
      [['search', '--provider', 'planet'], 'Planet: missing credential planet_api_key'],
    ] as const) {
      const result = await cli([...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toContain(message);
    }
  });

  it('lists the providers and runs as a program', async () => {
    const listed = await cli(['providers']);
    expect(listed.out).toContain('Copernicus');
    expect(listed.out).toContain('Sentinel-2');
    const program = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const run = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@geoworks/source',
        program,
        'search',
        ...SEARCH,
        '--max-items',
        '2',
        '--json',
      ],
      {
        env: { ...process.env, ...env },
      },
    );
    expect((JSON.parse(run.stdout) as unknown[]).length).toBe(2);
  });

  it('takes each credential from the environment, else the config file', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'sensor-cli-')), 'credentials.json');
    writeFileSync(
      config,
      JSON.stringify({
        copernicus_username: cdse.username,
        copernicus_password: 'wrong',
        copernicus_catalogue_url: cdse.catalogueUrl,
        copernicus_identity_url: cdse.identityUrl,
      }),
    );
    // Searching needs no login; downloading does.
    const get = (outdir: string) => ['get', ...SEARCH, '--max-items', '1', '-o', outdir];
    const fixed = await cli(
      [...get(mkdtempSync(join(tmpdir(), 'sensor-cli-'))), '--config', config],
      {
        COPERNICUS_PASSWORD: cdse.password,
      },
    );
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/\n1 downloaded, 0 failed, /);
    const refused = await cli(get(mkdtempSync(join(tmpdir(), 'sensor-cli-'))), {
      SENSOR_DOWNLOAD_CONFIG: config,
    });
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/\n0 downloaded, 1 failed, /);
  });

  it('stops at Ctrl-C with status 130, leaving nothing behind', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'sensor-cli-'));
    const io = textIo({ env });
    const running = sensorDownload.run(['get', ...SEARCH, '-o', outdir], io);
    expect(io.interrupt()).toBe(true);
    expect(await running).toBe(130);
    expect(readdirSync(outdir)).toEqual([]);
  });

  it('prints its help with the credential variables, and its version', async () => {
    const help = await cli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage:\n {4}sensor-download search --provider NAME/);
    expect(help.out).toContain(
      'Settings, each from its environment variable, else the config file (--config FILE, else SENSOR_DOWNLOAD_CONFIG):\n',
    );
    expect(help.out).toMatch(
      /^ {2}COPERNICUS_PASSWORD +"copernicus_password" in the config file$/m,
    );
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await cli(['providers', '--version'], {})).toEqual({
      code: 0,
      out: `${pkg.version}\n`,
      err: '',
    });
  });
});
