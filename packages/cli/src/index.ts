// @geoworks/cli: the shell every geoworks command-line tool is built on.
export { defineCli } from './cli.js';
export type {
  Cli,
  CliConfig,
  CliOptions,
  CliSpec,
  CommandContext,
  CommandSpec,
  Invocation,
  OptionValues,
} from './cli.js';
export type { ConfigFileSpec } from './help.js';
export { EXIT_CODES, exitCodeFor, UsageError } from './errors.js';
export type { ExitCodeByKind } from './errors.js';
export { processIo, textIo } from './io.js';
export type { CliIo, CliOutput, TextIo, TextIoOptions, TextOutput } from './io.js';
export { packageVersion, userConfigFile } from './files.js';
