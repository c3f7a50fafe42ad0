import { readWkb } from '@geoworks/geodata';
import { flatBbox } from '@geoworks/planar';
import { openRasterBand, type PixelArray, type RasterBand, type RasterReader } from './raster.js';
import { centreMask, centreSpans, coverageRuns, coverageFractions } from './rasterize.js';
import {
  computeStats,
  computeStatsOverRuns,
  computeStatsOverSpans,
  spansSuffice,
  type StatName,
  type Stats,
} from './stats.js';

/** Windows above this many pixels get a buffer of their own, not kept after them. */
const KEPT_BUFFER_PIXELS = 1 << 22;

/** A feature in pixel space (relative to its window) and the window of the raster under it. */
interface Zone {
  rings: Float64Array[];
  points: Float64Array[];
  col: number;
  row: number;
  width: number;
  height: number;
}

/** Which pixels count under a polygon (see `zonalStatistics`). */
export type ZonalRule = 'centre' | 'all-touched' | 'coverage';

export interface ZonalSetup {
  rasterPath: string;
  band: number;
  reader: RasterReader;
  rule: ZonalRule;
  stats: StatName[];
}

/**
 * Statistics of one raster band under features given as WKB in the raster's CRS: the window
 * under each feature is read, the covered pixels found by the rule, the statistics computed.
 * Runs in the caller's process or in a worker process (each opens the raster itself).
 */
export class ZonalEngine {
  readonly #band: RasterBand;
  readonly #setup: ZonalSetup;
  readonly #empty: Stats;
  /** The window buffer, reused window after window. */
  #window: PixelArray | undefined;
  #turn: Promise<unknown> = Promise.resolve();

  private constructor(band: RasterBand, setup: ZonalSetup) {
    this.#band = band;
    this.#setup = setup;
    this.#empty = computeStats(new Float64Array(0), [], band.nodata, setup.stats);
  }

  static async open(setup: ZonalSetup): Promise<ZonalEngine> {
    const band = await openRasterBand(setup.rasterPath, { band: setup.band, reader: setup.reader });
    return new ZonalEngine(band, setup);
  }

  get band(): RasterBand {
    return this.#band;
  }

  /** Statistics of one feature (see `statsForBatch`). */
  async statsFor(wkb: Uint8Array | null): Promise<Stats> {
    return (await this.statsForBatch([wkb]))[0]!;
  }

  /** Statistics of each feature, in order. */
  statsForBatch(wkbs: readonly (Uint8Array | null)[]): Promise<Stats[]> {
    // One batch at a time: the window buffer is shared (a worker receives batches while it
    // computes others, and the geotiff reader awaits).
    const result = this.#turn.then(() => this.#computeBatch(wkbs));
    this.#turn = result.catch(() => undefined);
    return result;
  }

  async #computeBatch(wkbs: readonly (Uint8Array | null)[]): Promise<Stats[]> {
    const results: Stats[] = [];
    for (const wkb of wkbs) {
      const zone = wkb === null ? null : this.#zone(wkb);
      if (zone === null) {
        results.push({ ...this.#empty });
        continue;
      }
      // GDAL reads here synchronously: on this machine's page-cached tiles, reading ahead on
      // libuv's threads measured slower (each async call costs more than a small window read),
      // and GDAL takes one operation at a time per dataset anyway.
      const values = await this.#band.read(
        zone.col,
        zone.row,
        zone.width,
        zone.height,
        this.#buffer(zone),
      );
      results.push(this.#stats(zone, values));
    }
    return results;
  }

  /** The feature in pixel space, relative to the window under it; null when off the raster. */
  #zone(wkb: Uint8Array): Zone | null {
    const band = this.#band;
    const [x0, dx, , y0, , dy] = band.geoTransform as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const shapes = readWkb(wkb);
    const rings = shapes.polygons.flat();
    const points = shapes.points;
    const coordinatesList = rings.length > 0 ? rings : points;
    // To pixel space (columns right, rows down); the window is the box there.
    for (const coordinates of coordinatesList) {
      for (let i = 0; i < coordinates.length; i += 2) {
        coordinates[i] = (coordinates[i]! - x0) / dx;
        coordinates[i + 1] = (coordinates[i + 1]! - y0) / dy;
      }
    }
    const [minX, minY, maxX, maxY] = flatBbox(coordinatesList);
    const col = Math.max(0, Math.floor(minX));
    const row = Math.max(0, Math.floor(minY));
    const width = Math.min(band.width, Math.floor(maxX) + 1) - col;
    const height = Math.min(band.height, Math.floor(maxY) + 1) - row;
    if (!(width > 0 && height > 0)) return null;
    for (const coordinates of coordinatesList) {
      for (let i = 0; i < coordinates.length; i += 2) {
        coordinates[i]! -= col;
        coordinates[i + 1]! -= row;
      }
    }
    return { rings, points, col, row, width, height };
  }

  /** The window buffer, grown to fit (a huge window gets its own, not kept). */
  #buffer(zone: Zone): PixelArray {
    const size = zone.width * zone.height;
    if (size > KEPT_BUFFER_PIXELS) return this.#band.newArray(size);
    if (this.#window === undefined || this.#window.length < size)
      this.#window = this.#band.newArray(Math.max(size, 1 << 16));
    return this.#window;
  }

  #stats({ rings, points, width, height }: Zone, values: PixelArray): Stats {
    const { rule, stats } = this.#setup;
    const nodata = this.#band.nodata;
    if (rule === 'centre' && points.length === 0 && spansSuffice(stats)) {
      // The common case walks the covered spans directly: no mask over the whole window.
      return computeStatsOverSpans(values, width, centreSpans(rings, width, height), nodata, stats);
    }
    if (rule === 'coverage' && points.length === 0) {
      // Only the covered pixels, with their fractions: no weight array over the whole window.
      return computeStatsOverRuns(values, coverageRuns(rings, width, height), nodata, stats);
    }
    return computeStats(values, weightsFor(rule, rings, points, width, height), nodata, stats);
  }

  close(): Promise<void> {
    return this.#band.close();
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
