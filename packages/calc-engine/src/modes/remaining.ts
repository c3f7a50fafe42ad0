import { rename } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { calculateRemaining } from '@geoworks/geo-intersect';
import type { Label } from '@geoworks/geodata';
import { readResultFile } from '@geoworks/pandarus-format';
import { npyFromRecords } from '@geoworks/npz';
import { Datastore, labelText, readTable, writeCsv } from './datastore.js';
import { width } from './intersection.js';
import { defineCalculationMode } from './types.js';

/**
 * `remaining_areas`: for each feature of the parent intersection's first dataset, the part of
 * its measure its intersections do not cover (pandarus's calculate_remaining). The parent is
 * an `intersection` job, given as `hazard_job_id`.
 */
export const remainingMode = defineCalculationMode({
  name: 'remaining_areas',
  description: "Areas of the parent intersection's first dataset not covered by its intersections",
  parameters: {},
  parentModes: ['intersection'],
  outputs: [{ key: 'remaining', name: 'Remaining areas', exportTypes: ['json', 'csv'] }],
  module: import.meta.url,
  exportName: 'remainingMode',
  async run(context) {
    const parent = context.parent!;
    const intersections = parent.outputs.find((output) => output.key === 'intersections')?.files
      .geojson?.[0];
    if (intersections === undefined)
      throw new Error(`Job ${parent.id} has no intersections output`);
    const params = parent.params;
    context.log.info(`remaining areas of ${String(params.first_file)} after job ${parent.id}`);
    const { path } = await calculateRemaining(
      {
        path: String(params.first_file),
        field: String(params.first_field),
        ...(params.first_layer === '' || params.first_layer === undefined
          ? {}
          : { layer: String(params.first_layer) }),
      },
      join(parent.dir, intersections),
      { outDir: context.exportDir, signal: context.signal },
    );
    const json = join(context.exportDir, 'remaining.json');
    await rename(path, json);
    const data = await readResultFile<{ data: [Label, number][] }>(json);
    const csv = join(context.exportDir, 'remaining.csv');
    await writeCsv(csv, ['label', 'remaining'], data.data);
    const store = new Datastore(context.datastorePath);
    try {
      store.addTable(
        'remaining',
        [
          { name: 'label', type: 'text' },
          { name: 'remaining', type: 'real' },
        ],
        data.data.map(([label, value]) => [labelText(label), value]),
      );
    } finally {
      store.close();
    }
    return [
      {
        key: 'remaining',
        name: 'Remaining areas',
        files: { json: [relative(context.jobDir, json)], csv: [relative(context.jobDir, csv)] },
      },
    ];
  },
  async extract(what, _query, context) {
    if (what !== 'remaining') return null;
    const rows = readTable(context.datastorePath, 'remaining', ['label', 'remaining']);
    return {
      array: npyFromRecords(
        rows.map(([label, value]) => ({
          label: labelText(label as Label),
          remaining: Number(value),
        })),
        [
          { name: 'label', dtype: `<U${width(rows, 0)}` },
          { name: 'remaining', dtype: '<f8' },
        ],
      ),
    };
  },
});
