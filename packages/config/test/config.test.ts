import { resolve } from 'node:path';
import { InvalidInputError } from '@geoworks/errors';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ConfigError,
  defineConfig,
  describeConfig,
  loadConfig,
  type ConfigSchema,
} from '../src/index.js';

// Pino's level names, as the services' LOG_LEVEL_CONFIG declares them.
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = defineConfig({
  name: { env: 'SERVICE_NAME', type: 'string', default: 'geo', description: 'Name in logs' },
  port: {
    env: 'PORT',
    type: 'integer',
    default: 8080,
    min: 0,
    max: 65535,
    description: 'TCP port',
  },
  ratio: { env: 'RATIO', type: 'number', default: 0.5, min: 0, max: 1, description: 'A share' },
  debug: { env: 'DEBUG', type: 'boolean', default: false, description: 'Debug routes' },
  mode: {
    env: 'MODE',
    type: 'enum',
    values: ['fast', 'exact'],
    default: 'fast',
    description: 'Calculation mode',
  },
  logLevel: {
    env: 'LOG_LEVEL',
    type: 'enum',
    values: LOG_LEVELS,
    default: 'info',
    description: 'Log level',
  },
  ckanUrl: {
    env: 'CKAN_URL',
    type: 'url',
    protocols: ['http:', 'https:'],
    description: 'CKAN base URL',
  },
  dataDir: { env: 'DATA_DIR', type: 'path', default: './data', description: 'Datasets' },
  maxUpload: {
    env: 'MAX_UPLOAD',
    type: 'bytes',
    default: '10MB',
    max: '1GiB',
    description: 'Largest upload',
  },
  timeout: {
    env: 'TIMEOUT',
    type: 'duration',
    default: '30s',
    min: '1s',
    description: 'Calculation timeout',
  },
  origins: { env: 'CORS_ORIGINS', type: 'list', default: [], description: 'CORS origins' },
  apiKey: {
    env: 'API_KEY',
    type: 'string',
    secret: true,
    default: 'dev-key',
    description: 'Key clients send',
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    type: 'url',
    protocols: ['postgresql:'],
    secret: true,
    optional: true,
    description: 'Database',
  },
  redisUrl: { env: 'REDIS_URL', type: 'url', optional: true, description: 'Job queue Redis' },
});

const minimalEnv = { CKAN_URL: 'https://ckan.example.org' };

