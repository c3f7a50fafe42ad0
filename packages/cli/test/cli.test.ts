import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortedError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  UpstreamError,
} from '@geoworks/errors';
import { defineConfig } from '@geoworks/config';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineCli, textIo, UsageError, type CliIo } from '../src/index.js';

/** A tool whose `fail` command throws what `thrown` holds, and whose `show` prints its input. */
function tool(overrides: { prefix?: boolean; hint?: boolean; exitCodes?: object } = {}) {
  let thrown: unknown;
  const cli = defineCli({
    name: 'tool',
    version: '2.3.4',
    usage: 'Usage: tool <command>\n\nCommands:\n  show <what> [<more>...]\n  fail\n  wait\n',
    options: { json: { type: 'boolean' }, count: { type: 'string', short: 'n' } },
    config: {
      schema: defineConfig({
        url: {
          env: 'TOOL_URL',
          flag: 'url',
          type: 'url',
          default: 'http://localhost:1',
          description: 'The server',
        },
        token: {
          env: 'TOOL_TOKEN',
          type: 'string',
          optional: true,
          secret: true,
          fileKeys: ['token', 'apiToken'],
          description: 'The token',
        },
      }),
      file: { flag: 'config', env: 'TOOL_CONFIG', userFile: 'tool.json' },
    },
    commands: {
      show: {
        args: ['what', 'more...'],
        options: ['json'],
        run({ args, values, settings, configFile, io }) {
          io.stdout.write(
            `${JSON.stringify({ args, values, settings, file: configFile?.path })}\n`,
          );
        },
      },
      fail: {
        run() {
          throw thrown;
        },
      },
      count: {
        args: ['n?'],
        run: ({ args }) => Number(args[0] ?? 0),
      },
      wait: {
        run: ({ interruptible, io }) =>
          interruptible(
            (signal) =>
              new Promise((_, reject) => {
                io.stdout.write('waiting\n');
                signal.addEventListener('abort', () => reject(signal.reason as Error));
              }),
          ),
      },
    },
    prefixMessages: overrides.prefix ?? false,
    usageOnError: overrides.hint === true ? 'hint' : 'full',
    ...(overrides.exitCodes === undefined ? {} : { exitCodes: overrides.exitCodes }),
  });
  return {
    cli,
    async fails(error: unknown, io: CliIo = textIo()) {
      thrown = error;
      return cli.run(['fail'], io);
    },
  };
}

