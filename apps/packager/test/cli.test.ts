import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { textIo } from '@geoworks/cli';
import { describeConfig } from '@geoworks/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand, ckanpackager } from '../src/cli.js';
import { configSchema } from '../src/config.js';
import { startService } from './helpers.js';

describe('ckanpackager command line', () => {
  let service: Awaited<ReturnType<typeof startService>>;
  let dir: string;

  beforeAll(async () => {
    service = await startService({ PACKAGER_SECRET: 'cli-secret' });
    dir = await mkdtemp(join(tmpdir(), 'packager-cli-'));
  });
  afterAll(async () => {
    await service.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const io = textIo();
    const code = await ckanpackager.run(args, io);
    return { code, out: io.stdout.text, err: io.stderr.text };
  }

  /** `queue datastore` for resource `r` and `a@b.org` with more PARAM:VALUE pairs. */
  const queueDatastore = (...parameters: string[]) => [
    ...['-p', service.url, '-s', 'cli-secret', 'queue', 'datastore'],
    ...['resource_id:r', 'email:a@b.org', ...parameters],
  ];

  it('builds form requests with defaults file < -s < PARAM:VALUE', async () => {
    const defaults = join(dir, 'defaults.json');
    await writeFile(
      defaults,
      JSON.stringify({
        secret: 'from-file',
        api_url: 'http://ckan/api/3/action/datastore_search',
        limit: 10,
      }),
    );
    const command = buildCommand(
      [
        '-d',
        defaults,
        '-s',
        'from-flag',
        '-p',
        'localhost:9000',
        'queue',
        'datastore',
        'resource_id:r1',
        'q:a:b',
      ],
      {},
    );
    expect(command).toEqual({
      path: '/package_datastore',
      host: 'http://localhost:9000',
      quiet: false,
      parameters: {
        secret: 'from-flag',
        api_url: 'http://ckan/api/3/action/datastore_search',
        limit: '10',
        resource_id: 'r1',
        q: 'a:b',
      },
    });
    expect(
      buildCommand(['queue', 'url', 'secret:inline'], { PACKAGER_SECRET: 'env' }).parameters.secret,
    ).toBe('inline');
    expect(buildCommand(['status'], { PACKAGER_SECRET: 'env' }).parameters.secret).toBe('env');
    expect(buildCommand(['status', 'a b/c'], {}).path).toBe('/status/a%20b%2Fc');
    expect(buildCommand(['stats', 'errors', 'email:a@b.org'], {}).path).toBe('/statistics/errors');
    expect(buildCommand(['cc'], {}).path).toBe('/clear_caches');
  });

  it('talks to the service and reports its answers', async () => {
    const status = await run(['-p', service.url, '-s', 'cli-secret', 'status']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ worker_count: 3, queue_length: 0 });
    const cleared = await run(['-p', service.url, '-s', 'cli-secret', 'clear-cache']);
    expect(JSON.parse(cleared.out)).toEqual({ status: 'success', message: 'Done.' });
    const refused = await run(['-p', service.url, '-s', 'wrong', 'stats']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.err)).toMatchObject({ error: 'NotAuthorizedError' });
    const missing = await run(queueDatastore());
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.err).message).toBe('Parameter api_url is required');
    const quiet = await run(['-q', '-p', service.url, '-s', 'cli-secret', 'status']);
    expect(quiet).toEqual({ code: 0, out: '', err: '' });
  });

  it('explains bad usage with exit status 2', async () => {
    for (const args of [
      [],
      ['frobnicate'],
      ['queue'],
      ['queue', 'nope'],
      ['queue', 'url', 'no-colon'],
      ['stats', 'everything'],
      ['status', 'one', 'two'],
      ['-d', join(dir, 'missing.json'), 'status'],
    ]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toContain('Usage: ckanpackager');
    }
    expect((await run(['-p', 'http://127.0.0.1:1', '-s', 'x', 'status'])).err).toMatch(
      /Cannot reach/,
    );
  });

  it('explains a defaults file whose values are nested too deeply to send, and the service refuses deep filters', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const defaults = join(dir, 'deep.json');
    await writeFile(defaults, `{"filters":${deep}}`);
    const local = await run(['-d', defaults, '-s', 'cli-secret', 'status']);
    expect(local.code).toBe(2);
    expect(local.err.split('\n')[0]).toBe(
      `The defaults file ${defaults}: parameter "filters" is nested too deeply to be sent`,
    );
    const remote = await run(
      queueDatastore(
        'api_url:https://ckan.example.org/api/3/action/datastore_search',
        `filters:${deep}`,
      ),
    );
    expect(remote.code).toBe(1);
    expect(JSON.parse(remote.err)).toEqual({
      status: 'failed',
      error: 'BadRequestError',
      message: 'Parameter filters is nested more than 32 levels deep',
    });
  });

  it('prints its help with its settings, and its version', async () => {
    const help = await run(['-h']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Command line client of a packager \(ckanpackager\) service\.\n/);
    expect(help.out).toContain(
      'Settings, each from its option, else its environment variable, else the config file (--defaults FILE, else /etc/ckanpackager/ckanpackager-cli.json if it exists):\n' +
        '  -s, --secret, PACKAGER_SECRET  The shared secret (a secret:VALUE parameter wins over it)\n',
    );
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await run(['status', '--version'])).toEqual({
      code: 0,
      out: `${pkg.version}\n`,
      err: '',
    });
  });

  it('runs as a program, taking the secret from PACKAGER_SECRET', async () => {
    const program = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const args = ['--import', 'tsx', '--conditions=@geoworks/source', program, '-p', service.url];
    const { stdout } = await promisify(execFile)(process.execPath, [...args, 'status'], {
      env: { ...process.env, PACKAGER_SECRET: 'cli-secret' },
    });
    expect(JSON.parse(stdout)).toMatchObject({ worker_count: 3 });
    const refused = await promisify(execFile)(process.execPath, [...args, 'status'], {
      env: { ...process.env, PACKAGER_SECRET: 'wrong' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1 });
    expect(JSON.parse((refused as { stderr: string }).stderr)).toMatchObject({
      error: 'NotAuthorizedError',
    });
  });

  it('documents the configuration in the README', async () => {
    // Prettier aligns the table's columns; compare cell by cell.
    const rows = (text: string) =>
      text
        .split('\n')
        .filter((line) => /^\| `[A-Z_]+`/.test(line))
        .map((line) =>
          line
            .split(/(?<!\\)\|/)
            .map((cell) => cell.trim())
            .join('|'),
        );
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(rows(readme)).toEqual(rows(describeConfig(configSchema)));
  });
});
