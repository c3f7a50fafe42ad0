import type { Feature, Geometry, MultiLineString, MultiPoint, MultiPolygon } from 'geojson';
import { InvalidInputError } from '@geoworks/errors';
import {
  geoJsonFamily,
  geometryWkb,
  toLabel,
  type GeometryFamily,
  type Label,
} from '@geoworks/geodata';
import { SecondNotPolygonsError, UnsupportedGeometryError } from './errors.js';
import { startRunner } from './pool.js';
import { intersectionRows, prepareSecond, type SourceFeature } from './rows.js';

/** The properties of an intersection, as pandarus's vector file holds them. */
export interface IntersectionProperties {
  /** 0, 1, 2, ... in the order the intersections come out. */
  id: number;
  /** The first feature's label. */
  from_label: Label;
  /** The second feature's label. */
  to_label: Label;
  /** m² for polygons, m for lines (spherical Mollweide), the number of points for points. */
  measure: number;
}

/** One intersection: the part of a first feature inside a second one, of the first's kind. */
export type IntersectionFeature = Feature<
  MultiPolygon | MultiLineString | MultiPoint,
  IntersectionProperties
>;

export interface IntersectFeaturesOptions {
  /**
   * The property whose value labels each first feature (`from_label`); the values must be
   * unique. Default: the feature's 0-based position in `first`.
   */
  firstField?: string;
  /** The same for the second features (`to_label`). */
  secondField?: string;
  /** Worker processes; 0 (default) computes in this process. */
  cpus?: number;
  signal?: AbortSignal;
}

type Features = Iterable<Feature<Geometry | null>> | AsyncIterable<Feature<Geometry | null>>;

/**
 * The intersections of GeoJSON features, as `intersect()` computes them from files: every
 * feature of `first` (points, lines or polygons, all of one kind) with the polygons of
 * `second`, planar in longitude/latitude (GeoJSON's WGS84), keeping only parts of the first's
 * kind, measured as pandarus does. `second` is read whole first; `first` streams through, in
 * batches, and the intersections come out as they are found, sorted by first, then second
 * feature. Features without a geometry, or with an empty or malformed one, meet nothing.
 */
export async function* intersectFeatures(
  first: Features,
  second: Features,
  options: IntersectFeaturesOptions = {},
): AsyncGenerator<IntersectionFeature> {
  const cpus = options.cpus ?? 0;
  if (!(Number.isInteger(cpus) && cpus >= 0))
    throw new InvalidInputError('cpus must be an integer >= 0');
  options.signal?.throwIfAborted();
  // Features in memory have no file: their messages name them `first` and `second`.
  const firstLabels = { path: 'first', field: options.firstField ?? 'position' };
  const secondLabels = { path: 'second', field: options.secondField ?? 'position' };
  const runner = startRunner(cpus);
  let features: AsyncGenerator<KindedFeature> | null = null;
  try {
    const targets: SourceFeature[] = [];
    for await (const feature of sourceFeatures(second, options.secondField)) {
      if (feature.family !== null && feature.family !== 'polygon')
        throw new SecondNotPolygonsError(secondLabels.path);
      targets.push(feature);
    }
    const prepared = prepareSecond(targets, secondLabels, null);
    // The first dataset's kind is that of its first geometry: the engine needs it up front.
    features = sourceFeatures(first, options.firstField);
    const head: KindedFeature[] = [];
    let family: KindedFeature['family'] = null;
    while (family === null) {
      const next = await features.next();
      if (next.done === true) break;
      head.push(next.value);
      family = next.value.family;
    }
    if (family === 'other') throw new UnsupportedGeometryError(firstLabels.path);
    const kind = family ?? 'polygon';
    const rest = features;
    async function* ofOneKind(): AsyncGenerator<SourceFeature> {
      yield* head;
      for await (const feature of rest) {
        if (feature.family !== null && feature.family !== kind)
          throw new UnsupportedGeometryError(firstLabels.path);
        yield feature;
      }
    }
    const ready = await runner.ready({
      second: prepared.wkbs,
      firstSrsWkt: '',
      family: kind,
      geometry: 'geojson',
    });
    let id = 0;
    const rows = intersectionRows(ofOneKind(), prepared.labels, ready, {
      labels: firstLabels,
      maxInFlight: Math.max(2, 2 * cpus),
      signal: options.signal,
    });
    for await (const row of rows) {
      yield {
        type: 'Feature',
        properties: {
          id: id++,
          from_label: row.fromLabel,
          to_label: row.toLabel,
          measure: row.measure,
        },
        // The engine writes GeoJSON text (as for the vector file); parsed here, once.
        geometry: JSON.parse(row.geometry as string) as IntersectionFeature['geometry'],
      };
    }
  } finally {
    runner.close();
    // A caller that stops early ends the first features' iterator too.
    await features?.return(undefined);
  }
}

/** A feature as the pipeline takes it, with its geometry's family: none, or not one of three. */
type KindedFeature = SourceFeature & { family: GeometryFamily | 'other' | null };

/** GeoJSON features as the pipeline takes them: position, label and WKB. */
async function* sourceFeatures(
  features: Features,
  field: string | undefined,
): AsyncGenerator<KindedFeature> {
  let index = 0;
  for await (const feature of features) {
    const wkb = geometryWkb(feature.geometry);
    const family = wkb === null ? null : (geoJsonFamily(feature.geometry!.type) ?? 'other');
    const label = field === undefined ? index : toLabel(feature.properties?.[field]);
    yield { index: index++, label, wkb, family };
  }
}
