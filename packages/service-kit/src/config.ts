import type { ConfigField, ConfigSchema, ConfigValues } from './config-types.js';
import {
  boundOf,
  checkNative,
  expectation,
  hasUnreadableBounds,
  parseText,
  rangeText,
  type Parsed,
} from './config-values.js';
import { ConfigError, type ConfigProblem } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

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
    const raw = env[field.env];
    if (raw !== undefined && raw.trim() !== '') {
      const parsed = parseText(field, raw);
      if (parsed === undefined) {
        report(`${field.env}=${shown(field, raw)}: expected ${expectation(field)}`);
      } else {
        values[key] = parsed.value;
      }
    } else if (field.default !== undefined) {
      const parsed: Parsed =
        typeof field.default === 'string'
          ? parseText(field, field.default)
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
      report(`${field.env} is not set: expected ${expectation(field)} (${field.description})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(values) as ConfigValues<S>;
}

/** Mistakes in the schema itself, reported with the environment's so none hides another. */
function checkField(field: ConfigField, seen: Set<string>): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field.env)) return 'env must be a variable name';
  if (seen.has(field.env)) return `${field.env} is read by two fields`;
  seen.add(field.env);
  if (field.default !== undefined && field.optional === true) {
    return 'a field with a default cannot also be optional';
  }
  if (field.type === 'enum' && field.values.length === 0) return 'an enum needs values';
  if ((field.type === 'bytes' || field.type === 'duration') && hasUnreadableBounds(field)) {
    return `min or max is not a ${field.type === 'bytes' ? 'size' : 'duration'}`;
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

/**
 * The schema as a Markdown table (variable, type, default, description) for a service's README,
 * so the documentation is generated from the same declaration the service reads.
 */
export function describeConfig(schema: ConfigSchema): string {
  const rows = Object.values(schema).map((field) =>
    [
      `\`${field.env}\``,
      typeText(field),
      defaultText(field),
      field.description + (field.secret === true ? ' Secret: never logged.' : ''),
    ]
      .map(cell)
      .join(' | '),
  );
  return [
    '| Variable | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

function typeText(field: ConfigField): string {
  switch (field.type) {
    case 'enum':
      return `one of ${field.values.map((value) => `\`${value}\``).join(', ')}`;
    case 'url':
      return field.protocols === undefined ? 'URL' : `URL (${field.protocols.join(', ')})`;
    case 'list':
      return 'comma-separated list';
    default:
      return field.type + rangeText(field);
  }
}

function defaultText(field: ConfigField): string {
  if (field.default === undefined) return field.optional === true ? '(unset)' : '**required**';
  if (field.secret === true) return '(hidden)';
  const text = Array.isArray(field.default) ? field.default.join(',') : String(field.default);
  return text === '' ? '`""`' : `\`${text}\``;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
}
