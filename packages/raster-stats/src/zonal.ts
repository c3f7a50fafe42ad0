import { basename, join } from 'node:path';
import gdal from 'gdal-async';
import { InvalidInputError } from '@geoworks/errors';
import { GeometryTypeError, openVector, readWkb, wgs84Srs, type Label } from '@geoworks/geodata';
import { datasetMetadata, sha256File, timestamp, writeResultFile } from '@geoworks/pandarus-format';
import { flatBbox } from '@geoworks/planar';
import { ProcessPool, siblingModule } from '@geoworks/workers';
import { ZonalEngine, type ZonalRule, type ZonalSetup } from './engine.js';
import type { RasterReader } from './raster.js';
import { ALL_STATS, DEFAULT_STATS, type StatName, type Stats } from './stats.js';

export type { ZonalRule } from './engine.js';

export interface VectorInput {
  path: string;
  field: string;
  layer?: string | number;
}

export interface RasterInput {
  path: string;
  /** 1-based; default 1. */
  band?: number;
}

export interface ZonalOptions {
  stats?: readonly StatName[];
  rule?: ZonalRule;
  reader?: RasterReader;
  /**
   * Worker processes; 0 (default) computes in this process. Each worker opens the raster and
   * takes batches of features; rows still come out in layer order.
   */
  cpus?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface ZonalRow {
  index: number;
  label: Label;
  stats: Stats;
}

/**
 * Statistics of a raster band under each feature (polygons; points take the pixel they fall
 * in), in layer order. Only the window under each feature is read. A vector in another CRS
 * than the raster is reprojected to it; a feature outside the raster gets null statistics and
 * count 0.
 */
export async function* zonalStatistics(
  vector: VectorInput,
  raster: RasterInput,
  options: ZonalOptions = {},
): AsyncGenerator<ZonalRow> {
  const wanted = checkStats(options.stats ?? DEFAULT_STATS);
  const rule = options.rule ?? 'centre';
  if (!['centre', 'all-touched', 'coverage'].includes(rule)) {
    throw new InvalidInputError(`Unknown rule "${rule}"; use centre, all-touched or coverage`);
  }
  const cpus = options.cpus ?? 0;
  if (!(Number.isInteger(cpus) && cpus >= 0))
    throw new InvalidInputError('cpus must be an integer >= 0');
  const dataset = openVector(vector.path, { layer: vector.layer });
  let engine: ZonalEngine | null = null;
  const pool =
    cpus === 0
      ? null
      : ProcessPool.spawn<ZonalSetup, (Uint8Array | null)[], Stats[]>(
          siblingModule(import.meta.url, 'worker-entry'),
          cpus,
        );
  try {
    const family = dataset.family;
    if (family === 'line' || (family === null && dataset.featureCount > 0)) {
      throw new GeometryTypeError(
        `${basename(vector.path)}: zonal statistics need polygons or points`,
      );
    }
    dataset.labels(vector.field); // unique labels, checked before any work
    const setup: ZonalSetup = {
      rasterPath: raster.path,
      band: raster.band ?? 1,
      reader: options.reader ?? 'auto',
      rule,
      stats: wanted,
    };
    // Opened here too when workers compute: its errors (not a raster, no such band) come first.
    engine = await ZonalEngine.open(setup);
    const transform = vectorToRaster(dataset.srs, engine.band.srs);
    const total = dataset.featureCount;
    const reported = (rows: ZonalRow[]) => {
      const last = rows[rows.length - 1];
      if (last !== undefined) options.onProgress?.((last.index + 1) / total);
    };
    // Features in the raster's CRS, in layer order.
    function* features(): Generator<{ index: number; label: Label; wkb: Uint8Array | null }> {
      for (const feature of dataset.featuresWkb(vector.field)) {
        options.signal?.throwIfAborted();
        let wkb = feature.wkb;
        if (wkb !== null && transform !== null) {
          const geometry = gdal.Geometry.fromWKB(wkb);
          geometry.transform(transform);
          wkb = geometry.toWKB();
        }
        yield { index: feature.index, label: feature.label, wkb };
      }
    }
    if (pool === null) {
      // In process, batches only let the engine keep its buffers warm; the rows still stream.
      for (const chunk of chunks(features(), 64)) {
        const stats = await engine.statsForBatch(chunk.map((feature) => feature.wkb));
        const rows = chunk.map(({ index, label }, i) => ({ index, label, stats: stats[i]! }));
        yield* rows;
        reported(rows);
      }
      return;
    }
    await pool.setup(setup);
    // Workers take the features a chunk at a time; within a chunk, worker k gets the k-th band
    // of them by raster row (of their box's centre), so that each reads its own part of the
    // raster rather than every tile, in equal shares. The next chunk is read and sent while
    // the rows of this one are handed out, in layer order.
    const band = engine.band;
    const rowOf = (wkb: Uint8Array | null) => centreRow(wkb, band.geoTransform);
    const dispatch = (chunk: { index: number; label: Label; wkb: Uint8Array | null }[]) => {
      const order = chunk.map((_, i) => i);
      const rows = chunk.map((feature) => rowOf(feature.wkb));
      order.sort((a, b) => rows[a]! - rows[b]!);
      const share = Math.ceil(order.length / cpus);
      const work: Promise<void>[] = [];
      const stats: Stats[] = new Array(chunk.length);
      for (let worker = 0; worker < cpus; worker++) {
        const mine = order.slice(worker * share, (worker + 1) * share);
        for (let at = 0; at < mine.length; at += WORKER_BATCH) {
          const batch = mine.slice(at, at + WORKER_BATCH);
          work.push(
            pool
              .run(
                batch.map((i) => chunk[i]!.wkb),
                worker,
              )
              .then((results) => batch.forEach((i, k) => (stats[i] = results[k]!))),
          );
        }
      }
      return Promise.all(work).then(() =>
        chunk.map(({ index, label }, i): ZonalRow => ({ index, label, stats: stats[i]! })),
      );
    };
    let pending: Promise<ZonalRow[]> | null = null;
    for (const chunk of chunks(features(), WORKER_CHUNK * cpus)) {
      const next = dispatch(chunk);
      next.catch(() => undefined); // awaited in turn; a failure surfaces there
      if (pending !== null) {
        const rows = await pending;
        yield* rows;
        reported(rows);
      }
      pending = next;
    }
    if (pending !== null) {
      const rows = await pending;
      yield* rows;
      reported(rows);
    }
  } finally {
    pool?.close();
    await engine?.close();
    dataset.close();
  }
}

/** Features sent to a worker in one message. */
const WORKER_BATCH = 32;
/** Features per worker in one chunk (split among the workers by raster row). */
const WORKER_CHUNK = 1024;

/** `items` in arrays of `size` (the last one shorter). */
function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** The raster row (fractional) of the centre of a feature's box; 0 for none. */
function centreRow(wkb: Uint8Array | null, geoTransform: readonly number[]): number {
  if (wkb === null) return 0;
  const shapes = readWkb(wkb);
  const [, minY, , maxY] = flatBbox([...shapes.polygons.flat(), ...shapes.points]);
  if (minY > maxY) return 0;
  return ((minY + maxY) / 2 - geoTransform[3]!) / geoTransform[5]!;
}

/** The transformation from the vector's CRS to the raster's, or null when none is needed. */
function vectorToRaster(
  vectorSrs: gdal.SpatialReference | null,
  rasterSrs: gdal.SpatialReference | null,
): gdal.CoordinateTransformation | null {
  if (rasterSrs === null) return null;
  // As in pandarus, a vector without a CRS is in WGS84.
  const source = vectorSrs ?? wgs84Srs();
  if (source.isSame(rasterSrs)) return null;
  return new gdal.CoordinateTransformation(source, rasterSrs);
}

function checkStats(stats: readonly StatName[]): StatName[] {
  if (!Array.isArray(stats) || stats.length === 0)
    throw new InvalidInputError('Ask for at least one statistic');
  for (const name of stats) {
    if (!(ALL_STATS as readonly string[]).includes(name)) {
      throw new InvalidInputError(
        `Unknown statistic "${String(name)}"; known: ${ALL_STATS.join(', ')}`,
      );
    }
  }
  return [...stats];
}

export interface RasterStatisticsOptions extends ZonalOptions {
  /** Folder for the result, named `<sha256(vector)>-<sha256(raster)>-<band>.json` as pandarus. */
  outDir?: string;
  /** Exact output path instead (`.bz2` is appended when compressing). */
  outputPath?: string;
  compress?: boolean;
}

export interface RasterStatisticsResult {
  path: string;
  metadata: { vector: Record<string, unknown>; raster: Record<string, unknown>; when: string };
}

/**
 * pandarus's `raster_statistics`: writes `{data: [[label, {min, max, mean, count}], ...],
 * metadata: {vector, raster, when}}` for every feature, the file appearing only once complete.
 */
export async function rasterStatistics(
  vector: VectorInput,
  raster: RasterInput,
  options: RasterStatisticsOptions,
): Promise<RasterStatisticsResult> {
  const band = raster.band ?? 1;
  const [vectorHash, rasterHash] = await Promise.all([
    sha256File(vector.path),
    sha256File(raster.path),
  ]);
  const metadata = {
    vector: datasetMetadata(vector, vectorHash),
    raster: { ...datasetMetadata({ path: raster.path }, rasterHash), band },
    when: timestamp(),
  };
  const outputPath =
    options.outputPath ??
    (options.outDir === undefined
      ? null
      : join(options.outDir, `${vectorHash}-${rasterHash}-${band}.json`));
  if (outputPath === null) throw new InvalidInputError('Give outDir or outputPath');
  async function* rows() {
    for await (const row of zonalStatistics(vector, raster, options)) yield [row.label, row.stats];
  }
  const path = await writeResultFile(outputPath, rows(), metadata, {
    compress: options.compress ?? false,
  });
  return { path, metadata };
}
