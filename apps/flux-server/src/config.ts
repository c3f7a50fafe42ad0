import { defineConfig, httpConfig, LOG_LEVEL_CONFIG } from '@geoworks/service-kit';

export const configSchema = defineConfig({
  port: {
    env: 'FLUX_SERVER_PORT',
    type: 'integer',
    default: 8080,
    min: 0,
    max: 65535,
    description: 'HTTP port (flux-server: 8080)',
  },
  host: {
    env: 'FLUX_SERVER_HOST',
    type: 'string',
    default: '127.0.0.1',
    description: 'Interface to listen on',
  },
  database: {
    env: 'FLUX_DB',
    type: 'path',
    default: './data/flux/flux.sqlite',
    description:
      'The flux database, shared with flux-manage (default: $GEOWORKS_DATA_DIR/flux/flux.sqlite when set)',
  },
  maxAggregateValues: {
    env: 'FLUX_MAX_AGGREGATE_VALUES',
    type: 'integer',
    default: 2_000_000_000,
    min: 1,
    description: 'Largest aggregation (cells x time steps read) before answering 413',
  },
  corsOrigins: {
    env: 'FLUX_SERVER_CORS_ORIGINS',
    type: 'list',
    default: ['*'],
    description: 'Origins whose pages may call the API (the Carbon Data Explorer client)',
  },
  ...httpConfig('FLUX_SERVER'),
  ...LOG_LEVEL_CONFIG,
});
