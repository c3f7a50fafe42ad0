// The one pipeline behind `intersect()` (files) and `intersectFeatures()` (GeoJSON in memory):
// the second dataset prepared once, then the first streamed through the engine in batches.
import gdal from 'gdal-async';
import { AbortedError } from '@geoworks/errors';
import { DuplicateLabelError, type Label } from '@geoworks/geodata';
import type { PairResult } from './engine.js';
import { cleanGeometry } from './geometry.js';
import { toBuffer, type BatchRunner, type FeatureBatch } from './pool.js';

/** A feature of either dataset: its 0-based index, its label, its geometry as WKB (or none). */
export interface SourceFeature {
  index: number;
  label: Label;
  wkb: Uint8Array | null;
}

/** One intersection, in the order rows come out (first index, then second index). */
export interface IntersectionRow {
  fromLabel: Label;
  toLabel: Label;
  measure: number;
  /** Multi* WKB, or its GeoJSON text when the engine was asked for GeoJSON. */
  geometry: Buffer | string;
}

/** Where a dataset's labels come from, for the messages of a `DuplicateLabelError`. */
export interface LabelSource {
  /** The dataset's path, or a name for features given in memory. */
  path: string;
  field: string;
}

/** Throws a `DuplicateLabelError` for the second feature with a label already seen. */
export function labelChecker(source: LabelSource): (feature: SourceFeature) => void {
  const seen = new Map<Label, number>();
  return ({ label, index }) => {
    const previous = seen.get(label);
    if (previous !== undefined)
      throw new DuplicateLabelError(source.path, source.field, label, previous, index);
    seen.set(label, index);
  };
}

/**
 * The second dataset as every worker needs it, read once: its labels (checked unique) and its
 * polygons in WGS84, repaired (pandarus's `clean_geom`), as WKB; an empty WKB for a feature
 * without geometry, so that indexes stay aligned.
 */
export function prepareSecond(
  features: Iterable<SourceFeature>,
  source: LabelSource,
  toWgs84: gdal.CoordinateTransformation | null,
): { labels: Label[]; wkbs: Buffer[] } {
  const check = labelChecker(source);
  const labels: Label[] = [];
  const wkbs: Buffer[] = [];
  for (const feature of features) {
    check(feature);
    labels.push(feature.label);
    const geometry = feature.wkb === null ? null : gdal.Geometry.fromWKB(toBuffer(feature.wkb));
    if (geometry === null || geometry.isEmpty()) {
      wkbs.push(Buffer.alloc(0));
      continue;
    }
    if (toWgs84 !== null) geometry.transform(toWgs84);
    const clean = cleanGeometry(geometry);
    wkbs.push(clean.isEmpty() ? Buffer.alloc(0) : clean.toWKB());
  }
  return { labels, wkbs };
}

export interface RowsOptions {
  /** The first dataset, for the messages of a `DuplicateLabelError`. */
  labels: LabelSource;
  /** How many batches may wait for the runner at most. */
  maxInFlight: number;
  signal?: AbortSignal;
  /** Called with the fraction of first-dataset features done, 0 to 1, when `total` is known. */
  onProgress?: (fraction: number) => void;
  /** The number of first-dataset features, when known. */
  total?: number;
}

const BATCH_FEATURES = 64;
const BATCH_BYTES = 512 * 1024;

/**
 * The intersections of the first dataset's features, streamed in, with the prepared second
 * dataset (`secondLabels` by index), computed by `runner`. Batches go out in order and their
 * results are taken back in the same order, so the rows come out sorted by first index without
 * being held; at most `maxInFlight` batches wait. The first dataset's labels are checked unique
 * as they come.
 */
export async function* intersectionRows(
  first: Iterable<SourceFeature> | AsyncIterable<SourceFeature>,
  secondLabels: readonly Label[],
  runner: BatchRunner,
  options: RowsOptions,
): AsyncGenerator<IntersectionRow> {
  const firstLabels: Label[] = [];
  const check = labelChecker(options.labels);
  const inFlight: { last: number; results: Promise<PairResult[]> }[] = [];
  let batch: FeatureBatch = { features: [] };
  let batchBytes = 0;
  let lastIndex = -1;
  const total = options.total;
  const progress = (last: number) => {
    if (total !== undefined) options.onProgress?.(total === 0 ? 1 : (last + 1) / total);
  };
  const emit = function* (results: PairResult[]): Generator<IntersectionRow> {
    for (const result of results) {
      yield {
        fromLabel: firstLabels[result.first]!,
        toLabel: secondLabels[result.second]!,
        measure: result.measure,
        geometry: typeof result.geometry === 'string' ? result.geometry : toBuffer(result.geometry),
      };
    }
  };
  const drain = async function* (limit: number) {
    while (inFlight.length > limit) {
      const next = inFlight.shift()!;
      yield* emit(await next.results);
      progress(next.last);
    }
  };
  for await (const feature of first) {
    if (options.signal?.aborted) throw new AbortedError('Intersection aborted');
    check(feature);
    firstLabels.push(feature.label);
    lastIndex = feature.index;
    const wkb = feature.wkb;
    if (wkb === null) continue;
    batch.features.push({ index: feature.index, wkb });
    batchBytes += wkb.length;
    if (batch.features.length >= BATCH_FEATURES || batchBytes >= BATCH_BYTES) {
      inFlight.push({ last: feature.index, results: runner.run(batch) });
      batch = { features: [] };
      batchBytes = 0;
      yield* drain(options.maxInFlight);
    }
  }
  if (batch.features.length > 0) inFlight.push({ last: lastIndex, results: runner.run(batch) });
  yield* drain(0);
  if (total !== undefined) options.onProgress?.(1);
}
