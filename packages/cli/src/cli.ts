import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  ConfigError,
  resolveConfig,
  type ConfigFile,
  type ConfigSchema,
  type ConfigValues,
  type Env,
} from '@geoworks/config';
import { AbortedError } from '@geoworks/errors';
import { EXIT_CODES, exitCodeFor, messageOf, UsageError, type ExitCodeByKind } from './errors.js';
import { readConfigFile, userConfigFile } from './files.js';
import { settingsHelp, type ConfigFileSpec } from './help.js';
import { processIo, type CliIo } from './io.js';

/** The options a command line may hold, as `node:util` `parseArgs` declares them. */
export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** The parsed values of `options`, typed from their declaration. */
export type OptionValues<O extends CliOptions> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true }>
>['values'];

/** A tool's settings: a `@geoworks/config` schema, and where its config file is. */
export interface CliConfig<S extends ConfigSchema> {
  /** Each field may name its `flag` (an option) and `fileKeys` besides its `env`. */
  schema: S;
  file?: ConfigFileSpec;
}

/** What a command line asks for, read and checked. */
export interface Invocation<O extends CliOptions, S extends ConfigSchema> {
  command: string;
  /** The arguments after the command. */
  args: string[];
  values: OptionValues<O>;
  /** The settings: options > environment > config file > defaults. */
  settings: ConfigValues<S>;
  /** The config file read, if any (a tool may take more than settings from it). */
  configFile: ConfigFile | undefined;
}

export interface CommandContext<O extends CliOptions, S extends ConfigSchema> extends Invocation<
  O,
  S
