import { existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, normalize, sep } from 'node:path';
import { JobConfigError } from './errors.js';
import { isFileKey } from './ini.js';
import type { CalculationMode, ParameterSpec, ParameterValue } from './modes/types.js';

/** Parameters every job has, whatever its mode. */
export const COMMON_PARAMETERS: Record<string, ParameterSpec> = {
  description: { type: 'string', description: 'What the calculation is (required, not empty)' },
  calculation_mode: { type: 'string', description: 'The calculation mode' },
};

/**
 * Checks a job.ini's keys against its mode and turns them into typed values: defaults for what
 * is missing, numbers parsed, file inputs resolved inside the job folder (and required to
 * exist there). Errors name the key and say what is expected.
 */
export function resolveParameters(
  raw: Record<string, string>,
  mode: CalculationMode,
  jobDir: string,
  iniName: string,
): Record<string, ParameterValue> {
  const params: Record<string, ParameterValue> = {};
  for (const key of Object.keys(raw)) {
    if (key in COMMON_PARAMETERS) continue;
    if (!(key in mode.parameters)) {
      const known = Object.keys(mode.parameters);
      throw new JobConfigError(
        `${iniName}: unknown parameter "${key}" for calculation_mode ${mode.name}${known.length > 0 ? `; known: ${known.join(', ')}` : ''}`,
        'UNKNOWN_PARAMETER',
      );
    }
  }
  for (const [key, spec] of Object.entries(mode.parameters)) {
    const text = raw[key];
    if (text === undefined || (text === '' && spec.type !== 'string')) {
      if (spec.default === undefined)
        throw new JobConfigError(
          `${iniName}: missing required parameter "${key}" (${spec.description})`,
          'MISSING_PARAMETER',
        );
      params[key] = spec.default;
      continue;
    }
    params[key] = parseValue(key, text, spec, jobDir, iniName);
  }
  return params;
}

function parseValue(
  key: string,
  text: string,
  spec: ParameterSpec,
  jobDir: string,
  iniName: string,
): ParameterValue {
  switch (spec.type) {
    case 'string':
      return text;
    case 'float': {
      const value = Number(text);
      if (!Number.isFinite(value))
        throw new JobConfigError(
          `${iniName}: ${key} must be a number, not "${text}"`,
          'BAD_PARAMETER',
        );
      return value;
    }
    case 'integer': {
      const value = Number(text);
      if (!Number.isInteger(value))
        throw new JobConfigError(
          `${iniName}: ${key} must be an integer, not "${text}"`,
          'BAD_PARAMETER',
        );
      return value;
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(lower)) return true;
      if (['false', 'no', 'off', '0'].includes(lower)) return false;
      throw new JobConfigError(
        `${iniName}: ${key} must be true or false, not "${text}"`,
        'BAD_PARAMETER',
      );
    }
    case 'choice':
      if (!spec.choices?.includes(text)) {
        throw new JobConfigError(
          `${iniName}: ${key} must be one of ${spec.choices?.join(', ')}, not "${text}"`,
          'BAD_PARAMETER',
        );
      }
      return text;
    case 'file':
      return inputFile(key, text, jobDir);
  }
}

/** An input named by the ini, which must lie inside the job folder and exist. */
export function inputFile(key: string, name: string, jobDir: string): string {
  const normalized = normalize(name);
  if (isAbsolute(name) || normalized === '..' || normalized.startsWith(`..${sep}`)) {
    throw new JobConfigError(
      `${key}: ${name} must be a path inside the job, relative to the ini`,
      'BAD_PARAMETER',
    );
  }
  const path = join(jobDir, normalized);
  if (!existsSync(path) || !statSync(path).isFile())
    throw new JobConfigError(`No such file: ${basename(name)} (${key})`, 'NO_SUCH_FILE');
  return path;
}

/** OpenQuake's /v1/ini_defaults: every parameter with a default, across modes. */
export function iniDefaults(modes: readonly CalculationMode[]): Record<string, ParameterValue> {
  const defaults: Record<string, ParameterValue> = {
    base_path: '.',
    calculation_mode: '',
    description: '',
  };
  for (const mode of modes) {
    for (const [key, spec] of Object.entries(mode.parameters)) {
      if (spec.default !== undefined && !(key in defaults)) defaults[key] = spec.default;
    }
  }
  return Object.fromEntries(Object.entries(defaults).sort(([a], [b]) => a.localeCompare(b)));
}

export { isFileKey };
