import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defineConfig,
  describeConfig,
  geoworksDataDir,
  loadConfig,
  withServiceDataDir,
} from '../src/index.js';

describe('geoworksDataDir', () => {
  it('is GEOWORKS_DATA_DIR made absolute, else ./data, with the segments joined', () => {
    expect(geoworksDataDir({ GEOWORKS_DATA_DIR: '/srv/geo' })).toBe('/srv/geo');
    expect(geoworksDataDir({ GEOWORKS_DATA_DIR: 'rel' }, 'flux', 'flux.sqlite')).toBe(
      resolve('rel', 'flux', 'flux.sqlite'),
    );
    expect(geoworksDataDir({})).toBe(resolve('data'));
    expect(geoworksDataDir({ GEOWORKS_DATA_DIR: '  ' }, 'x')).toBe(resolve('data', 'x'));
  });
});

describe('withServiceDataDir', () => {
  it('puts a service under GEOWORKS_DATA_DIR unless its own variable is set', () => {
    expect(
      withServiceDataDir({ GEOWORKS_DATA_DIR: '/data' }, 'FLUX_DATA_DIR', 'flux').FLUX_DATA_DIR,
    ).toBe('/data/flux');
    expect(
      withServiceDataDir(
        { GEOWORKS_DATA_DIR: '/data', FLUX_DATA_DIR: '/own' },
        'FLUX_DATA_DIR',
        'flux',
      ).FLUX_DATA_DIR,
    ).toBe('/own');
    const env = {};
    expect(withServiceDataDir(env, 'FLUX_DATA_DIR', 'flux').FLUX_DATA_DIR).toBeUndefined();
    expect(env).toEqual({});
  });

  it('takes a blank variable for an unset one, as loadConfig does', () => {
    expect(
      withServiceDataDir(
        { GEOWORKS_DATA_DIR: '/data', FLUX_DB: ' ' },
        'FLUX_DB',
        'flux/flux.sqlite',
      ).FLUX_DB,
    ).toBe('/data/flux/flux.sqlite');
  });
});

describe('a path default under $GEOWORKS_DATA_DIR', () => {
  const schema = defineConfig({
    db: {
      env: 'FLUX_DB',
      type: 'path',
      default: '$GEOWORKS_DATA_DIR/flux/flux.sqlite',
      description: 'The flux database',
    },
  });

  it('is the same file the data directory gives, and the variable still wins', () => {
    expect(loadConfig(schema, { GEOWORKS_DATA_DIR: '/srv/geo' }).db).toBe(
      '/srv/geo/flux/flux.sqlite',
    );
    expect(loadConfig(schema, {}).db).toBe(geoworksDataDir({}, 'flux', 'flux.sqlite'));
    expect(loadConfig(schema, { GEOWORKS_DATA_DIR: '/srv/geo', FLUX_DB: '/own.sqlite' }).db).toBe(
      '/own.sqlite',
    );
  });

  it('is documented as written', () => {
    expect(describeConfig(schema)).toContain(
      '| `FLUX_DB` | path | `$GEOWORKS_DATA_DIR/flux/flux.sqlite` | The flux database |',
    );
  });

  it('is refused in a field that is not a path', () => {
    const wrong = defineConfig({
      name: { env: 'NAME', type: 'string', default: '$GEOWORKS_DATA_DIR/x', description: 'Name' },
    });
    expect(() => loadConfig(wrong, {})).toThrow(
      new ConfigError([
        {
          variable: 'NAME',
          message:
            'NAME: bad schema entry "name": only a path default may start with $GEOWORKS_DATA_DIR',
        },
      ]),
    );
  });
});
