// The registry of providers: create one by name from the seed's credential keywords, or all
// those whose credentials are given (AggregateSensorAPI).
import { InvalidInputError } from '@geoworks/errors';
import { Cmr } from './providers/cmr.js';
import { Copernicus } from './providers/copernicus.js';
import { Planet } from './providers/planet.js';
import { UsgsEtm, UsgsOt, UsgsTm } from './providers/usgs.js';
import type { SensorApi } from './sensor-api.js';

/**
 * Credential keywords, as the seed names them (`cmr_username`, `usgs_password`, ...), plus
 * endpoint overrides (`cmr_search_url`, `copernicus_catalogue_url`, ...) for mirrors and tests.
 */
export type Credentials = Record<string, string | undefined>;

export interface SensorRegistration {
  /** The credential keywords it needs (all of them) to be created. */
  required: string[];
  /** Keywords it also reads. */
  optional: string[];
  platformNames(): string[];
  create(credentials: Credentials): SensorApi;
}

/** A provider that cannot be created from the credentials given. */
export class CredentialsError extends InvalidInputError {
  constructor(message: string) {
    super(message, { code: 'CREDENTIALS_MISSING' });
  }
}

function need(credentials: Credentials, ...names: string[]): string {
  for (const name of names) {
    const value = credentials[name];
    if (value !== undefined && value !== '') return value;
  }
  throw new CredentialsError(`missing credential ${names.join(' or ')}`);
}

function optional(credentials: Credentials, name: string): string | undefined {
  const value = credentials[name];
  return value === undefined || value === '' ? undefined : value;
}

function defined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(record).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

const usgs = (Class: typeof UsgsOt | typeof UsgsEtm | typeof UsgsTm): SensorRegistration => ({
  required: ['usgs_username', 'usgs_token|usgs_password'],
  optional: ['usgs_api_url'],
  platformNames: () => Class.platformNames(),
  create: (credentials) =>
    new Class({
      username: need(credentials, 'usgs_username'),
      // M2M's password login was removed in February 2025: the "password" is the application token.
      token: need(credentials, 'usgs_token', 'usgs_password'),
      ...defined({ apiUrl: optional(credentials, 'usgs_api_url') }),
    }),
});

/** Every provider by name. */
export const SENSOR_REGISTRY: Readonly<Record<string, SensorRegistration>> = {
  CMR: {
    required: [],
    optional: ['cmr_username', 'cmr_password', 'cmr_token', 'cmr_search_url', 'cmr_urs_url'],
    platformNames: () => Cmr.platformNames(),
    create: (credentials) =>
      new Cmr(
        defined({
          username: optional(credentials, 'cmr_username'),
          password: optional(credentials, 'cmr_password'),
          token: optional(credentials, 'cmr_token'),
          searchUrl: optional(credentials, 'cmr_search_url'),
          ursUrl: optional(credentials, 'cmr_urs_url'),
        }),
      ),
  },
  Copernicus: {
    required: ['copernicus_username', 'copernicus_password'],
    optional: ['copernicus_totp', 'copernicus_catalogue_url', 'copernicus_identity_url'],
    platformNames: () => Copernicus.platformNames(),
    create: (credentials) =>
      new Copernicus({
        username: need(credentials, 'copernicus_username'),
        password: need(credentials, 'copernicus_password'),
        ...defined({
          totp: optional(credentials, 'copernicus_totp'),
          catalogueUrl: optional(credentials, 'copernicus_catalogue_url'),
          identityUrl: optional(credentials, 'copernicus_identity_url'),
        }),
      }),
  },
  UsgsTm: usgs(UsgsTm),
  UsgsEtm: usgs(UsgsEtm),
  UsgsOt: usgs(UsgsOt),
  Planet: {
    required: ['planet_api_key'],
    optional: ['planet_api_url'],
    platformNames: () => Planet.platformNames(),
    create: (credentials) =>
      new Planet({
        apiKey: need(credentials, 'planet_api_key'),
        ...defined({ apiUrl: optional(credentials, 'planet_api_url') }),
      }),
  },
};

/** Provider names, in registry order. */
export const SENSOR_NAMES = Object.keys(SENSOR_REGISTRY);

/** The registry entry of `name` (case-insensitive), or an error listing the names. */
export function registration(name: string): [string, SensorRegistration] {
  const key = SENSOR_NAMES.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  if (key === undefined)
    throw new InvalidInputError(
      `No provider "${name}"; the providers are ${SENSOR_NAMES.join(', ')}`,
      { code: 'UNKNOWN_PROVIDER' },
    );
  return [key, SENSOR_REGISTRY[key]!];
}

/** Creates the provider `name` from credential keywords (CredentialsError names a missing one). */
export function createInstance(name: string, credentials: Credentials = {}): SensorApi {
  const [key, entry] = registration(name);
  try {
    return entry.create(credentials);
  } catch (error) {
    if (error instanceof CredentialsError) throw new CredentialsError(`${key}: ${error.message}`);
    throw error;
  }
}

/** Whether the credentials hold what `name` needs. */
export function hasCredentials(name: string, credentials: Credentials): boolean {
  const [, entry] = registration(name);
  return entry.required.every((keys) =>
    keys.split('|').some((key) => optional(credentials, key) !== undefined),
  );
}
