import Flatbush from 'flatbush';
import gdal from 'gdal-async';
import { measure, openVector, transformToWgs84, type GeometryFamily } from '@geoworks/geodata';
import { cleanGeometry, keepFamily } from './geometry.js';
import { SecondNotPolygonsError } from './errors.js';

/** One intersection: first feature index, second feature index, measure and WGS84 WKB. */
export interface PairResult {
  first: number;
  second: number;
  measure: number;
  wkb: Buffer;
}

export interface EngineSetup {
  secondPath: string;
  secondLayer?: string | number;
  /** CRS of the first dataset's geometries as WKT; empty when it needs no reprojection. */
  firstSrsWkt: string;
  family: GeometryFamily;
}

/**
 * Intersects features of the first dataset with every polygon of the second: the second's
 * WGS84 bounding boxes sit in a Flatbush index, so each feature meets only its candidates.
 * Runs in a worker process or in the caller's process (GDAL loads once per process).
 */
export class IntersectionEngine {
  readonly #index: Flatbush | null;
  readonly #polygons: gdal.Geometry[] = [];
  readonly #family: GeometryFamily;
  readonly #toWgs84: gdal.CoordinateTransformation | null;

  constructor(setup: EngineSetup) {
    this.#family = setup.family;
    this.#toWgs84 =
      setup.firstSrsWkt === ''
        ? null
        : transformToWgs84(gdal.SpatialReference.fromWKT(setup.firstSrsWkt));
    const second = openVector(setup.secondPath, { layer: setup.secondLayer });
    try {
      if (second.family !== 'polygon' && second.featureCount > 0)
        throw new SecondNotPolygonsError(setup.secondPath);
      const toWgs84 = transformToWgs84(second.srs);
      const boxes: gdal.Envelope[] = [];
      for (const feature of second.features()) {
        let geometry = feature.geometry ?? new gdal.GeometryCollection();
        if (toWgs84 !== null && !geometry.isEmpty()) geometry.transform(toWgs84);
        geometry = cleanGeometry(geometry);
        this.#polygons.push(geometry);
        boxes.push(geometry.isEmpty() ? EMPTY_BOX : geometry.getEnvelope());
      }
      if (boxes.length === 0) {
        this.#index = null;
      } else {
        const index = new Flatbush(boxes.length);
        for (const box of boxes) index.add(box.minX, box.minY, box.maxX, box.maxY);
        index.finish();
        this.#index = index;
      }
    } finally {
      second.close();
    }
  }

  /** Intersections of one first-dataset feature (WKB in its own CRS), by second index. */
  intersect(first: number, wkb: Buffer): PairResult[] {
    if (this.#index === null) return [];
    let geometry = gdal.Geometry.fromWKB(wkb);
    if (geometry.isEmpty()) return [];
    if (this.#toWgs84 !== null) geometry.transform(this.#toWgs84);
    geometry = cleanGeometry(geometry);
    if (geometry.isEmpty()) return [];
    const box = geometry.getEnvelope();
    const candidates = this.#index
      .search(box.minX, box.minY, box.maxX, box.maxY)
      .sort((a, b) => a - b);
    const results: PairResult[] = [];
    for (const second of candidates) {
      const polygon = this.#polygons[second]!;
      if (!geometry.intersects(polygon)) continue;
      const part = keepFamily(cleanGeometry(geometry.intersection(polygon)), this.#family);
      if (part === null) continue;
      results.push({ first, second, measure: measure(part, this.#family), wkb: part.toWKB() });
    }
    return results;
  }
}

// Far outside any lon/lat query, for features without geometry (Flatbush needs one box each).
const EMPTY_BOX = { minX: 1e300, minY: 1e300, maxX: 1e300, maxY: 1e300 } as gdal.Envelope;
