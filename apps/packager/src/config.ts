import {
  defineConfig,
  httpConfig,
  LOG_LEVEL_CONFIG,
  SMTP_CONFIG,
  jobQueueConfig,
} from '@geoworks/service-kit';

export const configSchema = defineConfig({
  port: {
    env: 'PACKAGER_PORT',
    type: 'integer',
    default: 8765,
    min: 0,
    max: 65535,
    description: 'HTTP port (ckanpackager: 8765)',
  },
  host: {
    env: 'PACKAGER_HOST',
    type: 'string',
    default: '127.0.0.1',
    description: 'Interface to listen on',
  },
  secret: {
    env: 'PACKAGER_SECRET',
    type: 'string',
    optional: true,
    secret: true,
    description:
      'Shared secret of every request (`SECRET`); unset in development: a random one kept in <dataDir>/secret',
  },
  dataDir: {
    env: 'PACKAGER_DATA_DIR',
    type: 'path',
    default: './data/packager',
    description: 'Zips, statistics, jobs, outbox (default: $GEOWORKS_DATA_DIR/packager when set)',
  },
  storeDir: {
    env: 'PACKAGER_STORE_DIR',
    type: 'path',
    optional: true,
    description: 'Finished zips (`STORE_DIRECTORY`); default <dataDir>/packages',
  },
  publicUrl: {
    env: 'PACKAGER_PUBLIC_URL',
    type: 'url',
    optional: true,
    protocols: ['http:', 'https:'],
    description: 'Base URL of this service in emailed links (default: the listening URL)',
  },
  allowedHosts: {
    env: 'PACKAGER_ALLOWED_HOSTS',
    type: 'list',
    default: [],
    description:
      'Hosts api_url and resource_url may name (`ckan.example.org`, `*.example.org`, `host:port`, `*` = any); required in production. Hosts not named (allowed by `*` or an empty list) must resolve to public addresses',
  },
  allowPrivateHosts: {
    env: 'PACKAGER_ALLOW_PRIVATE_HOSTS',
    type: 'boolean',
    default: false,
    description:
      'Let api_url and resource_url reach loopback, private and link-local addresses without naming their hosts in PACKAGER_ALLOWED_HOSTS (development against a local CKAN)',
  },
  cacheTime: {
    env: 'PACKAGER_CACHE_TIME',
    type: 'duration',
    default: '1d',
    min: '1s',
    description: 'How long a zip answers identical requests (`CACHE_TIME`)',
  },
  retention: {
    env: 'PACKAGER_RETENTION',
    type: 'duration',
    default: '7d',
    min: '1s',
    description: 'How long download links work; expired zips are deleted',
  },
  pageSize: {
    env: 'PACKAGER_PAGE_SIZE',
    type: 'integer',
    default: 5000,
    min: 1,
    max: 1_000_000,
    description: 'Records per CKAN datastore_search call (`PAGE_SIZE`)',
  },
  slowRequest: {
    env: 'PACKAGER_SLOW_REQUEST',
    type: 'integer',
    default: 50_000,
    min: 0,
    description:
      'Requests for more records than this (or for all) go to the slow queue (`SLOW_REQUEST`)',
  },
  fastWorkers: {
    env: 'PACKAGER_FAST_WORKERS',
    type: 'integer',
    default: 2,
    min: 1,
    max: 64,
    description: 'Jobs run at once on the fast queue',
  },
  slowWorkers: {
    env: 'PACKAGER_SLOW_WORKERS',
    type: 'integer',
    default: 1,
    min: 1,
    max: 64,
    description: 'Jobs run at once on the slow queue',
  },
  ckanTimeout: {
    env: 'PACKAGER_CKAN_TIMEOUT',
    type: 'duration',
    default: '60s',
    min: '100ms',
    description: 'Longest wait for one CKAN call',
  },
  urlTimeout: {
    env: 'PACKAGER_URL_TIMEOUT',
    type: 'duration',
    default: '30s',
    min: '100ms',
    description: 'resource_url downloads: longest wait for an answer and longest silence',
  },
  retries: {
    env: 'PACKAGER_RETRIES',
    type: 'integer',
    default: 3,
    min: 0,
    max: 10,
    description: 'Further attempts after a transient CKAN or file-server failure',
  },
  maxUrlSize: {
    env: 'PACKAGER_MAX_URL_SIZE',
    type: 'bytes',
    default: '4GiB',
    description: 'Largest file a resource_url package may hold',
  },
  zipLevel: {
    env: 'PACKAGER_ZIP_LEVEL',
    type: 'integer',
    default: 1,
    min: 0,
    max: 9,
    description: 'Deflate level of the zips (0 = store; 6 = ~15% smaller zips, ~20% slower)',
  },
  jobTimeout: {
    env: 'PACKAGER_JOB_TIMEOUT',
    type: 'duration',
    default: '6h',
    min: '1s',
    description: 'A package taking longer is stopped and logged as an error',
  },
  anonymizeEmails: {
    env: 'PACKAGER_ANONYMIZE_EMAILS',
    type: 'boolean',
    default: false,
    description:
      'Store emails in the statistics as salted hashes, keeping the domain (`ANONYMIZE_EMAILS`)',
  },
  templatesDir: {
    env: 'PACKAGER_TEMPLATES_DIR',
    type: 'path',
    optional: true,
    description:
      'Folder with email templates replacing the defaults: subject.txt, body.txt, body.html, doi-body.txt, doi-body.html (any subset)',
  },
  dwcConfig: {
    env: 'PACKAGER_DWC_CONFIG',
    type: 'path',
    optional: true,
    description:
      'JSON file with Darwin Core settings (idField, core, additional, dynamicTerm, extensionFields, emlTemplate)',
  },
  successMessage: {
    env: 'PACKAGER_SUCCESS_MESSAGE',
    type: 'string',
    optional: true,
    description: 'Message returned when a request is queued (`SUCCESS_MESSAGE`)',
  },
  mailAttempts: {
    env: 'PACKAGER_MAIL_ATTEMPTS',
    type: 'integer',
    default: 20,
    min: 1,
    max: 1000,
    description:
      'Attempts to deliver an email the SMTP server refuses for now (4xx, no connection), the first included; a 5xx refusal ends them',
  },
  mailMaxAge: {
    env: 'PACKAGER_MAIL_MAX_AGE',
    type: 'duration',
    default: '1d',
    min: '1m',
    description:
      'Longest time an email is retried after its first attempt (never past its download link expiry)',
  },
  mailRetryDelay: {
    env: 'PACKAGER_MAIL_RETRY_DELAY',
    type: 'duration',
    default: '1m',
    min: '1s',
    description:
      'Wait before the first retry of an email, doubled for each next one (at most 1h, +-25% jitter)',
  },
  mailFrom: {
    env: 'PACKAGER_MAIL_FROM',
    type: 'string',
    default: 'Data portal <noreply@localhost>',
    description: 'Sender of the emails (`EMAIL_FROM`)',
  },
  ...SMTP_CONFIG,
  ...jobQueueConfig(
    'PACKAGER',
    'Run jobs through Redis (several machines sharing PACKAGER_STORE_DIR)',
  ),
  ...httpConfig('PACKAGER'),
  ...LOG_LEVEL_CONFIG,
});
