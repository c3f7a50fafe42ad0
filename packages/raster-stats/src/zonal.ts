import { basename, join, resolve } from 'node:path';
import gdal from 'gdal-async';
import { InvalidInputError } from '@geoworks/errors';
import {
  GeometryTypeError,
  openVector,
  readWkb,
  sha256File,
  timestamp,
  wgs84Srs,
  writeResultFile,
  type Label,
} from '@geoworks/geodata';
import { openRasterBand, type RasterBand, type RasterReader } from './raster.js';
import { centreMask, coverageFractions } from './rasterize.js';
import { ALL_STATS, computeStats, DEFAULT_STATS, type StatName, type Stats } from './stats.js';

/**
 * Which pixels count under a polygon:
 * - `centre`: pixels whose centre is inside, by GDAL's rule (rasterstats' default);
 * - `all-touched`: every pixel the polygon overlaps at all, plus the centre pixels;
 * - `coverage`: every overlapped pixel, weighted by the fraction covered (exactextract, and
 *   what pandarus_remote returned).
 */
export type ZonalRule = 'centre' | 'all-touched' | 'coverage';

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
  const dataset = openVector(vector.path, { layer: vector.layer });
  let band: RasterBand | null = null;
  try {
    const family = dataset.family;
    if (family === 'line' || (family === null && dataset.featureCount > 0)) {
      throw new GeometryTypeError(
        `${basename(vector.path)}: zonal statistics need polygons or points`,
      );
    }
    dataset.labels(vector.field); // unique labels, checked before any work
    band = await openRasterBand(raster.path, {
      band: raster.band ?? 1,
      reader: options.reader ?? 'auto',
    });
    const transform = vectorToRaster(dataset.srs, band.srs);
    const [x0, dx, , y0, , dy] = band.geoTransform as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const total = dataset.featureCount;
    const empty = computeStats(new Float64Array(0), [], band.nodata, wanted);
    for (const feature of dataset.featuresWkb(vector.field)) {
      options.signal?.throwIfAborted();
      let wkb = feature.wkb;
      if (wkb !== null && transform !== null) {
        const geometry = gdal.Geometry.fromWKB(wkb);
        geometry.transform(transform);
        wkb = geometry.toWKB();
      }
      const shapes = wkb === null ? null : readWkb(wkb);
      const rings = shapes === null ? [] : shapes.polygons.flat();
      const points = shapes === null ? [] : shapes.points;
      // To pixel space (columns right, rows down), finding the window on the way.
      let minX = Infinity;
      let minY = Infinity;
      let maxX = -Infinity;
      let maxY = -Infinity;
      for (const coordinates of rings.length > 0 ? rings : points) {
        for (let i = 0; i < coordinates.length; i += 2) {
          const x = (coordinates[i]! - x0) / dx;
          const y = (coordinates[i + 1]! - y0) / dy;
          coordinates[i] = x;
          coordinates[i + 1] = y;
          if (x < minX) minX = x;
          if (x > maxX) maxX = x;
          if (y < minY) minY = y;
          if (y > maxY) maxY = y;
        }
      }
      const col0 = Math.max(0, Math.floor(minX));
      const row0 = Math.max(0, Math.floor(minY));
      const col1 = Math.min(band.width, Math.floor(maxX) + 1);
      const row1 = Math.min(band.height, Math.floor(maxY) + 1);
      if (!(col1 > col0 && row1 > row0)) {
        yield { index: feature.index, label: feature.label, stats: { ...empty } };
        continue;
      }
      const width = col1 - col0;
      const height = row1 - row0;
      for (const coordinates of rings.length > 0 ? rings : points) {
        for (let i = 0; i < coordinates.length; i += 2) {
          coordinates[i]! -= col0;
          coordinates[i + 1]! -= row0;
        }
      }
      const values = await band.read(col0, row0, width, height);
      const weights = weightsFor(rule, rings, points, width, height);
      yield {
        index: feature.index,
        label: feature.label,
        stats: computeStats(values, weights, band.nodata, wanted),
      };
      options.onProgress?.((feature.index + 1) / total);
    }
  } finally {
    await band?.close();
    dataset.close();
  }
}

function weightsFor(
  rule: ZonalRule,
  rings: Float64Array[],
  points: Float64Array[],
  width: number,
  height: number,
): ArrayLike<number> {
  if (points.length > 0) {
    const weights = new Uint8Array(width * height);
    for (const point of points) {
      const col = Math.floor(point[0]!);
      const row = Math.floor(point[1]!);
      if (col >= 0 && col < width && row >= 0 && row < height) weights[row * width + col] = 1;
    }
    return weights;
  }
  if (rule === 'centre') return centreMask(rings, width, height);
  const coverage = coverageFractions(rings, width, height);
  if (rule === 'coverage') return coverage;
  const touched = centreMask(rings, width, height);
  for (let i = 0; i < touched.length; i++) if (coverage[i]! > 0) touched[i] = 1;
  return touched;
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
