import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_URL } from '../client.js';

/** A mistake in how the command was called: exit status 2 with the usage text. */
export class UsageError extends Error {}

export interface Settings {
  url: string;
  username: string | undefined;
  password: string | undefined;
}

interface SettingsFlags {
  url?: string;
  user?: string;
  password?: string;
  config?: string;
}

/** The default config file: `$XDG_CONFIG_HOME/geoworks/calc-engine.json` (`~/.config/...`). */
export function defaultConfigPath(env: NodeJS.ProcessEnv, homedir: string): string {
  const base =
    env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== ''
      ? env.XDG_CONFIG_HOME
      : join(homedir, '.config');
  return join(base, 'geoworks', 'calc-engine.json');
}

/**
 * Server URL and credentials, each from the first place that has it: the flags, the
 * environment (`CALC_ENGINE_URL`, `CALC_ENGINE_USER`, `CALC_ENGINE_PASSWORD`), the config file
 * (`--config`, or the default one when it exists), then `http://localhost:8800`.
 */
export async function resolveSettings(
  flags: SettingsFlags,
  env: NodeJS.ProcessEnv,
  homedir: string,
): Promise<Settings> {
  const file = await readConfig(flags.config, env, homedir);
  const pick = (...values: (string | undefined)[]) =>
    values.find((value) => value !== undefined && value !== '');
  return {
    url: pick(flags.url, env.CALC_ENGINE_URL, file.url) ?? DEFAULT_URL,
    username: pick(flags.user, env.CALC_ENGINE_USER, file.user),
    password: pick(flags.password, env.CALC_ENGINE_PASSWORD, file.password),
  };
}

async function readConfig(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  homedir: string,
): Promise<{ url?: string; user?: string; password?: string }> {
  const path = explicit ?? defaultConfigPath(env, homedir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (explicit === undefined && (error as { code?: unknown }).code === 'ENOENT') return {};
    throw new UsageError(`Cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The config file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`The config file ${path} must hold an object`);
  }
  const config = parsed as Record<string, unknown>;
  const field = (...names: string[]): string | undefined => {
    for (const name of names) {
      const value = config[name];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') {
        throw new UsageError(`In ${path}, "${name}" must be a string`);
      }
      return value;
    }
    return undefined;
  };
  return { url: field('url'), user: field('user', 'username'), password: field('password') };
}
