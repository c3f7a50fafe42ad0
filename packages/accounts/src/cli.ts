#!/usr/bin/env node
// The operators' command line: `geoworks-accounts --db accounts.sqlite list`.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { defineCli, packageVersion, UsageError, type CliIo } from '@geoworks/cli';
import { InvalidInputError } from '@geoworks/errors';
import { Accounts } from './accounts.js';
import type { User } from './types.js';

const USAGE = `Usage: accounts --db <file> <command> [arguments]

Commands:
  create-user <username> --email <address> (--password-stdin | --password <password>)
              [--group <name>]... [--superuser]
  set-password <username> (--password-stdin | --password <password>)
  deactivate <username>
  activate <username>
  list [--json]

Options:
  --db <file>        the accounts database (SQLite); create-user creates it if missing
  --password-stdin   read the password from standard input (up to the end or a line break)
  --password <text>  the password as an argument (other users can see it with ps)
  --json             list: print the users as JSON
  -h, --help         print this help
  --version          print the version

Exit status: 0 done, 1 the command failed, 2 bad usage. Messages go to standard error.`;

const PASSWORD = ['password', 'password-stdin'] as const;

export const accountsCli = defineCli({
  name: 'accounts',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  usage: USAGE,
  options: {
    db: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    group: { type: 'string', multiple: true },
    superuser: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  prefixMessages: true,
  usageOnError: 'hint',
  // A refused password or address is the command failing (1); 2 is for bad usage only.
  exitCodes: { 'invalid-input': 1 },
  commands: {
    'create-user': {
      args: ['username'],
      options: ['db', 'email', ...PASSWORD, 'group', 'superuser'],
      run: ({ args: [username], values, io }) =>
        withAccounts('create-user', values, io, async (accounts, password) => {
          const user = await accounts.createUser({
            username: username!,
            email: values.email!,
            password: password!,
            groups: values.group ?? [],
            superuser: values.superuser === true,
          });
          const groups = await accounts.groupsOf(user);
          const extra = [
            ...(user.isSuperuser ? ['superuser'] : []),
            ...(groups.length > 0 ? [`groups: ${groups.join(', ')}`] : []),
          ];
          return `created user "${user.username}" (id ${user.id}${extra.map((e) => `, ${e}`).join('')})`;
        }),
    },
    'set-password': {
      args: ['username'],
      options: ['db', ...PASSWORD],
      run: ({ args: [username], values, io }) =>
        withAccounts('set-password', values, io, async (accounts, password) => {
          await accounts.setPassword(username!, password!);
          return `set the password of "${username}"; their sessions and reset links have ended`;
        }),
    },
    deactivate: {
      args: ['username'],
      options: ['db'],
      run: ({ args: [username], values, io }) =>
        withAccounts('deactivate', values, io, async (accounts) => {
          await accounts.deactivate(username!);
          return `deactivated "${username}"; their sessions have ended`;
        }),
    },
    activate: {
      args: ['username'],
      options: ['db'],
      run: ({ args: [username], values, io }) =>
        withAccounts('activate', values, io, async (accounts) => {
          await accounts.activate(username!);
          return `activated "${username}"`;
        }),
    },
    list: {
      options: ['db', 'json'],
      run: ({ values, io }) =>
        withAccounts('list', values, io, async (accounts) => {
          const users = await accounts.listUsers();
          const rows = await Promise.all(
            users.map(async (user) => ({ user, groups: await accounts.groupsOf(user) })),
          );
          io.stdout.write(
            values.json === true ? `${JSON.stringify(rows.map(asJson), null, 2)}\n` : table(rows),
          );
          return `${users.length} user${users.length === 1 ? '' : 's'}`;
        }),
    },
  },
});

interface Values {
  db?: string;
  email?: string;
  password?: string;
  'password-stdin'?: boolean;
}

/**
 * Checks the options every command shares, opens the database (only create-user may create
 * it) and runs `work`, whose message goes to standard error.
 */
async function withAccounts(
  command: string,
  values: Values,
  io: CliIo,
  work: (accounts: Accounts, password: string | undefined) => Promise<string>,
): Promise<void> {
  const db = values.db;
  if (db === undefined || db === '') throw new UsageError('--db <file> is required');
  const takesPassword = command === 'create-user' || command === 'set-password';
  const given = Number(values.password !== undefined) + Number(values['password-stdin'] === true);
  if (takesPassword && given !== 1) {
    throw new UsageError(`${command} needs one of --password-stdin or --password <password>`);
  }
  if (command === 'create-user' && values.email === undefined) {
    throw new UsageError('create-user needs --email <address>');
  }
  if (command !== 'create-user') checkDatabase(db);
  const password = takesPassword ? await passwordOf(values, io) : undefined;
  const accounts = await Accounts.open({ file: db });
  try {
    io.stderr.write(`${await work(accounts, password)}\n`);
  } finally {
    await accounts.close();
  }
}

async function passwordOf(values: Values, io: CliIo): Promise<string> {
  if (values.password !== undefined) {
    io.stderr.write(
      'accounts: warning: a password given with --password is visible to other users (ps, shell history); prefer --password-stdin\n',
    );
    return values.password;
  }
  // Up to the end or the first line break, so both `printf %s "$PW" |` and `echo "$PW" |` work.
  if (io.stdin.isTTY === true) io.stderr.write('Password (then Enter and Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
  if (password === '') {
    throw new InvalidInputError('No password on standard input', { code: 'NO_PASSWORD' });
  }
  return password;
}

/**
 * Refuses a `db` that is not an existing accounts database. Opening any other SQLite file
 * would add the accounts tables to it, so a mistyped --db pointing at, say, the job queue's
 * file is refused instead.
 */
function checkDatabase(db: string): void {
  const refuse = (message: string) => new InvalidInputError(message, { code: 'BAD_DATABASE' });
  if (!existsSync(db)) throw refuse(`the database ${db} does not exist`);
  let version: unknown;
  try {
    const file = new Database(db, { readonly: true, fileMustExist: true });
    try {
      version = file.pragma('user_version', { simple: true });
    } finally {
      file.close();
    }
  } catch (error) {
    throw refuse(`the database ${db} cannot be opened: ${(error as Error).message}`);
  }
  if (version === 0) throw refuse(`${db} is not an accounts database`);
}

function asJson({ user, groups }: { user: User; groups: string[] }) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    active: user.isActive,
    superuser: user.isSuperuser,
    groups,
    createdAt: user.createdAt.toISOString(),
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
  };
}

function table(rows: { user: User; groups: string[] }[]): string {
  const lines = [
    ['username', 'email', 'active', 'superuser', 'groups', 'created', 'last login'],
    ...rows.map(({ user, groups }) => [
      user.username,
      user.email,
      user.isActive ? 'yes' : 'no',
      user.isSuperuser ? 'yes' : 'no',
      groups.join(',') || '-',
      user.createdAt.toISOString().slice(0, 10),
      user.lastLoginAt?.toISOString().slice(0, 16).replace('T', ' ') ?? '-',
    ]),
  ];
  const widths = lines[0]!.map((_, column) =>
    Math.max(...lines.map((line) => line[column]!.length)),
  );
  return lines
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

await accountsCli.main(import.meta.url);
