import { defineConfig, LOG_LEVEL_CONFIG, SMTP_CONFIG } from '@geoworks/service-kit';

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
  loginMaxFailures: {
    env: 'CALC_SERVER_LOGIN_MAX_FAILURES',
    type: 'integer',
    default: 5,
    min: 1,
    max: 1000,
    description: 'Failed logins of one user within the window, before its logins are refused (429)',
  },
  loginMaxFailuresPerAddress: {
    env: 'CALC_SERVER_LOGIN_MAX_FAILURES_PER_ADDRESS',
    type: 'integer',
    default: 20,
    min: 1,
    max: 100_000,
    description: 'Failed logins from one client address within the window, before it is refused',
  },
  loginWindow: {
    env: 'CALC_SERVER_LOGIN_WINDOW',
    type: 'duration',
    default: '15m',
    min: 1000,
    description: 'How long failed logins count, from the first one',
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
  maxWorkersPerJob: {
    env: 'CALC_SERVER_MAX_WORKERS_PER_JOB',
    type: 'integer',
    default: 4,
    min: 0,
    max: 1024,
    description: "Worker processes one calculation may start (its job.ini's cpus)",
  },
  maxWorkers: {
    env: 'CALC_SERVER_MAX_WORKERS',
    type: 'integer',
    default: 8,
    min: 0,
    max: 4096,
    description:
      'Worker processes of all calculations together: each gets at most this / CALC_SERVER_CONCURRENCY',
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
  lostJobCheck: {
    env: 'CALC_SERVER_LOST_JOB_CHECK',
    type: 'duration',
    default: '15s',
    min: '100ms',
    max: '1h',
    description:
      'How often running jobs are checked against the queue: a job Redis lost (restarted without its data) fails at the next check',
  },
  ...LOG_LEVEL_CONFIG,
});
