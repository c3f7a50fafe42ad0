import {
  defineConfig,
  httpConfig,
  uploadConfig,
  LOG_LEVEL_CONFIG,
  jobQueueConfig,
} from '@geoworks/service-kit';

export const configSchema = defineConfig({
  port: {
    env: 'PANDARUS_REMOTE_PORT',
    type: 'integer',
    default: 5000,
    min: 0,
    max: 65535,
    description: 'HTTP port',
  },
  host: {
    env: 'PANDARUS_REMOTE_HOST',
    type: 'string',
    default: '127.0.0.1',
    description: 'Interface to listen on (0.0.0.0 for every interface, as the original)',
  },
  dataDir: {
    env: 'PANDARUS_REMOTE_DATA_DIR',
    type: 'path',
    default: './data/pandarus-remote',
    description:
      'Catalog, job queue, uploads and results (default: $GEOWORKS_DATA_DIR/pandarus-remote when set)',
  },
  cpus: {
    env: 'PANDARUS_CPUS',
    type: 'integer',
    optional: true,
    min: 0,
    max: 256,
    description:
      'Worker processes per intersection; 0 computes in the job process (default: the number of CPUs)',
  },
  exportFormat: {
    env: 'PANDARUS_EXPORT_FORMAT',
    type: 'enum',
    values: ['GeoJSON', 'GPKG'],
    default: 'GeoJSON',
    description: 'Format of the intersected-geometries file',
  },
  rasterRule: {
    env: 'PANDARUS_RASTER_RULE',
    type: 'enum',
    values: ['coverage', 'centre', 'all-touched'],
    default: 'coverage',
    description:
      'Pixels under a polygon: coverage-weighted (what pandarus_remote 1.1 returned), pixel centres, or all touched',
  },
  compress: {
    env: 'PANDARUS_COMPRESS',
    type: 'boolean',
    default: true,
    description: 'Write results as bzip2-compressed JSON (.json.bz2), as pandarus_remote does',
  },
  maxUpload: {
    env: 'PANDARUS_MAX_UPLOAD',
    type: 'bytes',
    default: '250MiB',
    description: 'Largest upload (413 past it)',
  },
  concurrency: {
    env: 'PANDARUS_CONCURRENCY',
    type: 'integer',
    default: 1,
    min: 1,
    max: 64,
    description: 'Calculations run at once',
  },
  ...jobQueueConfig(
    'PANDARUS',
    'Run jobs through Redis (workers on other machines) instead of the embedded SQLite queue',
  ),
  ...httpConfig('PANDARUS_REMOTE', { requestTimeout: '1h' }),
  ...uploadConfig('PANDARUS_REMOTE'),
  ...LOG_LEVEL_CONFIG,
});
