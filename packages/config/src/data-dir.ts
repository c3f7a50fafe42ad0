import { resolve } from 'node:path';
import type { Env } from './config.js';

/** The variable under which every geoworks service and command keeps its data. */
export const DATA_DIR_VARIABLE = 'GEOWORKS_DATA_DIR';

/** What a `path` field's default may start with to mean `geoworksDataDir(env)`. */
export const DATA_DIR_TOKEN = `$${DATA_DIR_VARIABLE}`;

/**
 * The geoworks data directory, absolute: `GEOWORKS_DATA_DIR`, or `./data` when it is unset or
 * blank, with `segments` joined to it. The one place the variable is read: `npm start` sets it
 * for every service, and the command-line tools find the services' files through it.
 */
export function geoworksDataDir(env: Env = process.env, ...segments: string[]): string {
  const dir = env[DATA_DIR_VARIABLE];
  return resolve(dir === undefined || dir.trim() === '' ? './data' : dir, ...segments);
}

/**
 * `$GEOWORKS_DATA_DIR/flux/flux.sqlite` as the path under the data directory; any other text
 * unchanged.
 */
export function expandDataDir(text: string, env: Env): string {
  if (text === DATA_DIR_TOKEN) return geoworksDataDir(env);
  if (!text.startsWith(`${DATA_DIR_TOKEN}/`)) return text;
  return geoworksDataDir(env, text.slice(DATA_DIR_TOKEN.length + 1));
}

/**
 * `env` with `variable` (a service's data directory) defaulted to `<GEOWORKS_DATA_DIR>/<folder>`
 * when `GEOWORKS_DATA_DIR` is set: under `npm start` every service shares one data directory,
 * each in its own folder. Without it the service's own default applies.
 */
export function withServiceDataDir(
  env: NodeJS.ProcessEnv,
  variable: string,
  folder: string,
): NodeJS.ProcessEnv {
  const copy = { ...env };
  if (isBlank(copy[variable]) && !isBlank(env[DATA_DIR_VARIABLE])) {
    copy[variable] = geoworksDataDir(env, folder);
  }
  return copy;
}

function isBlank(value: string | undefined): boolean {
  return value === undefined || value.trim() === '';
}
