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

/** What the server lets one job use, whatever its job.ini asks. */
export interface JobLimits {
  /** Worker processes of one job (parameters with `resource: 'workers'`). */
  workersPerJob: number;
}

/**
 * Checks a job.ini's keys against its mode and turns them into typed values: defaults for what
 * is missing, numbers parsed and within their declared range, file inputs resolved inside the
 * job folder (and required to exist there), the mode's own checks. Errors name the key and
 * say what is expected.
 */
export function resolveParameters(
  raw: Record<string, string>,
  mode: CalculationMode,
  jobDir: string,
  iniName: string,
  limits: JobLimits,
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
  for (const [key, declared] of Object.entries(mode.parameters)) {
    const spec = withLimits(declared, limits);
    const text = raw[key];
    if (text === undefined || (text === '' && spec.type !== 'string')) {
      if (spec.default === undefined)
        throw new JobConfigError(
          `${iniName}: missing required parameter "${key}" (${spec.description})`,
          'MISSING_PARAMETER',
        );
      // A default beyond what this server allows (a worker count) is what it allows.
      params[key] =
        typeof spec.default === 'number' && spec.maximum !== undefined
          ? Math.min(spec.default, spec.maximum)
          : spec.default;
      continue;
    }
    const value = parseValue(key, text, spec, jobDir, iniName);
    try {
      spec.check?.(value);
    } catch (error) {
      if (!(error instanceof JobConfigError)) throw error;
      throw new JobConfigError(`${iniName}: ${error.message}`, error.code);
    }
    params[key] = value;
  }
  return params;
}

/** The spec with the server's limit as the maximum of a resource parameter. */
function withLimits(
  spec: ParameterSpec,
  limits: JobLimits,
): ParameterSpec & { limitNote?: string } {
  if (spec.resource !== 'workers') return spec;
  return {
    ...spec,
    maximum: Math.min(spec.maximum ?? Infinity, limits.workersPerJob),
    limitNote: ` (this server runs at most ${limits.workersPerJob} worker process${limits.workersPerJob === 1 ? '' : 'es'} per job)`,
  };
}

function parseValue(
  key: string,
  text: string,
  spec: ParameterSpec & { limitNote?: string },
  jobDir: string,
  iniName: string,
): ParameterValue {
  switch (spec.type) {
    case 'string':
      return text;
    case 'float':
    case 'integer': {
      const value = Number(text);
      const { minimum = -Infinity, maximum = Infinity } = spec;
      const fits = spec.type === 'integer' ? Number.isSafeInteger(value) : Number.isFinite(value);
      if (!fits || value < minimum || value > maximum) {
        const what = spec.type === 'integer' ? 'an integer' : 'a number';
        throw new JobConfigError(
          `${iniName}: ${key} must be ${what}${rangeText(spec)}${spec.limitNote ?? ''}, not "${text}"`,
          'BAD_PARAMETER',
        );
      }
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

/** ` from 0 to 4`, ` from 1`, ` up to 9`: a declared range as error messages say it. */
function rangeText({ minimum, maximum }: ParameterSpec): string {
  if (minimum !== undefined && maximum !== undefined) return ` from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return ` from ${minimum}`;
  if (maximum !== undefined) return ` up to ${maximum}`;
  return '';
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
