import { join, relative } from 'node:path';
import type { Label } from '@geoworks/geodata';
import { readResultFile } from '@geoworks/pandarus-format';
import { npyFromRecords } from '@geoworks/npz';
import { ALL_STATS, rasterStatistics, type StatName, type Stats } from '@geoworks/raster-stats';
import { JobConfigError } from '../errors.js';
import { Datastore, labelText, readTable, writeCsv } from './datastore.js';
import { width } from './intersection.js';
import { defineCalculationMode } from './types.js';

function statNames(value: unknown): StatName[] {
  const names = String(value)
    .split(/[\s,]+/)
    .filter((name) => name !== '');
  for (const name of names) {
    if (!(ALL_STATS as readonly string[]).includes(name)) {
      throw new JobConfigError(
        `stats: unknown statistic "${name}"; known: ${ALL_STATS.join(', ')}`,
      );
    }
  }
  if (names.length === 0) throw new JobConfigError('stats: name at least one statistic');
  return names as StatName[];
}

/** `raster_stats`: zonal statistics of a raster band under each feature of a vector dataset. */
export const rasterStatsMode = defineCalculationMode({
  name: 'raster_stats',
  description:
    'Zonal statistics of a raster band under each polygon (or point) of a vector dataset',
  parameters: {
    vector_file: { type: 'file', description: 'Polygons or points' },
    vector_field: { type: 'string', description: 'Field naming the features (unique values)' },
    vector_layer: { type: 'string', default: '', description: 'Layer of the vector dataset' },
    raster_file: { type: 'file', description: 'The raster (any format GDAL reads)' },
    band: { type: 'integer', default: 1, minimum: 1, description: 'Raster band, from 1' },
    rule: {
      type: 'choice',
      choices: ['centre', 'all-touched', 'coverage'],
      default: 'centre',
      description:
        'Pixels under a polygon: centres inside (GDAL), all touched, or coverage-weighted',
    },
    stats: {
      type: 'string',
      default: 'min max mean count',
      description: `Statistics, among: ${ALL_STATS.join(' ')}`,
      check: statNames,
    },
  },
  outputs: [{ key: 'zonal_stats', name: 'Zonal statistics', exportTypes: ['json', 'csv'] }],
  module: import.meta.url,
  exportName: 'rasterStatsMode',
  async run(context) {
    const { params } = context;
    const stats = statNames(params.stats);
    context.log.info(
      `zonal statistics (${String(params.rule)}) of ${String(params.raster_file)} band ${String(params.band)}`,
    );
    const json = join(context.exportDir, 'zonal_stats.json');
    await rasterStatistics(
      {
        path: String(params.vector_file),
        field: String(params.vector_field),
        ...(params.vector_layer === '' ? {} : { layer: String(params.vector_layer) }),
      },
      { path: String(params.raster_file), band: Number(params.band) },
      {
        outputPath: json,
        stats,
        rule: params.rule as 'centre',
        signal: context.signal,
        onProgress: (fraction) => context.progress(Math.round(fraction * 95)),
      },
    );
    const data = await readResultFile<{ data: [Label, Stats][] }>(json);
    const rows = data.data.map(([label, values]) => [
      labelText(label),
      ...stats.map((name) => values[name] ?? null),
    ]);
    const csv = join(context.exportDir, 'zonal_stats.csv');
    await writeCsv(csv, ['label', ...stats], rows);
    const store = new Datastore(context.datastorePath);
    try {
      store.addTable(
        'zonal_stats',
        [
          { name: 'label', type: 'text' as const },
          ...stats.map((name) => ({ name, type: 'real' as const })),
        ],
        rows,
      );
    } finally {
      store.close();
    }
    return [
      {
        key: 'zonal_stats',
        name: 'Zonal statistics',
        files: { json: [relative(context.jobDir, json)], csv: [relative(context.jobDir, csv)] },
      },
    ];
  },
  async extract(what, _query, context) {
    if (what !== 'zonal_stats') return null;
    const stats = statNames(context.params.stats);
    const rows = readTable(context.datastorePath, 'zonal_stats', ['label', ...stats]);
    return {
      array: npyFromRecords(
        rows.map(([label, ...values]) => ({
          label: labelText(label as Label),
          ...Object.fromEntries(
            stats.map((name, i) => [name, values[i] === null ? Number.NaN : Number(values[i])]),
          ),
        })),
        [
          { name: 'label', dtype: `<U${width(rows, 0)}` },
          ...stats.map((name) => ({ name, dtype: '<f8' })),
        ],
      ),
    };
  },
});
