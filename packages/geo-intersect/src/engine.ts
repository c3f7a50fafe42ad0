import Flatbush from 'flatbush';
import gdal from 'gdal-async';
import {
  asMultiPolygonWkb,
  flatType,
  multiPolygonText,
  multiPolygonWkb,
  readWkb,
  setUpGdal,
  transformToWgs84,
  wkbToGeoJson,
  type GeometryFamily,
} from '@geoworks/geodata';
import { flatBbox, flatMollweideArea, type BBox } from '@geoworks/planar';
import { cleanGeometry, keepFamily } from './geometry.js';
import { intersectSimplePolygons } from './clip.js';
import { measureWkb } from './measure.js';
import { relatePolygons } from './relate.js';

/**
 * One intersection: first and second feature index, measure, and the WGS84 geometry as WKB or,
 * when the output is GeoJSON, as GeoJSON text (made here, in parallel, rather than by the
 * single process writing the file).
 */
export interface PairResult {
  first: number;
  second: number;
  measure: number;
  geometry: Buffer | string;
}

export interface EngineSetup {
  /** The second dataset's polygons as WKB, in WGS84 and already repaired; empty for none. */
  second: Uint8Array[];
  /** CRS of the first dataset's geometries as WKT; empty when it needs no reprojection. */
  firstSrsWkt: string;
  family: GeometryFamily;
  /** What `PairResult.geometry` holds. */
  geometry: 'wkb' | 'geojson';
}

interface Target {
  geometry: gdal.Geometry;
  rings: Float64Array[];
  box: BBox;
  /** The ring, when the target is one polygon without holes (the JavaScript clipper's case). */
  simple: Float64Array | null;
}

/**
 * Intersects features of the first dataset with every polygon of the second. The second's
 * WGS84 boxes sit in a Flatbush index, so each feature meets only its candidates; a polygon
 * wholly inside a candidate, or clear of it, is decided in JavaScript; only boundary cases go
 * through a GEOS overlay (via GDAL). Runs in a worker process or in the caller's process
 * (GDAL loads once per process).
 */
export class IntersectionEngine {
  readonly #index: Flatbush | null;
  readonly #targets: (Target | null)[] = [];
  readonly #family: GeometryFamily;
  readonly #asText: boolean;
  readonly #toWgs84: gdal.CoordinateTransformation | null;

  constructor(setup: EngineSetup) {
    this.#family = setup.family;
    this.#asText = setup.geometry === 'geojson';
    this.#toWgs84 =
      setup.firstSrsWkt === ''
        ? null
        : transformToWgs84(setUpGdal().SpatialReference.fromWKT(setup.firstSrsWkt));
    const boxes: BBox[] = [];
    for (const bytes of setup.second) {
      if (bytes.length === 0) {
        this.#targets.push(null);
        boxes.push(FAR_AWAY);
        continue;
      }
      const wkb = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const polygons = readWkb(wkb).polygons;
      const rings = polygons.flat();
      const box = flatBbox(rings);
      const simple = polygons.length === 1 && rings.length === 1 ? rings[0]! : null;
      this.#targets.push({ geometry: gdal.Geometry.fromWKB(wkb), rings, box, simple });
      boxes.push(box);
    }
    if (boxes.length === 0) {
      this.#index = null;
    } else {
      const index = new Flatbush(boxes.length);
      for (const [minX, minY, maxX, maxY] of boxes) index.add(minX, minY, maxX, maxY);
      index.finish();
      this.#index = index;
    }
  }

  /**
   * The GEOS intersection as Multi* WKB, or null when nothing of the family is left. GEOS's
   * overlay (OverlayNG) returns valid geometries from valid inputs, so polygonal results need
   * no repair; anything else goes through pandarus's part filtering.
   */
  #overlay(geometry: gdal.Geometry, target: Target): Buffer | null {
    const result = geometry.intersection(target.geometry);
    if (result.isEmpty()) return null;
    const type = flatType(result.wkbType);
    if (this.#family === 'polygon' && (type === gdal.wkbPolygon || type === gdal.wkbMultiPolygon)) {
      return asMultiPolygonWkb(result.toWKB());
    }
    const part = keepFamily(cleanGeometry(result), this.#family);
    return part === null ? null : part.toWKB();
  }

  /** Intersections of one first-dataset feature (WKB in its own CRS), by second index. */
  intersect(first: number, wkb: Buffer): PairResult[] {
    if (this.#index === null) return [];
    let geometry = gdal.Geometry.fromWKB(wkb);
    if (geometry.isEmpty()) return [];
    if (this.#toWgs84 !== null) geometry.transform(this.#toWgs84);
    geometry = cleanGeometry(geometry);
    if (geometry.isEmpty()) return [];
    const own = geometry.toWKB();
    const shapes = readWkb(own);
    const polygonRings = this.#family === 'polygon' ? shapes.polygons.flat() : null;
    const simple =
      polygonRings !== null && shapes.polygons.length === 1 && polygonRings.length === 1
        ? polygonRings[0]!
        : null;
    const box = flatBbox(polygonRings ?? [...shapes.lines, ...shapes.points]);
    const candidates = this.#index.search(...box).sort((a, b) => a - b);
    const results: PairResult[] = [];
    let wholeMeasure: number | null = null;
    let wholeGeometry: Buffer | string | null = null;
    for (const second of candidates) {
      const target = this.#targets[second];
      if (target === null || target === undefined) continue;
      if (polygonRings !== null) {
        const relation = relatePolygons(polygonRings, box, target.rings, target.box);
        if (relation === 'disjoint') continue;
        if (relation === 'inside') {
          // The intersection is the polygon itself.
          wholeMeasure ??= flatMollweideArea(shapes.polygons);
          wholeGeometry ??= this.#asText
            ? multiPolygonText(shapes.polygons)
            : asMultiPolygonWkb(own);
          results.push({ first, second, measure: wholeMeasure, geometry: wholeGeometry });
          continue;
        }
      } else if (!geometry.intersects(target.geometry)) {
        continue;
      }
      if (simple !== null && target.simple !== null) {
        // Clean crossings of two simple polygons: no GEOS needed.
        const rings = intersectSimplePolygons(simple, target.simple);
        if (rings !== null) {
          if (rings.length === 0) continue;
          const polygons = rings.map((ring) => [ring]);
          results.push({
            first,
            second,
            measure: flatMollweideArea(polygons),
            geometry: this.#asText ? multiPolygonText(polygons) : multiPolygonWkb(polygons),
          });
          continue;
        }
      }
      const overlay = this.#overlay(geometry, target);
      if (overlay === null) continue;
      results.push({
        first,
        second,
        measure: measureWkb(overlay, this.#family),
        geometry: this.#asText ? wkbToGeoJson(overlay) : overlay,
      });
    }
    return results;
  }
}

// Far outside any lon/lat query, for features without geometry (Flatbush needs one box each).
const FAR_AWAY: BBox = [1e300, 1e300, 1e300, 1e300];