/** Runs `loadConfig` expecting a ConfigError and returns it. */
function configError(env: Record<string, string>, of: ConfigSchema = schema): ConfigError {
  try {
    loadConfig(of, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig did not throw');
}

describe('loadConfig', () => {
  it('fills in defaults and infers the type of every field', () => {
    const config = loadConfig(schema, minimalEnv);
    expect(config).toEqual({
      name: 'geo',
      port: 8080,
      ratio: 0.5,
      debug: false,
      mode: 'fast',
      logLevel: 'info',
      ckanUrl: 'https://ckan.example.org',
      dataDir: resolve('data'),
      maxUpload: 10_000_000,
      timeout: 30_000,
      origins: [],
      apiKey: 'dev-key',
      databaseUrl: undefined,
      redisUrl: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expectTypeOf(config.port).toEqualTypeOf<number>();
    expectTypeOf(config.debug).toEqualTypeOf<boolean>();
    expectTypeOf(config.mode).toEqualTypeOf<'fast' | 'exact'>();
    expectTypeOf(config.logLevel).toEqualTypeOf<(typeof LOG_LEVELS)[number]>();
    expectTypeOf(config.origins).toEqualTypeOf<readonly string[]>();
    expectTypeOf(config.ckanUrl).toEqualTypeOf<string>();
    expectTypeOf(config.redisUrl).toEqualTypeOf<string | undefined>();
  });

  // [variable, as written in the environment, the field, the value read]
  const cases: [string, string, keyof typeof schema, unknown][] = [
    ['SERVICE_NAME', 'flux server', 'name', 'flux server'],
    ['PORT', ' 8081 ', 'port', 8081],
    ['PORT', '0', 'port', 0],
    ['RATIO', '0.25', 'ratio', 0.25],
    ['RATIO', '2.5e-1', 'ratio', 0.25],
    ['RATIO', '1', 'ratio', 1],
    ['DEBUG', 'true', 'debug', true],
    ['DEBUG', 'YES', 'debug', true],
    ['DEBUG', '1', 'debug', true],
    ['DEBUG', 'on', 'debug', true],
    ['DEBUG', 'False', 'debug', false],
    ['DEBUG', '0', 'debug', false],
    ['DEBUG', 'off', 'debug', false],
    ['MODE', 'exact', 'mode', 'exact'],
    ['MODE', 'EXACT', 'mode', 'exact'],
    ['LOG_LEVEL', 'DEBUG', 'logLevel', 'debug'],
    ['CKAN_URL', 'http://localhost:5000/ckan', 'ckanUrl', 'http://localhost:5000/ckan'],
    ['DATA_DIR', '/srv/geo/data', 'dataDir', '/srv/geo/data'],
    ['DATA_DIR', 'relative/dir', 'dataDir', resolve('relative/dir')],
    ['MAX_UPLOAD', '512', 'maxUpload', 512],
    ['MAX_UPLOAD', '1.5KB', 'maxUpload', 1500],
    ['MAX_UPLOAD', '10mb', 'maxUpload', 10_000_000],
    ['MAX_UPLOAD', '2 MiB', 'maxUpload', 2 * 1024 * 1024],
    ['MAX_UPLOAD', '1GiB', 'maxUpload', 1024 ** 3],
    ['MAX_UPLOAD', '1GB', 'maxUpload', 1e9],
    ['TIMEOUT', '1500ms', 'timeout', 1500],
    ['TIMEOUT', '30s', 'timeout', 30_000],
    ['TIMEOUT', '5m', 'timeout', 300_000],
    ['TIMEOUT', '2h', 'timeout', 7_200_000],
    ['TIMEOUT', '1d', 'timeout', 86_400_000],
    ['TIMEOUT', '1.5s', 'timeout', 1500],
    [
      'CORS_ORIGINS',
      'https://a.org, https://b.org,,',
      'origins',
      ['https://a.org', 'https://b.org'],
    ],
    ['API_KEY', 's3cret', 'apiKey', 's3cret'],
    ['DATABASE_URL', 'postgresql://u:p@db/geo', 'databaseUrl', 'postgresql://u:p@db/geo'],
    ['REDIS_URL', 'redis://cache:6379', 'redisUrl', 'redis://cache:6379'],
  ];
  it.each(cases)('reads %s=%j', (variable, raw, field, expected) => {
    const config = loadConfig(schema, { ...minimalEnv, [variable]: raw });
    expect(config[field]).toEqual(expected);
  });

  it('treats an empty or blank variable as unset', () => {
    const config = loadConfig(schema, { ...minimalEnv, PORT: '', MODE: '   ' });
    expect(config.port).toBe(8080);
    expect(config.mode).toBe('fast');
  });

  it('lists every bad value in one error, one line each', () => {
    const error = configError({
      CKAN_URL: 'ftp://ckan.example.org',
      PORT: 'http',
      RATIO: '2',
      DEBUG: 'maybe',
      MODE: 'slow',
      MAX_UPLOAD: '2GiB',
      TIMEOUT: '30',
      DATA_DIR: 'a\0b',
    });
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.kind).toBe('invalid-input');
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(
      [
        'Invalid configuration (8 problems):',
        '  PORT="http": expected an integer from 0 to 65535',
        '  RATIO="2": expected a number from 0 to 1',
        '  DEBUG="maybe": expected true or false (also 1/0, yes/no, on/off)',
        '  MODE="slow": expected one of fast, exact',
        '  CKAN_URL="ftp://ckan.example.org": expected an absolute URL starting with http: or https:',
        '  DATA_DIR="a\\u0000b": expected a file system path',
        '  MAX_UPLOAD="2GiB": expected a size like 512, 10MB or 1GiB of at most 1GiB',
        '  TIMEOUT="30": expected a duration like 1500ms, 30s or 5m of at least 1s',
      ].join('\n'),
    );
    expect(error.problems.map((problem) => problem.variable)).toEqual([
      'PORT',
      'RATIO',
      'DEBUG',
      'MODE',
      'CKAN_URL',
      'DATA_DIR',
      'MAX_UPLOAD',
      'TIMEOUT',
    ]);
  });

  it('names a missing required variable with what it is for', () => {
    expect(configError({}).message).toBe(
      'Invalid configuration (1 problem):\n' +
        '  CKAN_URL is not set: expected an absolute URL starting with http: or https: (CKAN base URL)',
    );
  });

  it('refuses integers that are not whole or not safe', () => {
    expect(configError({ ...minimalEnv, PORT: '80.5' }).problems).toHaveLength(1);
    const big = defineConfig({ n: { env: 'N', type: 'integer', description: 'n' } });
    expect(configError({ N: '9007199254740993' }, big).message).toContain(
      'N="9007199254740993": expected an integer',
    );
  });

  it('never prints a secret value', () => {
    const error = configError({
      ...minimalEnv,
      DATABASE_URL: 'mysql://admin:hunter2@db/geo',
    });
    expect(error.message).toBe(
      'Invalid configuration (1 problem):\n' +
        '  DATABASE_URL=(hidden): expected an absolute URL starting with postgresql:',
    );
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
  });

  it('refuses a secret left at its default in production', () => {
    const error = configError({ ...minimalEnv, NODE_ENV: 'production' });
    expect(error.message).toBe(
      'Invalid configuration (1 problem):\n' +
        '  API_KEY is not set: it is a secret, and its default is for development only (NODE_ENV=production)',
    );
    expect(error.message).not.toContain('dev-key');
    const config = loadConfig(schema, { ...minimalEnv, NODE_ENV: 'production', API_KEY: 'k' });
    expect(config.apiKey).toBe('k');
    // Outside production the development default is fine.
    expect(loadConfig(schema, { ...minimalEnv, NODE_ENV: 'test' }).apiKey).toBe('dev-key');
  });

  it('reports mistakes in the schema with the environment problems', () => {
    const broken = defineConfig({
      mode: {
        env: 'MODE',
        type: 'enum',
        values: ['a', 'b'],
        default: 'c',
        description: 'Mode',
      },
      size: { env: 'SIZE', type: 'bytes', min: '2MB', max: '1MB', description: 'Size' },
      wait: { env: 'WAIT', type: 'duration', max: 'soon', description: 'Wait' },
      again: { env: 'MODE', type: 'string', description: 'Same variable' },
      both: { env: 'BOTH', type: 'string', default: 'x', optional: true, description: 'Both' },
      count: { env: 'COUNT', type: 'integer', default: 1.5, description: 'Count' },
    });
    expect(configError({ SIZE: '1MB', WAIT: '1s' }, broken).message).toBe(
      [
        'Invalid configuration (6 problems):',
        '  MODE has an invalid default "c": expected one of a, b',
        '  SIZE: bad schema entry "size": min is greater than max',
        '  WAIT: bad schema entry "wait": min or max is not a duration',
        '  MODE: bad schema entry "again": MODE is read by two fields',
        '  BOTH: bad schema entry "both": a field with a default cannot also be optional',
        '  COUNT has an invalid default "1.5": expected an integer',
      ].join('\n'),
    );
  });

  it('reads process.env when no environment is given', () => {
    const only = defineConfig({ home: { env: 'HOME', type: 'path', description: 'Home' } });
    expect(loadConfig(only).home).toBe(resolve(process.env.HOME ?? ''));
  });
});

describe('describeConfig', () => {
  it('renders a Markdown table for the README', () => {
    const small = defineConfig({
      port: {
        env: 'PORT',
        type: 'integer',
        default: 8080,
        min: 1,
        max: 65535,
        description: 'Port',
      },
      mode: {
        env: 'MODE',
        type: 'enum',
        values: ['fast', 'exact'],
        default: 'fast',
        description: 'Mode | speed',
      },
      ckanUrl: { env: 'CKAN_URL', type: 'url', protocols: ['https:'], description: 'CKAN' },
      maxUpload: { env: 'MAX_UPLOAD', type: 'bytes', default: '10MB', description: 'Upload' },
      timeout: { env: 'TIMEOUT', type: 'duration', default: 30_000, description: 'Timeout' },
      origins: { env: 'ORIGINS', type: 'list', default: ['a', 'b'], description: 'Origins' },
      token: { env: 'TOKEN', type: 'string', secret: true, default: 'dev', description: 'Token.' },
      redisUrl: { env: 'REDIS_URL', type: 'url', optional: true, description: 'Redis' },
      debug: { env: 'DEBUG', type: 'boolean', default: false, description: 'Debug' },
    });
    expect(describeConfig(small)).toBe(
      [
        '| Variable | Type | Default | Description |',
        '| --- | --- | --- | --- |',
        '| `PORT` | integer from 1 to 65535 | `8080` | Port |',
        '| `MODE` | one of `fast`, `exact` | `fast` | Mode \\| speed |',
        '| `CKAN_URL` | URL (https:) | **required** | CKAN |',
        '| `MAX_UPLOAD` | bytes | `10MB` | Upload |',
        '| `TIMEOUT` | duration | `30000` | Timeout |',
        '| `ORIGINS` | comma-separated list | `a,b` | Origins |',
        '| `TOKEN` | string | (hidden) | Token. Secret: never logged. |',
        '| `REDIS_URL` | URL | (unset) | Redis |',
        '| `DEBUG` | boolean | `false` | Debug |',
      ].join('\n'),
    );
  });
});
