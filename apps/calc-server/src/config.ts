import {
  defineConfig,
  httpConfig,
  uploadConfig,
  LOG_LEVEL_CONFIG,
  SMTP_CONFIG,
} from '@geoworks/service-kit';

export const configSchema = defineConfig({
  port: {
    env: 'CALC_SERVER_PORT',
    type: 'integer',
    default: 8800,
    min: 0,
    max: 65535,
    description: 'HTTP port (OpenQuake: 8800)',
  },
  host: {
    env: 'CALC_SERVER_HOST',
    type: 'string',
    default: '127.0.0.1',
    description: 'Interface to listen on',
  },
  dataDir: {
    env: 'CALC_SERVER_DATA_DIR',
    type: 'path',
    default: './data/calc-server',
    description:
      'Jobs database, job folders, accounts (default: $GEOWORKS_DATA_DIR/calc-server when set)',
  },
  mode: {
    env: 'CALC_SERVER_APPLICATION_MODE',
    type: 'enum',
    values: ['PUBLIC', 'READ_ONLY'],
    default: 'PUBLIC',
    description: 'PUBLIC: every route; READ_ONLY: run, validate_zip, abort and remove answer 404',
  },
  lockdown: {
    env: 'CALC_SERVER_LOCKDOWN',
    type: 'boolean',
    default: false,
    description:
      'Require a login for /v1; users see their groups’ jobs; only owners abort or remove',
  },
  defaultUser: {
    env: 'CALC_SERVER_DEFAULT_USER',
    type: 'string',
    default: 'geoworks',
    description: 'Owner of jobs when lockdown is off',
  },
  concurrency: {
    env: 'CALC_SERVER_CONCURRENCY',
    type: 'integer',
    default: 1,
    min: 1,
    max: 64,
    description: 'Calculations at once',
  },
  maxUpload: {
    env: 'CALC_SERVER_MAX_UPLOAD',
    type: 'bytes',
    default: '1GiB',
    description: 'Largest uploaded file',
  },
  publicUrl: {
    env: 'CALC_SERVER_PUBLIC_URL',
    type: 'url',
    optional: true,
    description: 'Base URL in password-reset links (default: the listening URL)',
  },
  mailFrom: {
    env: 'CALC_SERVER_MAIL_FROM',
    type: 'string',
    default: 'calc-server@localhost',
    description: 'Sender of emails',
  },
  ...SMTP_CONFIG,
  redisUrl: {
    env: 'CALC_SERVER_REDIS_URL',
    type: 'url',
    optional: true,
    description: 'Run jobs through Redis instead of the embedded queue',
  },
  ...httpConfig('CALC_SERVER', { requestTimeout: '1h' }),
  ...uploadConfig('CALC_SERVER'),
  ...LOG_LEVEL_CONFIG,
});
