import { DATA_DIR_TOKEN, expandDataDir } from './data-dir.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import type { ConfigField, ConfigSchema, ConfigValues } from './types.js';
import {
  boundOf,
  checkNative,
  expectation,
  hasUnreadableBounds,
  parseText,
  type Parsed,
} from './values.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A config file's contents: a JSON object read by a command-line tool. */
export interface ConfigFile {
  /** Where it was read, for messages. */
  path: string;
  values: Readonly<Record<string, unknown>>;
}

/**
 * Where a command-line tool's settings come from, the first that has a value winning: its
 * options (by each field's `flag`), the environment, its config file (by each field's
 * `fileKeys`), then the schema's default.
 */
export interface ConfigSources {
  flags?: Readonly<Record<string, unknown>>;
  env?: Env;
  file?: ConfigFile;
}

/**
 * Declares a configuration schema. It returns the schema unchanged; its only job is to keep the
 * literal types (`'integer'`, enum values, `optional: true`) that `loadConfig` infers from.
 */
export function defineConfig<const S extends ConfigSchema>(schema: S): S {
  return schema;
}

/**
 * Reads every field of `schema` from `env` and returns the typed, frozen configuration, or
 * throws one `ConfigError` listing every variable that is unusable. An empty or blank variable
 * counts as unset (container tooling often passes `FOO=` for "not configured").
 */
export function loadConfig<const S extends ConfigSchema>(
  schema: S,
  env: Env = process.env,
): ConfigValues<S> {
  return resolveConfig(schema, { env });
}

/**
 * `loadConfig` for a command-line tool: each field from its option, else the environment,
 * else the config file, else its default. Blank values count as unset wherever they come from.
 */
export function resolveConfig<const S extends ConfigSchema>(
  schema: S,
  sources: ConfigSources,
): ConfigValues<S> {
  const env = sources.env ?? process.env;
  const production = env.NODE_ENV === 'production';
  const problems: ConfigProblem[] = [];
  const values: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const [key, field] of Object.entries(schema)) {
    const report = (message: string) => problems.push({ variable: field.env, message });
    const schemaProblem = checkField(field, seen);
    if (schemaProblem !== undefined) {
      report(`${field.env}: bad schema entry "${key}": ${schemaProblem}`);
      continue;
    }
    const given = givenValue(key, field, sources, env);
    if (given !== undefined) {
      const parsed =
        typeof given.value === 'string'
          ? parseText(field, given.value)
          : checkNative(field, given.value);
      if (parsed === undefined) {
        report(`${given.where}=${shown(field, given.value)}: expected ${expectation(field)}`);
      } else {
        values[key] = parsed.value;
      }
    } else if (field.default !== undefined) {
      const parsed: Parsed =
        typeof field.default === 'string'
          ? parseText(
              field,
              field.type === 'path' ? expandDataDir(field.default, env) : field.default,
            )
          : checkNative(field, field.default);
      if (parsed === undefined) {
        report(
          `${field.env} has an invalid default ${shown(field, field.default)}: expected ${expectation(field)}`,
        );
      } else if (field.secret === true && production) {
        report(
          `${field.env} is not set: it is a secret, and its default is for development only (NODE_ENV=production)`,
        );
      } else {
        values[key] = parsed.value;
      }
    } else if (field.optional === true) {
      values[key] = undefined;
    } else {
      const names =
        field.flag !== undefined && sources.flags !== undefined
          ? `--${field.flag} or ${field.env}`
          : field.env;
      report(`${names} is not set: expected ${expectation(field)} (${field.description})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(values) as ConfigValues<S>;
}

/** The field's value from the first source that has one, and how to name that place. */
function givenValue(
  key: string,
  field: ConfigField,
  sources: ConfigSources,
  env: Env,
): { value: unknown; where: string } | undefined {
  if (field.flag !== undefined) {
    const value = sources.flags?.[field.flag];
    if (isSet(value)) return { value, where: `--${field.flag}` };
  }
  const variable = env[field.env];
  if (isSet(variable)) return { value: variable, where: field.env };
  const file = sources.file;
  if (file === undefined) return undefined;
  for (const name of field.fileKeys ?? [key]) {
    const value = file.values[name];
    if (isSet(value)) return { value, where: `${file.path}: ${name}` };
  }
  return undefined;
}

function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  return typeof value !== 'string' || value.trim() !== '';
}

/** Mistakes in the schema itself, reported with the environment's so none hides another. */
function checkField(field: ConfigField, seen: Set<string>): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field.env)) return 'env must be a variable name';
  if (seen.has(field.env)) return `${field.env} is read by two fields`;
  seen.add(field.env);
  if (field.flag !== undefined) {
    if (!/^[A-Za-z][\w-]*$/.test(field.flag)) return 'flag must be an option name, without --';
    if (seen.has(`--${field.flag}`)) return `--${field.flag} is read by two fields`;
    seen.add(`--${field.flag}`);
  }
  if (field.default !== undefined && field.optional === true) {
    return 'a field with a default cannot also be optional';
  }
  if (field.type === 'enum' && field.values.length === 0) return 'an enum needs values';
  if ((field.type === 'bytes' || field.type === 'duration') && hasUnreadableBounds(field)) {
    return `min or max is not a ${field.type === 'bytes' ? 'size' : 'duration'}`;
  }
  if (
    field.type !== 'path' &&
    typeof field.default === 'string' &&
    field.default.startsWith(DATA_DIR_TOKEN)
  ) {
    return `only a path default may start with ${DATA_DIR_TOKEN}`;
  }
  const min = boundOf(field, 'min');
  const max = boundOf(field, 'max');
  if (min !== undefined && max !== undefined && min > max) return 'min is greater than max';
  return undefined;
}

/** A value as it may appear in a message: quoted and cut short, or hidden for secrets. */
function shown(field: ConfigField, value: unknown): string {
  if (field.secret === true) return '(hidden)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}