> {
  io: CliIo;
  /**
   * Runs `use` with a signal the first Ctrl-C aborts (with an `AbortedError`), for work that
   * stops cleanly; elsewhere Ctrl-C exits 130 at once.
   */
  interruptible<T>(use: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

export interface CommandSpec<O extends CliOptions, S extends ConfigSchema> {
  /**
   * The arguments after the command, by name: `name` required, `name?` optional, `name...`
   * any number. Default: none.
   */
  args?: readonly string[];
  /** The options it takes besides `--help`, `--version` and the settings; default: all. */
  options?: readonly (keyof O & string)[];
  /** Does the work; resolves with the exit status (nothing: 0) or throws. */
  run(context: CommandContext<O, S>): Promise<number | void> | number | void;
}

export interface CliSpec<O extends CliOptions, S extends ConfigSchema> {
  /** The name in messages and the help: `flux-manage`. */
  name: string;
  /** What `--version` prints (see `packageVersion`). */
  version: string;
  /** The help text; the settings are listed after it from the schema. */
  usage: string;
  options?: O;
  config?: CliConfig<S>;
  commands: Readonly<Record<string, CommandSpec<O, S>>>;
  /** Start messages with `<name>: `, lower case, as Unix tools do. Default false. */
  prefixMessages?: boolean;
  /** After a usage error: the whole help (default), or a line saying how to get it. */
  usageOnError?: 'full' | 'hint';
  /** The tool's own statuses for some error kinds (see `exitCodeFor`). */
  exitCodes?: ExitCodeByKind;
  /** The tool's own wording when no command is given. */
  messages?: { noCommand?: string };
}

/** A command-line tool, as `defineCli` returns it. */
export interface Cli<O extends CliOptions, S extends ConfigSchema> {
  readonly name: string;
  /** What `--help` prints. */
  readonly help: string;
  /**
   * Reads a command line without running it: the invocation, or `help`/`version` when one of
   * them was asked for. Throws a `UsageError` or a `ConfigError`.
   */
  parse(argv: readonly string[], env: Env): Invocation<O, S> | 'help' | 'version';
  /** Runs one command line with `io`; resolves with the exit status and never rejects. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
  /**
   * The bin entry (`await cli.main(import.meta.url)` as the module's last line): when the
   * module is the program Node runs, runs its command line on the real process and sets
   * `process.exitCode`; when a test imports it, does nothing.
   */
  main(moduleUrl: string): Promise<void>;
}

/** A tool without options of its own, or without settings. */
type Nothing = Record<never, never>;

const KIT_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies CliOptions;

/**
 * Declares a command-line tool: its options, settings and commands. The kit parses the command
 * line (`--help` and `--version` everywhere), checks each command's arguments and options,
 * reads the settings, runs the command, and turns what it throws into a message and an exit
 * status (`exitCodeFor`).
 */
export function defineCli<
  const O extends CliOptions = Nothing,
  const S extends ConfigSchema = Nothing,
>(spec: CliSpec<O, S>): Cli<O, S> {
  const schema = (spec.config?.schema ?? {}) as S;
  const fileSpec = spec.config?.file;
  const ownOptions: CliOptions = spec.options ?? {};
  const settingOptions: CliOptions = {};
  for (const field of Object.values(schema)) {
    if (field.flag !== undefined) settingOptions[field.flag] = { type: 'string' };
  }
  if (fileSpec !== undefined) settingOptions[fileSpec.flag] = { type: 'string' };
  const options: CliOptions = { ...settingOptions, ...ownOptions, ...KIT_OPTIONS };
  const always = new Set([...Object.keys(settingOptions), ...Object.keys(KIT_OPTIONS)]);
  const help = [spec.usage.trimEnd(), settingsHelp(schema, fileSpec, options)]
    .filter((part) => part !== '')
    .join('\n\n')
    .concat('\n');
  const prefix = spec.prefixMessages === true ? `${spec.name}: ` : '';
  // The kit's own words: lower case after the name, a sentence without it.
  const sentence = (text: string) =>
    prefix === '' ? text.charAt(0).toUpperCase() + text.slice(1) : text;

  function parse(argv: readonly string[], env: Env): Invocation<O, S> | 'help' | 'version' {
    let parsed: { values: Record<string, unknown>; positionals: string[] };
    try {
      parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(messageOf(error));
    }
    const { values, positionals } = parsed;
    if (values.help === true) return 'help';
    if (values.version === true) return 'version';
    const [command, ...args] = positionals;
    if (command === undefined) {
      throw new UsageError(spec.messages?.noCommand ?? sentence('no command given'));
    }
    const definition = Object.hasOwn(spec.commands, command) ? spec.commands[command] : undefined;
    if (definition === undefined) {
      const names = Object.keys(spec.commands).join(', ');
      throw new UsageError(sentence(`unknown command "${command}"; commands: ${names}`));
    }
    checkArgs(command, definition.args ?? [], args);
    if (definition.options !== undefined) {
      const allowed = new Set<string>([...always, ...definition.options]);
      for (const option of Object.keys(values)) {
        if (!allowed.has(option)) {
          throw new UsageError(`--${option} is not an option of ${command}`);
        }
      }
    }
    const configFile = fileSpec === undefined ? undefined : readFile(fileSpec, values, env);
    const settings = resolveConfig(schema, { flags: values, env, file: configFile });
    return { command, args, values: values as OptionValues<O>, settings, configFile };
  }

  function report(error: unknown, io: CliIo, parsing: boolean): number {
    if (error instanceof UsageError) {
      io.stderr.write(
        spec.usageOnError === 'hint'
          ? `${prefix}${error.message}\nRun "${spec.name} --help" for usage.\n`
          : `${prefix}${error.message}\n\n${help}`,
      );
      return EXIT_CODES.usage;
    }
    io.stderr.write(`${prefix}${messageOf(error)}\n`);
    // Settings that cannot be used are a usage problem whatever a tool maps invalid input to.
    if (parsing && error instanceof ConfigError) return EXIT_CODES.usage;
    return exitCodeFor(error, spec.exitCodes);
  }

  async function run(argv: readonly string[], io: CliIo): Promise<number> {
    let invocation: ReturnType<typeof parse>;
    try {
      invocation = parse(argv, io.env);
    } catch (error) {
      return report(error, io, true);
    }
    if (invocation === 'help') {
      io.stdout.write(help);
      return EXIT_CODES.ok;
    }
    if (invocation === 'version') {
      io.stdout.write(`${spec.version}\n`);
      return EXIT_CODES.ok;
    }
    const interruptible = async <T>(use: (signal: AbortSignal) => Promise<T>): Promise<T> => {
      const controller = new AbortController();
      const stop = io.onInterrupt(() =>
        controller.abort(new AbortedError('Interrupted', { code: 'INTERRUPTED' })),
      );
      try {
        return await use(controller.signal);
      } finally {
        stop();
      }
    };
    try {
      const command = spec.commands[invocation.command]!;
      const code = await command.run({ ...invocation, io, interruptible });
      return code ?? EXIT_CODES.ok;
    } catch (error) {
      return report(error, io, false);
    }
  }

  return {
    name: spec.name,
    help,
    parse,
    run,
    async main(moduleUrl) {
      if (!isProgram(moduleUrl)) return;
      // Output piped into `head` and the like: stop quietly when the reader goes away.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw error;
      });
      process.exitCode = await run(process.argv.slice(2), processIo());
    },
  };
}

function checkArgs(command: string, names: readonly string[], args: readonly string[]): void {
  const required = names.filter((name) => !name.endsWith('?') && !name.endsWith('...')).length;
  const most = names.some((name) => name.endsWith('...')) ? Infinity : names.length;
  if (args.length >= required && args.length <= most) return;
  const expected =
    names.length === 0
      ? 'no arguments'
      : names
          .map((name) => {
            if (name.endsWith('...')) return `[<${name.slice(0, -3)}>...]`;
            return name.endsWith('?') ? `[<${name.slice(0, -1)}>]` : `<${name}>`;
          })
          .join(' ');
  throw new UsageError(
    `${command} takes ${expected}, got ${args.length === 0 ? 'none' : args.join(' ')}`,
  );
}

function readFile(
  file: ConfigFileSpec,
  values: Record<string, unknown>,
  env: Env,
): ConfigFile | undefined {
  const given = values[file.flag];
  if (typeof given === 'string' && given !== '') return readConfigFile(given, true);
  const variable = file.env === undefined ? undefined : env[file.env];
  if (variable !== undefined && variable.trim() !== '') return readConfigFile(variable, true);
  const fallback =
    file.path ?? (file.userFile === undefined ? undefined : userConfigFile(env, file.userFile));
  return fallback === undefined ? undefined : readConfigFile(fallback, false);
}

/** Whether `moduleUrl` is the script Node was started with (also through a bin symlink). */
function isProgram(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
