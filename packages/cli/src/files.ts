import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigFile, Env } from '@geoworks/config';
import { UsageError } from './errors.js';

/**
 * `name` in the user's geoworks configuration folder: `$XDG_CONFIG_HOME/geoworks/<name>`, else
 * `$HOME/.config/geoworks/<name>`; undefined when neither variable is set.
 */
export function userConfigFile(env: Env, name: string): string | undefined {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined && xdg !== '') return join(xdg, 'geoworks', name);
  const home = env.HOME;
  return home === undefined || home === '' ? undefined : join(home, '.config', 'geoworks', name);
}

/**
 * A config file's JSON object. A file the user named must be readable; the default one may be
 * absent (undefined).
 */
export function readConfigFile(path: string, named: boolean): ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!named && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`Cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The config file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new UsageError(`The config file ${path} must hold a JSON object`);
  }
  return { path, values: values as Record<string, unknown> };
}

/** The `version` of the package.json at `url` (`new URL('../package.json', import.meta.url)`). */
export function packageVersion(url: URL): string {
  const { version } = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
  return typeof version === 'string' ? version : '0.0.0';
}
