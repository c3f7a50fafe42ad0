// Job handlers of the pandarus service. They run in worker processes of the job queue (GDAL
// and the CPU-heavy work stay off the HTTP event loop) and return plain JSON results; the
// service process records them in the catalog.
import { rm } from 'node:fs/promises';
import { InvalidInputError, isGeoworksError } from '@geoworks/errors';
import {
  calculateRemaining,
  intersect,
  intersectionsFromIntersection,
  type DatasetInput,
  type VectorFormat,
} from '@geoworks/geo-intersect';
import { NotAVectorDatasetError, openVector, withoutPaths } from '@geoworks/geodata';
import { sha256File } from '@geoworks/pandarus-format';
import type { JobContext } from '@geoworks/job-queue';
import { openRasterBand, rasterStatistics, type ZonalRule } from '@geoworks/raster-stats';

export interface InspectPayload {
  path: string;
  /** The client's name for the file, for messages. */
  name: string;
  layer: string | null;
  band: number | null;
  field: string | null;
}

export interface Inspection {
  kind: 'vector' | 'raster';
  geometryType: string | null;
}

/**
 * Runs a job's work with the messages of its errors stripped of paths: they reach clients (the
 * refused upload, the status of a failed job), and GDAL and Node name the files they opened.
 */
async function withoutServerPaths<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error) error.message = withoutPaths(error.message);
    throw error;
  }
}

/** Decides whether an upload is a vector or a raster dataset we can use (else invalid input). */
export function inspectDataset(payload: InspectPayload): Promise<Inspection> {
  return withoutServerPaths(() => inspect(payload));
}

async function inspect(payload: InspectPayload): Promise<Inspection> {
  let vectorProblem: string;
  try {
    const dataset = openVector(
      payload.path,
      payload.layer === null ? {} : { layer: payload.layer },
    );
    try {
      // Malformed geometries would be dropped by every calculation: refused here, named.
      dataset.checkGeometries();
      const family = dataset.family;
      if (family === null) {
        throw new InvalidInputError(
          `${payload.name} holds no usable geometries (empty, geometry collections or mixed kinds)`,
          { code: 'NO_USABLE_GEOMETRIES' },
        );
      }
      if (payload.field !== null) dataset.labels(payload.field); // exists and is unique
      return { kind: 'vector', geometryType: family };
    } finally {
      dataset.close();
    }
  } catch (error) {
    if (!(error instanceof NotAVectorDatasetError)) throw error;
    vectorProblem = error.message;
  }
  try {
    const band = await openRasterBand(payload.path, { band: payload.band ?? 1, reader: 'gdal' });
    await band.close();
    return { kind: 'raster', geometryType: null };
  } catch (error) {
    if (isGeoworksError(error) && error.code === 'BAND_OUT_OF_RANGE') throw error;
    throw new InvalidInputError(
      `${payload.name} is not a readable vector or raster dataset (${vectorProblem})`,
      { code: 'NOT_A_DATASET' },
    );
  }
}

export interface IntersectionPayload {
  /** Who the result belongs to, for the catalog: the inputs' sha256. */
  firstSha256: string;
  secondSha256: string;
  first: DatasetInput;
  second: DatasetInput;
  outDir: string;
  cpus: number;
  format: VectorFormat;
  compress: boolean;
}

export interface IntersectionJobResult {
  dataPath: string;
  vectorPath: string;
  vectorSha256: string;
  count: number;
  /** The intersections of the new vector dataset with the first and the second input. */
  derived: { firstPath: string; secondPath: string };
}

/** pandarus_remote's intersect task: the intersection, then its two derived intersections. */
export function computeIntersection(
  payload: IntersectionPayload,
  context: JobContext,
): Promise<IntersectionJobResult> {
  return withoutServerPaths(() => intersection(payload, context));
}

async function intersection(
  payload: IntersectionPayload,
  context: JobContext,
): Promise<IntersectionJobResult> {
  context.log.info(
    `intersecting ${payload.first.path} with ${payload.second.path} on ${payload.cpus} worker(s)`,
  );
  const result = await intersect(payload.first, payload.second, {
    outDir: payload.outDir,
    cpus: payload.cpus,
    format: payload.format,
    compress: payload.compress,
    signal: context.signal,
    onProgress: (fraction) => context.progress(Math.round(fraction * 90)),
  });
  context.log.info(`${result.count} intersection(s) written`);
  try {
    const derived = await intersectionsFromIntersection(result.vectorPath, {
      metadataPath: result.dataPath,
      outDir: payload.outDir,
    });
    const vectorSha256 = await sha256File(result.vectorPath);
    return {
      dataPath: result.dataPath,
      vectorPath: result.vectorPath,
      vectorSha256,
      count: result.count,
      derived,
    };
  } catch (error) {
    // All or nothing: no result file is left to look complete.
    await Promise.all([
      rm(result.dataPath, { force: true }),
      rm(result.vectorPath, { force: true }),
    ]);
    throw error;
  }
}

export interface RemainingPayload {
  firstSha256: string;
  secondSha256: string;
  source: DatasetInput;
  intersectionPath: string;
  outDir: string;
  compress: boolean;
}

export function computeRemaining(
  payload: RemainingPayload,
  context: JobContext,
): Promise<{ path: string }> {
  context.log.info(`remaining areas of ${payload.source.path}`);
  return withoutServerPaths(async () => {
    const { path } = await calculateRemaining(payload.source, payload.intersectionPath, {
      outDir: payload.outDir,
      compress: payload.compress,
      signal: context.signal,
    });
    return { path };
  });
}

export interface RasterStatsPayload {
  vectorSha256: string;
  rasterSha256: string;
  vector: DatasetInput;
  raster: { path: string; band: number };
  outDir: string;
  rule: ZonalRule;
  compress: boolean;
}

export function computeRasterStats(
  payload: RasterStatsPayload,
  context: JobContext,
): Promise<{ path: string }> {
  context.log.info(
    `raster statistics (${payload.rule}) of ${payload.raster.path} band ${payload.raster.band}`,
  );
  return withoutServerPaths(async () => {
    const { path } = await rasterStatistics(payload.vector, payload.raster, {
      outDir: payload.outDir,
      rule: payload.rule,
      compress: payload.compress,
      signal: context.signal,
      onProgress: (fraction) => context.progress(Math.round(fraction * 100)),
    });
    return { path };
  });
}
