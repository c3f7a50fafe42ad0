import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { intersect } from '@geoworks/geo-intersect';
import type { Label } from '@geoworks/geodata';
import { readResultFile } from '@geoworks/pandarus-format';
import { npyFromRecords } from '@geoworks/npz';
import { convertVector, Datastore, labelText, readTable, writeCsv } from './datastore.js';
import { defineCalculationMode } from './types.js';

/**
 * `intersection`: pandarus's intersections of `first_file` (points, lines or polygons) with
 * the polygons of `second_file`, measured on spherical Mollweide.
 */
export const intersectionMode = defineCalculationMode({
  name: 'intersection',
  description:
    'Intersections of a vector dataset with a polygon dataset, as pandarus computes them',
  parameters: {
    first_file: {
      type: 'file',
      description: 'Points, lines or polygons (GeoJSON, GeoPackage, zipped shapefile, FlatGeobuf)',
    },
    first_field: {
      type: 'string',
      description: 'Field naming the features of the first dataset (unique values)',
    },
    first_layer: {
      type: 'string',
      default: '',
      description: 'Layer of the first dataset (GeoPackage)',
    },
    second_file: { type: 'file', description: 'Polygons' },
    second_field: {
      type: 'string',
      description: 'Field naming the features of the second dataset (unique values)',
    },
    second_layer: { type: 'string', default: '', description: 'Layer of the second dataset' },
    cpus: {
      type: 'integer',
      default: 1,
      minimum: 0,
      resource: 'workers',
      description:
        "Worker processes for the intersection (0: in the job process); at most the server's limit per job",
    },
  },
  outputs: [
    {
      key: 'intersections',
      name: 'Intersections',
      exportTypes: ['json', 'csv', 'geojson', 'gpkg'],
    },
  ],
  module: import.meta.url,
  exportName: 'intersectionMode',
  async run(context) {
    const { params, log } = context;
    const layer = (value: unknown) => (value === '' ? {} : { layer: String(value) });
    const work = join(context.jobDir, 'work');
    await mkdir(work, { recursive: true });
    log.info(`intersecting ${String(params.first_file)} with ${String(params.second_file)}`);
    const result = await intersect(
      {
        path: String(params.first_file),
        field: String(params.first_field),
        ...layer(params.first_layer),
      },
      {
        path: String(params.second_file),
        field: String(params.second_field),
        ...layer(params.second_layer),
      },
      {
        outDir: work,
        cpus: Number(params.cpus),
        format: 'GeoJSON',
        signal: context.signal,
        onProgress: (fraction) => context.progress(Math.round(fraction * 90)),
      },
    );
    log.info(`${result.count} intersection(s)`);
    const exports = context.exportDir;
    const json = join(exports, 'intersections.json');
    const geojson = join(exports, 'intersections.geojson');
    const gpkg = join(exports, 'intersections.gpkg');
    const csv = join(exports, 'intersections.csv');
    await copyFile(result.dataPath, json);
    await copyFile(result.vectorPath, geojson);
    convertVector(result.vectorPath, gpkg, 'GPKG', 'intersections');
    const data = await readResultFile<{ data: [Label, Label, number][] }>(result.dataPath);
    await writeCsv(
      csv,
      ['id', 'from_label', 'to_label', 'measure'],
      data.data.map((row, id) => [id, ...row]),
    );
    const store = new Datastore(context.datastorePath);
    try {
      store.copyLayer(result.vectorPath, 'intersections');
    } finally {
      store.close();
    }
    await rm(work, { recursive: true, force: true });
    const files = (path: string) => [relative(context.jobDir, path)];
    return [
      {
        key: 'intersections',
        name: 'Intersections',
        files: { json: files(json), csv: files(csv), geojson: files(geojson), gpkg: files(gpkg) },
      },
    ];
  },
  async extract(what, _query, context) {
    if (what !== 'intersections') return null;
    const rows = readTable(context.datastorePath, 'intersections', [
      'id',
      'from_label',
      'to_label',
      'measure',
    ]);
    return {
      array: npyFromRecords(
        rows.map(([id, from, to, measure]) => ({
          id: Number(id),
          from_label: labelText(from as Label),
          to_label: labelText(to as Label),
          measure: Number(measure),
        })),
        [
          { name: 'id', dtype: '<i8' },
          { name: 'from_label', dtype: `<U${width(rows, 1)}` },
          { name: 'to_label', dtype: `<U${width(rows, 2)}` },
          { name: 'measure', dtype: '<f8' },
        ],
      ),
    };
  },
});

/** The widest text in a column, for a fixed-width unicode dtype (at least 1). */
export function width(rows: unknown[][], column: number): number {
  return Math.max(1, ...rows.map((row) => labelText(row[column] as Label).length));
}
