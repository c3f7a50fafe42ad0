import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { isGeoworksError } from '@geoworks/errors';
import { Accounts } from '../accounts.js';
import type { User } from '../types.js';
import { readPassword } from './stdin.js';

export const USAGE = `Usage: accounts --db <file> <command> [arguments]

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

Exit status: 0 done, 1 the command failed, 2 bad usage. Messages go to standard error.
`;

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

interface CommandSpec {
  /** Names of the positional arguments after the command. */
  args: readonly string[];
  /** Options the command takes besides --db and --help. */
  options: readonly string[];
}

const COMMANDS: Record<string, CommandSpec> = {
  'create-user': {
    args: ['username'],
    options: ['email', 'password', 'password-stdin', 'group', 'superuser'],
  },
  'set-password': { args: ['username'], options: ['password', 'password-stdin'] },
  deactivate: { args: ['username'], options: [] },
  activate: { args: ['username'], options: [] },
  list: { args: [], options: ['json'] },
};

const OPTIONS = {
  db: { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  group: { type: 'string', multiple: true },
  superuser: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A mistake in how the command was called: exit status 2. */
class UsageError extends Error {}

/** Runs one command line; resolves with the exit status. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`accounts: ${error.message}\nRun "accounts --help" for usage.\n`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  const { command, username, values, db } = parsed;
  const problem = command === 'create-user' ? undefined : databaseProblem(db);
  if (problem !== undefined) {
    io.stderr.write(`accounts: ${problem}\n`);
    return 1;
  }
  let accounts: Accounts | undefined;
  try {
    const password = await passwordOf(values, io);
    accounts = await Accounts.open({ file: db });
    io.stderr.write(await execute(accounts, command, username, values, password, io));
    return 0;
  } catch (error) {
    io.stderr.write(`accounts: ${describe(error)}\n`);
    return 1;
  } finally {
    await accounts?.close();
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

function parseCommandLine(
  argv: readonly string[],
): 'help' | { command: string; username: string; values: Values; db: string } {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return 'help';
  const [command, ...args] = positionals;
  if (command === undefined) throw new UsageError('no command given');
  const spec = COMMANDS[command];
  if (spec === undefined) {
    throw new UsageError(
      `unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')}`,
    );
  }
  if (args.length !== spec.args.length) {
    const expected = spec.args.length === 0 ? 'no arguments' : `<${spec.args.join('> <')}>`;
    throw new UsageError(
      `${command} takes ${expected}, got ${args.length === 0 ? 'none' : args.join(' ')}`,
    );
  }
  for (const option of Object.keys(values)) {
    if (option !== 'db' && !spec.options.includes(option)) {
      throw new UsageError(`--${option} is not an option of ${command}`);
    }
  }
  if (values.db === undefined || values.db === '') throw new UsageError('--db <file> is required');
  if (spec.options.includes('password')) {
    const given = Number(values.password !== undefined) + Number(values['password-stdin'] === true);
    if (given !== 1) {
      throw new UsageError(`${command} needs one of --password-stdin or --password <password>`);
    }
  }
  if (command === 'create-user' && values.email === undefined) {
    throw new UsageError('create-user needs --email <address>');
  }
  return { command, username: args[0] ?? '', values, db: values.db };
}

async function passwordOf(values: Values, io: CliIo): Promise<string | undefined> {
  if (values.password !== undefined) {
    io.stderr.write(
      'accounts: warning: a password given with --password is visible to other users (ps, shell history); prefer --password-stdin\n',
    );
    return values.password;
  }
  if (values['password-stdin'] === true) return readPassword(io.stdin, io.stderr);
  return undefined;
}

/** Runs the command; resolves with the message for standard error. */
async function execute(
  accounts: Accounts,
  command: string,
  username: string,
  values: Values,
  password: string | undefined,
  io: CliIo,
): Promise<string> {
  switch (command) {
    case 'create-user': {
      const user = await accounts.createUser({
        username,
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
      return `created user "${user.username}" (id ${user.id}${extra.map((e) => `, ${e}`).join('')})\n`;
    }
    case 'set-password':
      await accounts.setPassword(username, password!);
      return `set the password of "${username}"; their sessions and reset links have ended\n`;
    case 'deactivate':
      await accounts.deactivate(username);
      return `deactivated "${username}"; their sessions have ended\n`;
    case 'activate':
      await accounts.activate(username);
      return `activated "${username}"\n`;
    default: {
      const users = await accounts.listUsers();
      const rows = await Promise.all(
        users.map(async (user) => ({ user, groups: await accounts.groupsOf(user) })),
      );
      io.stdout.write(
        values.json === true ? `${JSON.stringify(rows.map(asJson), null, 2)}\n` : table(rows),
      );
      return `${users.length} user${users.length === 1 ? '' : 's'}\n`;
    }
  }
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

/**
 * Why `db` cannot be used by a command that expects an existing accounts database. Opening
 * any other SQLite file would add the accounts tables to it, so a mistyped --db pointing at,
 * say, the job queue's file is refused instead.
 */
function databaseProblem(db: string): string | undefined {
  if (!existsSync(db)) return `the database ${db} does not exist`;
  let version: unknown;
  try {
    const file = new Database(db, { readonly: true, fileMustExist: true });
    try {
      version = file.pragma('user_version', { simple: true });
    } finally {
      file.close();
    }
  } catch (error) {
    return `the database ${db} cannot be opened: ${(error as Error).message}`;
  }
  return version === 0 ? `${db} is not an accounts database` : undefined;
}

function describe(error: unknown): string {
  if (isGeoworksError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
