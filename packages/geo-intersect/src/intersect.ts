import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AbortedError, InvalidInputError } from '@geoworks/errors';
import {
  openVector,
  transformToWgs84,
  type FieldKind,
  type Label,
  type VectorDataset,
} from '@geoworks/geodata';
import {
  datasetMetadata,
  sha256File,
  timestamp,
  writeResultFile,
  type DatasetMetadata,
} from '@geoworks/pandarus-format';
import { SecondNotPolygonsError, UnsupportedGeometryError } from './errors.js';
import { startRunner } from './pool.js';
import { intersectionRows, prepareSecond } from './rows.js';
import {
  createVectorWriter,
  VECTOR_EXTENSIONS,
  type IntersectionVectorWriter,
  type VectorFormat,
} from './vector-output.js';

/** A vector dataset and the field whose values name its features. */
export interface DatasetInput {
  path: string;
  field: string;
  /** Layer name or index, for multi-layer files (GeoPackage). */
  layer?: string | number;
}

export interface IntersectOptions {
  /** Folder for the two output files (made when missing). */
  outDir: string;
  /** Worker processes; 0 computes in this process. Default: the number of CPUs. */
  cpus?: number;
  /** Vector output format (pandarus's PANDARUS_EXPORT_FORMAT). Default GeoJSON. */
  format?: VectorFormat;
  /** bzip2 the JSON data file (`.json.bz2`). Default false. */
  compress?: boolean;
  signal?: AbortSignal;
  /** Called with the fraction of first-dataset features done, 0 to 1. */
  onProgress?: (fraction: number) => void;
}

export interface IntersectResult {
  /** Intersected geometries with `id, from_label, to_label, measure`. */
  vectorPath: string;
  /** `{data: [[from_label, to_label, measure], ...], metadata}`. */
  dataPath: string;
  /** Number of intersections. */
  count: number;
  metadata: { first: DatasetMetadata; second: DatasetMetadata; when: string };
}

/**
 * Intersects every feature of `first` (points, lines or polygons) with the polygons of
 * `second`, as pandarus does: planar in WGS84 longitude/latitude, keeping only parts of the
 * first dataset's kind, measured as area or length on the spherical Mollweide projection or
 * as a point count. Rows come out sorted by first, then second feature index. Both output
 * files are named `<sha256(first)>.<sha256(second)>.*` and appear only once complete. The
 * file wrapper of the pipeline `intersectFeatures()` streams from memory: the rows it yields
 * are the vector file's features, `[from_label, to_label, measure]` of each the data file's.
 */
export async function intersect(
  first: DatasetInput,
  second: DatasetInput,
  options: IntersectOptions,
): Promise<IntersectResult> {
  const cpus = options.cpus ?? availableParallelism();
  if (!(Number.isInteger(cpus) && cpus >= 0))
    throw new InvalidInputError('cpus must be an integer >= 0');
  const format = options.format ?? 'GeoJSON';
  if (!(format in VECTOR_EXTENSIONS))
    throw new InvalidInputError(`Unknown vector format ${String(format)}; use GeoJSON or GPKG`);
  options.signal?.throwIfAborted();

  // Worker processes start up while this process reads the inputs.
  const runner = startRunner(cpus);
  let firstDataset: VectorDataset | null = null;
  let writer: IntersectionVectorWriter | null = null;
  try {
    firstDataset = openVector(first.path, { layer: first.layer });
    const family = firstDataset.family;
    if (family === null && firstDataset.featureCount > 0)
      throw new UnsupportedGeometryError(first.path);
    firstDataset.requireField(first.field);
    const fromKind = firstDataset.fieldKind(first.field);

    const prepared = readSecond(second);

    const [firstHash, secondHash] = await Promise.all([
      sha256File(first.path),
      sha256File(second.path),
    ]);
    const metadata = {
      first: datasetMetadata(first, firstHash),
      second: datasetMetadata(second, secondHash),
      when: timestamp(),
    };
    await mkdir(options.outDir, { recursive: true });
    const stem = join(options.outDir, `${firstHash}.${secondHash}`);
    const effectiveFamily = family ?? 'polygon';
    const ready = await runner.ready({
      second: prepared.wkbs,
      firstSrsWkt:
        firstDataset.srs === null || firstDataset.srs.isGeographic()
          ? ''
          : firstDataset.srs.toWKT(),
      family: effectiveFamily,
      geometry: format === 'GeoJSON' ? 'geojson' : 'wkb',
    });
    writer = createVectorWriter(`${stem}.${VECTOR_EXTENSIONS[format]}`, format, effectiveFamily, {
      from: fromKind,
      to: prepared.fieldKind,
    });
    const intersections = intersectionRows(
      firstDataset.featuresWkb(first.field),
      prepared.labels,
      ready,
      {
        labels: first,
        maxInFlight: Math.max(2, 2 * Math.max(1, cpus)),
        signal: options.signal,
        onProgress: options.onProgress,
        total: firstDataset.featureCount,
      },
    );
    const activeWriter = writer;
    let count = 0;
    // Each row goes to the vector file as it passes on to the data file.
    async function* dataRows(): AsyncGenerator<[Label, Label, number]> {
      for await (const row of intersections) {
        activeWriter.add(count++, row.fromLabel, row.toLabel, row.measure, row.geometry);
        yield [row.fromLabel, row.toLabel, row.measure];
      }
    }

    const dataPath = await writeResultFile(`${stem}.json`, dataRows(), metadata, {
      compress: options.compress ?? false,
    });
    let vectorPath: string;
    try {
      vectorPath = await writer.finish();
    } catch (error) {
      await rm(dataPath, { force: true }); // both files or neither
      throw error;
    }
    writer = null;
    return { vectorPath, dataPath, count, metadata };
  } catch (error) {
    await writer?.discard();
    if (options.signal?.aborted && !(error instanceof AbortedError))
      throw new AbortedError('Intersection aborted');
    throw error;
  } finally {
    runner.close();
    firstDataset?.close();
  }
}

/** The second dataset's polygons, labels and field kind, read once for every worker. */
function readSecond(input: DatasetInput): {
  labels: Label[];
  fieldKind: FieldKind;
  wkbs: Buffer[];
} {
  const dataset = openVector(input.path, { layer: input.layer });
  try {
    if (dataset.family !== 'polygon' && dataset.featureCount > 0)
      throw new SecondNotPolygonsError(input.path);
    const prepared = prepareSecond(
      dataset.featuresWkb(input.field),
      input,
      transformToWgs84(dataset.srs),
    );
    return { ...prepared, fieldKind: dataset.fieldKind(input.field) };
  } finally {
    dataset.close();
  }
}
