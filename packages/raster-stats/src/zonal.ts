import { basename, join, resolve } from 'node:path';
import gdal from 'gdal-async';
import { InvalidInputError } from '@geoworks/errors';
import {
  GeometryTypeError,
  openVector,
  sha256File,
  timestamp,
  wgs84Srs,
  writeResultFile,
  type Label,
} from '@geoworks/geodata';
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
    const run =
      pool === null
        ? (batch: (Uint8Array | null)[]) => engine!.statsForBatch(batch)
        : (await pool.setup(setup), (batch: (Uint8Array | null)[]) => pool.run(batch));
    const total = dataset.featureCount;
    // Batches go out in order and come back in order: at most `maxInFlight` wait.
    const maxInFlight = Math.max(1, 2 * cpus);
    const inFlight: { features: { index: number; label: Label }[]; stats: Promise<Stats[]> }[] = [];
    let features: { index: number; label: Label }[] = [];
    let wkbs: (Uint8Array | null)[] = [];
    const flush = () => {
      inFlight.push({ features, stats: run(wkbs) });
      features = [];
      wkbs = [];
    };
    async function* drain(limit: number): AsyncGenerator<ZonalRow> {
      while (inFlight.length > limit) {
        const next = inFlight.shift()!;
        const stats = await next.stats;
        for (let i = 0; i < next.features.length; i++) {
          const feature = next.features[i]!;
          yield { index: feature.index, label: feature.label, stats: stats[i]! };
        }
        const last = next.features[next.features.length - 1];
        if (last !== undefined) options.onProgress?.((last.index + 1) / total);
      }
    }
    for (const feature of dataset.featuresWkb(vector.field)) {
      options.signal?.throwIfAborted();
      let wkb = feature.wkb;
      if (wkb !== null && transform !== null) {
        const geometry = gdal.Geometry.fromWKB(wkb);
        geometry.transform(transform);
        wkb = geometry.toWKB();
      }
      features.push({ index: feature.index, label: feature.label });
      wkbs.push(wkb);
      // In process, batches only let reading overlap computing; the rows still stream.
      if (features.length >= (pool === null ? 64 : 32)) {
        flush();
        yield* drain(pool === null ? 0 : maxInFlight);
      }
    }
    if (features.length > 0) flush();
    yield* drain(0);
  } finally {
    pool?.close();
    await engine?.close();
    dataset.close();
  }
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
    vector: {
      sha256: vectorHash,
      filename: basename(vector.path),
      field: vector.field,
      path: resolve(vector.path),
      ...(vector.layer === undefined ? {} : { layer: vector.layer }),
    },
    raster: {
      sha256: rasterHash,
      filename: basename(raster.path),
      path: resolve(raster.path),
      band,
    },
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