async function run(args: string[], env: Record<string, string> = {}) {
  const io = textIo({ env });
  const code = await tool().cli.run(args, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

describe('defineCli', () => {
  it('prints the help with the settings, and the version, from any command line', async () => {
    const help = await run(['--help']);
    expect(help).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Usage: tool <command>',
        '',
        'Commands:',
        '  show <what> [<more>...]',
        '  fail',
        '  wait',
        '',
        'Settings, each from its option, else its environment variable, else the config file (--config FILE, else TOOL_CONFIG, else ~/.config/geoworks/tool.json if it exists), else its default:',
        '  --url, TOOL_URL  The server (default: http://localhost:1)',
        '  TOOL_TOKEN       The token',
        '',
      ].join('\n'),
    });
    expect(await run(['show', '-h'])).toEqual(help);
    expect(await run(['--version'])).toEqual({ code: 0, stdout: '2.3.4\n', stderr: '' });
  });

  it('hands the command its arguments, options and settings', async () => {
    const shown = await run(['show', 'a', 'b', '--json', '--url', 'http://flag:2'], {
      TOOL_TOKEN: 'secret',
    });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({
      args: ['a', 'b'],
      values: { json: true, url: 'http://flag:2' },
      settings: { url: 'http://flag:2', token: 'secret' },
    });
    expect(await run(['count', '7'])).toMatchObject({ code: 7 });
    expect(await run(['count'])).toMatchObject({ code: 0 });
  });

  it('types the values and settings from the declaration', () => {
    const cli = tool().cli;
    const invocation = cli.parse(['show', 'x'], {});
    if (typeof invocation === 'string') throw new Error('not an invocation');
    expectTypeOf(invocation.settings.url).toEqualTypeOf<string>();
    expectTypeOf(invocation.settings.token).toEqualTypeOf<string | undefined>();
    expectTypeOf(invocation.values.json).toEqualTypeOf<boolean | undefined>();
    expect(cli.parse(['-h'], {})).toBe('help');
    expect(cli.parse(['fail', '--version'], {})).toBe('version');
  });

  it('reads settings from the option, else the environment, else the config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-settings-'));
    const named = join(dir, 'named.json');
    writeFileSync(named, JSON.stringify({ url: 'http://named:3', apiToken: 'from-file' }));
    mkdirp(join(dir, 'home', '.config', 'geoworks'));
    writeFileSync(
      join(dir, 'home', '.config', 'geoworks', 'tool.json'),
      JSON.stringify({ url: 'http://home:4' }),
    );
    const settings = async (args: string[], env: Record<string, string>) =>
      JSON.parse((await run(['show', 'x', ...args], env)).stdout) as {
        settings: object;
        file?: string;
      };
    expect(await settings(['--config', named], {})).toEqual({
      args: ['x'],
      values: { config: named },
      settings: { url: 'http://named:3', token: 'from-file' },
      file: named,
    });
    expect((await settings([], { TOOL_CONFIG: named, TOOL_URL: 'http://env:5' })).settings).toEqual(
      {
        url: 'http://env:5',
        token: 'from-file',
      },
    );
    const home = { HOME: join(dir, 'home') };
    expect((await settings([], home)).settings).toEqual({ url: 'http://home:4', token: undefined });
    // XDG_CONFIG_HOME wins over HOME; a default file that does not exist is no file.
    expect(await settings([], { ...home, XDG_CONFIG_HOME: join(dir, 'none') })).toEqual({
      args: ['x'],
      values: {},
      settings: { url: 'http://localhost:1', token: undefined },
    });
  });

  it('exits 2 when a named config file or a setting cannot be used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-files-'));
    const missing = join(dir, 'missing.json');
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{');
    const list = join(dir, 'list.json');
    writeFileSync(list, '[]');
    const first = async (args: string[], env: Record<string, string> = {}) => {
      const result = await run(['show', 'x', ...args], env);
      expect(result.code).toBe(2);
      return result.stderr.split('\n')[0];
    };
    expect(await first(['--config', missing])).toBe(
      `Cannot read the config file ${missing}: ENOENT: no such file or directory, open '${missing}'`,
    );
    expect(await first([], { TOOL_CONFIG: notJson })).toMatch(
      new RegExp(`^The config file ${notJson} is not JSON: `),
    );
    expect(await first(['--config', list])).toBe(`The config file ${list} must hold a JSON object`);
    const bad = await run(['show', 'x', '--url', 'nowhere'], { TOOL_TOKEN: ' ' });
    expect(bad).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Invalid configuration (1 problem):\n  --url="nowhere": expected an absolute URL\n',
    });
  });

  it('explains bad usage with the help, or a hint, and exit status 2', async () => {
    const cases: [string[], string][] = [
      [[], 'No command given'],
      [['fly'], 'Unknown command "fly"; commands: show, fail, count, wait'],
      [['show'], 'show takes <what> [<more>...], got none'],
      [['count', '1', '2'], 'count takes [<n>], got 1 2'],
      [['show', 'x', '-n', '3'], '--count is not an option of show'],
      [['show', '--colour'], "Unknown option '--colour'"],
      [['show', '--url'], "Option '--url <value>' argument missing"],
    ];
    const { cli } = tool();
    for (const [args, message] of cases) {
      const io = textIo();
      expect(await cli.run(args, io), args.join(' ')).toBe(2);
      expect(io.stdout.text).toBe('');
      expect(io.stderr.text.startsWith(message)).toBe(true);
      expect(io.stderr.text.endsWith(`\n\n${cli.help}`)).toBe(true);
    }
    const hinted = tool({ prefix: true, hint: true }).cli;
    const io = textIo();
    expect(await hinted.run(['fly'], io)).toBe(2);
    expect(io.stderr.text).toBe(
      'tool: unknown command "fly"; commands: show, fail, count, wait\nRun "tool --help" for usage.\n',
    );
    const none = textIo();
    await hinted.run([], none);
    expect(none.stderr.text).toBe('tool: no command given\nRun "tool --help" for usage.\n');
  });

  it('derives the exit status from the kind of error a command throws', async () => {
    const cases: [unknown, number, string][] = [
      [new NotFoundError('No job 9'), 1, 'No job 9\n'],
      [new ConflictError('Job 2 is not running'), 1, 'Job 2 is not running\n'],
      [new UpstreamError('The server failed'), 1, 'The server failed\n'],
      [
        new InvalidInputError('cloudMax must be a percentage'),
        2,
        'cloudMax must be a percentage\n',
      ],
      [new AbortedError('The download was cancelled'), 130, 'The download was cancelled\n'],
      [
        new DOMException('This operation was aborted', 'AbortError'),
        130,
        'This operation was aborted\n',
      ],
      [new TypeError('a bug'), 1, 'a bug\n'],
      ['a string', 1, 'a string\n'],
    ];
    const { fails } = tool({ prefix: true });
    for (const [error, code, message] of cases) {
      const io = textIo();
      expect(await fails(error, io)).toBe(code);
      expect(io.stderr.text).toBe(`tool: ${message}`);
    }
    const usage = textIo();
    expect(await fails(new UsageError('--limit must be a number'), usage)).toBe(2);
    expect(usage.stderr.text).toMatch(/^tool: --limit must be a number\n\nUsage: tool <command>\n/);
  });

  it('lets a tool keep its own status for a kind', async () => {
    const { fails } = tool({ exitCodes: { 'invalid-input': 1 } });
    expect(await fails(new InvalidInputError('The password is too short'))).toBe(1);
    expect(await fails(new UsageError('still bad usage'))).toBe(2);
  });

  it('aborts interruptible work at Ctrl-C, which exits 130', async () => {
    const { cli } = tool();
    const io = textIo();
    expect(io.interrupt()).toBe(false);
    const running = cli.run(['wait'], io);
    await until(() => io.stdout.text === 'waiting\n');
    expect(io.interrupt()).toBe(true);
    expect(await running).toBe(130);
    expect(io.stderr.text).toBe('Interrupted\n');
    // The command has ended: nothing listens any more.
    expect(io.interrupt()).toBe(false);
  });
});

function mkdirp(path: string): void {
  mkdirSync(path, { recursive: true });
}

/** Lets the command run until `check` holds (it only waits on promises, never on time). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
