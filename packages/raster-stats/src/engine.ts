import { readWkb } from '@geoworks/geodata';
import { openRasterBand, type RasterBand, type RasterReader } from './raster.js';
import { centreMask, centreSpans, coverageFractions } from './rasterize.js';
import {
  computeStats,
  computeStatsOverSpans,
  spansSuffice,
  type StatName,
  type Stats,
} from './stats.js';

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

  async statsFor(wkb: Uint8Array | null): Promise<Stats> {
    if (wkb === null) return { ...this.#empty };
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
    // To pixel space (columns right, rows down), finding the window on the way.
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const coordinates of coordinatesList) {
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
    if (!(col1 > col0 && row1 > row0)) return { ...this.#empty };
    const width = col1 - col0;
    const height = row1 - row0;
    for (const coordinates of coordinatesList) {
      for (let i = 0; i < coordinates.length; i += 2) {
        coordinates[i]! -= col0;
        coordinates[i + 1]! -= row0;
      }
    }
    const values = await band.read(col0, row0, width, height);
    if (this.#setup.rule === 'centre' && points.length === 0 && spansSuffice(this.#setup.stats)) {
      // The common case walks the covered spans directly: no mask over the whole window.
      const spans = centreSpans(rings, width, height);
      return computeStatsOverSpans(values, width, spans, band.nodata, this.#setup.stats);
    }
    const weights = weightsFor(this.#setup.rule, rings, points, width, height);
    return computeStats(values, weights, band.nodata, this.#setup.stats);
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
