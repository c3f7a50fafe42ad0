import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Accounts } from '../src/index.js';
import { runCli } from './helpers/cli.js';
import { freshDir } from './helpers/setup.js';

const PASSWORD_WARNING =
  'accounts: warning: a password given with --password is visible to other users (ps, shell history); prefer --password-stdin\n';

/** Opens the CLI's database in this process, to check what the CLI did. */
async function withAccounts<T>(db: string, use: (accounts: Accounts) => Promise<T>): Promise<T> {
  const accounts = await Accounts.open({ file: db });
  try {
    return await use(accounts);
  } finally {
    await accounts.close();
  }
}

// Each run starts a Node process with tsx: allow for a slow, busy machine.
describe('the accounts CLI', { timeout: 120_000 }, () => {
  it('creates users, lists them, sets passwords and deactivates', async () => {
    const db = join(freshDir('cli'), 'sub', 'accounts.sqlite');
    const created = await runCli(
      [
        '--db',
        db,
        'create-user',
        'ann',
        '--email',
        'ann@example.org',
        '--password-stdin',
        '--group',
        'risk',
        '--group',
        'hazard',
        '--superuser',
      ],
      'correct horse\n',
    );
    expect(created).toEqual({
      code: 0,
      stdout: '',
      stderr: 'created user "ann" (id 1, superuser, groups: hazard, risk)\n',
    });
    const second = await runCli([
      'create-user',
      'bo',
      '--db',
      db,
      '--email',
      'bo@example.org',
      '--password',
      'bo password',
    ]);
    expect(second).toEqual({
      code: 0,
      stdout: '',
      stderr: `${PASSWORD_WARNING}created user "bo" (id 2)\n`,
    });

    const listed = await runCli(['--db', db, 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe('2 users\n');
    const today = new Date().toISOString().slice(0, 10);
    expect(listed.stdout).toBe(
      [
        'username  email            active  superuser  groups       created     last login',
        `ann       ann@example.org  yes     yes        hazard,risk  ${today}  -`,
        `bo        bo@example.org   yes     no         -            ${today}  -`,
        '',
      ].join('\n'),
    );
    const json = await runCli(['list', '--json', '--db', db]);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({
        username: 'ann',
        active: true,
        superuser: true,
        groups: ['hazard', 'risk'],
      }),
      expect.objectContaining({ username: 'bo', email: 'bo@example.org', groups: [] }),
    ]);

    await withAccounts(db, async (accounts) => {
      await expect(accounts.authenticate('ann', 'correct horse')).resolves.toMatchObject({ id: 1 });
    });
    // printf without a line break works as well as echo.
    expect(
      await runCli(['--db', db, 'set-password', 'ann', '--password-stdin'], 'new secret 1'),
    ).toEqual({
      code: 0,
      stdout: '',
      stderr: 'set the password of "ann"; their sessions and reset links have ended\n',
    });
    expect(await runCli(['--db', db, 'deactivate', 'bo'])).toMatchObject({
      code: 0,
      stderr: 'deactivated "bo"; their sessions have ended\n',
    });
    await withAccounts(db, async (accounts) => {
      await expect(accounts.authenticate('ann', 'new secret 1')).resolves.toMatchObject({ id: 1 });
      await expect(accounts.authenticate('bo', 'bo password')).rejects.toMatchObject({
        code: 'DISABLED_ACCOUNT',
      });
    });
    expect(await runCli(['--db', db, 'activate', 'bo'])).toMatchObject({ code: 0 });
    await withAccounts(db, async (accounts) => {
      await expect(accounts.authenticate('bo', 'bo password')).resolves.toMatchObject({ id: 2 });
    });
  });

  it('exits 1 with a message when the command fails', async () => {
    const db = join(freshDir('cli-fail'), 'accounts.sqlite');
    await runCli(
      ['--db', db, 'create-user', 'ann', '--email', 'ann@example.org', '--password-stdin'],
      'correct horse\n',
    );
    const cases: [string[], string, string][] = [
      [
        ['create-user', 'ANN', '--email', 'a@example.org', '--password-stdin'],
        'correct horse',
        'accounts: The username "ANN" is already taken\n',
      ],
      [
        ['create-user', 'bo', '--email', 'bo@example.org', '--password-stdin'],
        'short\n',
        'accounts: The password is too short: it must have at least 8 characters (it has 5)\n',
      ],
      [
        ['create-user', 'bo', '--email', 'bo@', '--password-stdin'],
        'long enough\n',
        'accounts: email: "bo@" is not an email address (expected name@domain)\n',
      ],
      [
        ['create-user', 'bo', '--email', 'bo@example.org', '--password-stdin'],
        '',
        'accounts: No password on standard input\n',
      ],
      [
        ['set-password', 'nobody', '--password-stdin'],
        'long enough\n',
        'accounts: No user named "nobody"\n',
      ],
      [['deactivate', 'nobody'], '', 'accounts: No user named "nobody"\n'],
    ];
    const results = await Promise.all(
      cases.map(([args, input]) => runCli(['--db', db, ...args], input)),
    );
    results.forEach((result, index) => {
      expect(result).toEqual({ code: 1, stdout: '', stderr: cases[index]![2] });
    });
    const missing = join(freshDir('cli-missing'), 'none.sqlite');
    expect(await runCli(['--db', missing, 'list'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `accounts: the database ${missing} does not exist\n`,
    });
    expect(existsSync(missing)).toBe(false);
    const other = join(freshDir('cli-other'), 'jobs.sqlite');
    new Database(other).exec('CREATE TABLE jobs (id INTEGER PRIMARY KEY)').close();
    expect(await runCli(['--db', other, 'list'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `accounts: ${other} is not an accounts database\n`,
    });
  });

  it('exits 2 on bad usage, saying what is wrong', async () => {
    const db = join(freshDir('cli-usage'), 'accounts.sqlite');
    // The last two messages come from node:util parseArgs (their wording is Node's).
    const cases: [string[], string | RegExp][] = [
      [[], 'no command given'],
      [['--db', db], 'no command given'],
      [
        ['--db', db, 'frobnicate'],
        'unknown command "frobnicate"; commands: create-user, set-password, deactivate, activate, list',
      ],
      [['list'], '--db <file> is required'],
      [['--db', db, 'deactivate'], 'deactivate takes <username>, got none'],
      [['--db', db, 'list', 'extra'], 'list takes no arguments, got extra'],
      [
        ['--db', db, 'deactivate', 'ann', '--email', 'x@example.org'],
        '--email is not an option of deactivate',
      ],
      [
        ['--db', db, 'create-user', 'ann', '--password-stdin'],
        'create-user needs --email <address>',
      ],
      [
        ['--db', db, 'create-user', 'ann', '--email', 'a@example.org'],
        'create-user needs one of --password-stdin or --password <password>',
      ],
      [
        ['--db', db, 'set-password', 'ann', '--password', 'x', '--password-stdin'],
        'set-password needs one of --password-stdin or --password <password>',
      ],
      [['--db', db, 'list', '--colour'], /^Unknown option '--colour'/],
      [['--db'], /^Option '--db <value>' argument missing/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((result, index) => {
      const message = cases[index]![1];
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toMatch(/^accounts: .*\nRun "accounts --help" for usage\.\n$/s);
      const said = result.stderr.slice('accounts: '.length, result.stderr.indexOf('\nRun'));
      if (typeof message === 'string') expect(said).toBe(message);
      else expect(said).toMatch(message);
    });
    expect(existsSync(db)).toBe(false);
  });

  it('prints its usage with --help, and its version with --version', async () => {
    const [help, version] = await Promise.all([runCli(['--help']), runCli(['list', '--version'])]);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: accounts --db <file> <command> \[arguments\]\n/);
    expect(help.stdout).toContain('Exit status: 0 done, 1 the command failed, 2 bad usage.');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});
