import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AbortedError, InvalidInputError } from '@geoworks/errors';
import {
  DuplicateLabelError,
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
import type { EngineSetup, PairResult } from './engine.js';
import { SecondNotPolygonsError, UnsupportedGeometryError } from './errors.js';
import { cleanGeometry } from './geometry.js';
import {
  InProcessRunner,
  spawnIntersectionPool,
  toBuffer,
  type BatchRunner,
  type FeatureBatch,
} from './pool.js';
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

const BATCH_FEATURES = 64;
const BATCH_BYTES = 512 * 1024;

/**
 * Intersects every feature of `first` (points, lines or polygons) with the polygons of
 * `second`, as pandarus does: planar in WGS84 longitude/latitude, keeping only parts of the
 * first dataset's kind, measured as area or length on the spherical Mollweide projection or
 * as a point count. Rows come out sorted by first, then second feature index. Both output
 * files are named `<sha256(first)>.<sha256(second)>.*` and appear only once complete.
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
  const pool = cpus === 0 ? null : spawnIntersectionPool(cpus);
  let runner: BatchRunner | null = pool;
  let firstDataset: VectorDataset | null = null;
  let writer: IntersectionVectorWriter | null = null;
  try {
    firstDataset = openVector(first.path, { layer: first.layer });
    const family = firstDataset.family;
    if (family === null && firstDataset.featureCount > 0)
      throw new UnsupportedGeometryError(first.path);
    firstDataset.requireField(first.field);
    const fromKind = firstDataset.fieldKind(first.field);

    const prepared = prepareSecond(second);
    const secondLabels = prepared.labels;
    const toKind = prepared.fieldKind;

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
    const setup: EngineSetup = {
      second: prepared.wkbs,
      firstSrsWkt:
        firstDataset.srs === null || firstDataset.srs.isGeographic()
          ? ''
          : firstDataset.srs.toWKT(),
      family: effectiveFamily,
      geometry: format === 'GeoJSON' ? 'geojson' : 'wkb',
    };
    if (pool === null) runner = new InProcessRunner(setup);
    else await pool.setup(setup);
    writer = createVectorWriter(`${stem}.${VECTOR_EXTENSIONS[format]}`, format, effectiveFamily, {
      from: fromKind,
      to: toKind,
    });

    const activeRunner = runner!;
    const source = firstDataset;
    const activeWriter = writer;
    const firstLabels: Label[] = [];
    const seen = new Map<Label, number>();
    let count = 0;
    const total = firstDataset.featureCount;
    const maxInFlight = Math.max(2, 2 * Math.max(1, cpus));

    // Batches go out in order and results are taken back in the same order, so the rows are
    // sorted by first index without holding them all; at most `maxInFlight` batches wait.
    async function* rows(): AsyncGenerator<[Label, Label, number]> {
      const inFlight: { last: number; results: Promise<PairResult[]> }[] = [];
      let batch: FeatureBatch = { features: [] };
      let batchBytes = 0;
      const emit = function* (results: PairResult[]) {
        for (const result of results) {
          const fromLabel = firstLabels[result.first]!;
          const toLabel = secondLabels[result.second]!;
          const geometry =
            typeof result.geometry === 'string' ? result.geometry : toBuffer(result.geometry);
          activeWriter.add(count++, fromLabel, toLabel, result.measure, geometry);
          yield [fromLabel, toLabel, result.measure] as [Label, Label, number];
        }
      };
      const drain = async function* (limit: number) {
        while (inFlight.length > limit) {
          const next = inFlight.shift()!;
          yield* emit(await next.results);
          options.onProgress?.(total === 0 ? 1 : (next.last + 1) / total);
        }
      };
      for (const feature of source.featuresWkb(first.field)) {
        if (options.signal?.aborted) throw new AbortedError('Intersection aborted');
        const previous = seen.get(feature.label);
        if (previous !== undefined) {
          throw new DuplicateLabelError(
            first.path,
            first.field,
            feature.label,
            previous,
            feature.index,
          );
        }
        seen.set(feature.label, feature.index);
        firstLabels.push(feature.label);
        const wkb = feature.wkb;
        if (wkb === null) continue;
        batch.features.push({ index: feature.index, wkb });
        batchBytes += wkb.length;
        if (batch.features.length >= BATCH_FEATURES || batchBytes >= BATCH_BYTES) {
          inFlight.push({ last: feature.index, results: activeRunner.run(batch) });
          batch = { features: [] };
          batchBytes = 0;
          yield* drain(maxInFlight);
        }
      }
      if (batch.features.length > 0) {
        inFlight.push({ last: total - 1, results: activeRunner.run(batch) });
      }
      yield* drain(0);
      options.onProgress?.(1);
    }

    const dataPath = await writeResultFile(`${stem}.json`, rows(), metadata, {
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
    runner?.close();
    firstDataset?.close();
  }
}

/**
 * Reads the second dataset once, for every worker: its labels (checked unique) and its
 * polygons in WGS84, repaired, as WKB.
 */
function prepareSecond(input: DatasetInput): {
  labels: Label[];
  fieldKind: FieldKind;
  wkbs: Buffer[];
} {
  const dataset = openVector(input.path, { layer: input.layer });
  try {
    if (dataset.family !== 'polygon' && dataset.featureCount > 0)
      throw new SecondNotPolygonsError(input.path);
    const labels = dataset.labels(input.field);
    const toWgs84 = transformToWgs84(dataset.srs);
    const wkbs: Buffer[] = [];
    for (const { geometry } of dataset.features()) {
      if (geometry === null || geometry.isEmpty()) {
        wkbs.push(Buffer.alloc(0));
        continue;
      }
      if (toWgs84 !== null) geometry.transform(toWgs84);
      const clean = cleanGeometry(geometry);
      wkbs.push(clean.isEmpty() ? Buffer.alloc(0) : clean.toWKB());
    }
    return { labels, fieldKind: dataset.fieldKind(input.field), wkbs };
  } finally {
    dataset.close();
  }
}
