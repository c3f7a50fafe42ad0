import {
  DATA_DIR_TOKEN,
  DATA_DIR_VARIABLE,
  type ConfigField,
  type ConfigSchema,
} from '@geoworks/config';
import type { CliOptions } from './cli.js';

/** Where a command-line tool's config file is. */
export interface ConfigFileSpec {
  /** The option that names it: `config` for `--config FILE`. */
  flag: string;
  /** The environment variable that names it when the option is not given. */
  env?: string;
  /** The file read when neither names one, if it exists. */
  path?: string;
  /**
   * The same, as a file of the user's geoworks folder: `$XDG_CONFIG_HOME/geoworks/<name>`,
   * else `~/.config/geoworks/<name>`.
   */
  userFile?: string;
}

/**
 * The settings part of the help: where each setting comes from, in order, then one line per
 * setting (its option, its variable, what it is, its default). Empty without settings.
 */
export function settingsHelp(
  schema: ConfigSchema,
  file: ConfigFileSpec | undefined,
  options: CliOptions,
): string {
  const fields = Object.values(schema);
  if (fields.length === 0) return '';
  const sources = [
    ...(fields.some((field) => field.flag !== undefined) ? ['its option'] : []),
    'its environment variable',
    ...(file === undefined ? [] : [`the config file (${fileText(file)})`]),
    ...(fields.some((field) => field.default !== undefined) ? ['its default'] : []),
  ];
  const rows = fields.map((field) => [namesOf(field, options), describe(field)] as const);
  if (fields.some((field) => String(field.default).startsWith(DATA_DIR_TOKEN))) {
    rows.push([DATA_DIR_VARIABLE, 'The geoworks data directory (default: ./data)']);
  }
  const width = Math.max(...rows.map(([names]) => names.length));
  return [
    `Settings, each from ${sources.join(', else ')}:`,
    ...rows.map(([names, text]) => `  ${names.padEnd(width)}  ${text}`),
  ].join('\n');
}

function fileText(file: ConfigFileSpec): string {
  return [
    `--${file.flag} FILE`,
    ...(file.env === undefined ? [] : [file.env]),
    ...(file.path === undefined ? [] : [`${file.path} if it exists`]),
    ...(file.userFile === undefined ? [] : [`~/.config/geoworks/${file.userFile} if it exists`]),
  ].join(', else ');
}

function namesOf(field: ConfigField, options: CliOptions): string {
  if (field.flag === undefined) return field.env;
  const short = options[field.flag]?.short;
  return `${short === undefined ? '' : `-${short}, `}--${field.flag}, ${field.env}`;
}

function describe(field: ConfigField): string {
  if (field.default !== undefined) {
    const value = Array.isArray(field.default) ? field.default.join(',') : String(field.default);
    return `${field.description} (default: ${field.secret === true ? 'hidden' : value})`;
  }
  return field.optional === true ? field.description : `${field.description} (required)`;
}
