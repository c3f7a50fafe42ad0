import { describe, expect, it } from 'vitest';
import { ConfigError, defineConfig, resolveConfig } from '../src/index.js';

const schema = defineConfig({
  url: {
    env: 'ENGINE_URL',
    flag: 'url',
    type: 'url',
    default: 'http://localhost:8800',
    description: 'The server',
  },
  user: {
    env: 'ENGINE_USER',
    flag: 'user',
    type: 'string',
    optional: true,
    fileKeys: ['user', 'username'],
    description: 'Login name',
  },
  password: {
    env: 'ENGINE_PASSWORD',
    flag: 'password',
    type: 'string',
    optional: true,
    secret: true,
    description: 'Password',
  },
  retries: { env: 'ENGINE_RETRIES', type: 'integer', default: 3, min: 0, description: 'Retries' },
});

const file = (values: Record<string, unknown>) => ({ path: '/home/ann/engine.json', values });

/** The ConfigError `resolve` throws. */
function problemsOf(resolve: () => unknown): string[] {
  try {
    resolve();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => problem.message);
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('resolveConfig', () => {
  it('takes each field from the flag, else the environment, else the file, else the default', () => {
    const everywhere = {
      flags: { url: 'http://flag:1', user: 'flag' },
      env: { ENGINE_URL: 'http://env:1', ENGINE_USER: 'env', ENGINE_PASSWORD: 'env-pw' },
      file: file({ url: 'http://file:1', user: 'file', password: 'file-pw', retries: 5 }),
    };
    expect(resolveConfig(schema, everywhere)).toEqual({
      url: 'http://flag:1',
      user: 'flag',
      password: 'env-pw',
      retries: 5,
    });
    expect(resolveConfig(schema, { env: {} })).toEqual({
      url: 'http://localhost:8800',
      user: undefined,
      password: undefined,
      retries: 3,
    });
  });

  it('reads the first file key present, and takes blank or null values as unset', () => {
    expect(
      resolveConfig(schema, {
        flags: { url: '' },
        env: { ENGINE_USER: ' ' },
        file: file({ url: null, username: 'ann' }),
      }),
    ).toMatchObject({ url: 'http://localhost:8800', user: 'ann' });
  });

  it('names where each bad value came from, hiding secrets', () => {
    expect(
      problemsOf(() =>
        resolveConfig(schema, {
          flags: { url: 'not a url' },
          env: { ENGINE_PASSWORD: '' },
          file: file({ retries: 'many', password: 42 }),
        }),
      ),
    ).toEqual([
      '--url="not a url": expected an absolute URL',
      '/home/ann/engine.json: password=(hidden): expected a string',
      '/home/ann/engine.json: retries="many": expected an integer of at least 0',
    ]);
  });

  it('names the option and the variable of a required setting', () => {
    const required = defineConfig({
      db: { env: 'DB', flag: 'db', type: 'path', description: 'The database' },
    });
    expect(problemsOf(() => resolveConfig(required, { flags: {}, env: {} }))).toEqual([
      '--db or DB is not set: expected a file system path (The database)',
    ]);
  });

  it('refuses two fields with one flag', () => {
    const twice = defineConfig({
      a: { env: 'A', flag: 'x', type: 'string', optional: true, description: 'A' },
      b: { env: 'B', flag: 'x', type: 'string', optional: true, description: 'B' },
    });
    expect(problemsOf(() => resolveConfig(twice, { env: {} }))).toEqual([
      'B: bad schema entry "b": --x is read by two fields',
    ]);
  });
});
