import type { LineString, MultiLineString, MultiPolygon, Polygon } from 'geojson';
import { flatSignedArea } from './rings.js';
import { toFlat, type FlatRing } from './types.js';

/**
 * pandarus measures areas and lengths on the spherical Mollweide projection (ESRI:54009, whose
 * PROJ `moll` ignores the flattening): R = 6378137 m, WGS84's semi-major axis.
 */
export const MOLLWEIDE_RADIUS = 6378137;

const C_X = (2 * Math.SQRT2) / Math.PI;
const C_Y = Math.SQRT2;
const DEG = Math.PI / 180;
// PROJ's `moll` constants: Newton's steps stop below this change, or give up after so many.
const LOOP_TOL = 1e-7;
const MAX_ITER = 30;

/**
 * Projects flat longitude/latitude positions (degrees) to spherical Mollweide metres, in a new
 * array, as PROJ's `moll` does: 2θ + sin 2θ = π sin φ by Newton's method (θ = ±π/2 when it
 * does not converge, at the poles), x = 2√2/π R λ cos θ, y = √2 R sin θ. Longitudes are taken
 * as they are: beyond ±180° they keep going, nothing wraps.
 */
export function projectMollweide(coordinates: FlatRing): FlatRing {
  const out = new Float64Array(coordinates.length);
  for (let i = 0; i < coordinates.length; i += 2) {
    const lambda = coordinates[i]! * DEG;
    const phi = coordinates[i + 1]! * DEG;
    const k = Math.PI * Math.sin(phi);
    let theta = phi;
    let iterations = MAX_ITER;
    for (; iterations > 0; iterations--) {
      const v = (theta + Math.sin(theta) - k) / (1 + Math.cos(theta));
      theta -= v;
      if (Math.abs(v) < LOOP_TOL) break;
    }
    theta = iterations === 0 ? (theta < 0 ? -Math.PI / 2 : Math.PI / 2) : theta / 2;
    out[i] = MOLLWEIDE_RADIUS * C_X * lambda * Math.cos(theta);
    out[i + 1] = MOLLWEIDE_RADIUS * C_Y * Math.sin(theta);
  }
  return out;
}

/**
 * pandarus's area, in m², of longitude/latitude polygons (each its rings, exterior first): the
 * vertices projected to spherical Mollweide, joined by straight lines there, and measured by
 * the shoelace formula, the exterior counting positive and each hole negative whatever their
 * orientation.
 */
export function flatMollweideArea(polygons: readonly (readonly FlatRing[])[]): number {
  let total = 0;
  for (const rings of polygons) {
    rings.forEach((ring, index) => {
      const area = Math.abs(flatSignedArea(projectMollweide(ring)));
      total += index === 0 ? area : -area;
    });
  }
  return total;
}

/**
 * pandarus's length, in m, of longitude/latitude lines: the vertices projected to spherical
 * Mollweide and the straight segments between them added up.
 */
export function flatMollweideLength(lines: readonly FlatRing[]): number {
  let total = 0;
  for (const line of lines) {
    const projected = projectMollweide(line);
    for (let i = 2; i < projected.length; i += 2) {
      total += Math.hypot(projected[i]! - projected[i - 2]!, projected[i + 1]! - projected[i - 1]!);
    }
  }
  return total;
}

/** {@link flatMollweideArea} of a GeoJSON Polygon or MultiPolygon, in m². */
export function mollweideArea(geometry: Polygon | MultiPolygon): number {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  return flatMollweideArea(polygons.map((rings) => rings.map(toFlat)));
}

/** {@link flatMollweideLength} of a GeoJSON LineString or MultiLineString, in m. */
export function mollweideLength(geometry: LineString | MultiLineString): number {
  const lines = geometry.type === 'LineString' ? [geometry.coordinates] : geometry.coordinates;
  return flatMollweideLength(lines.map(toFlat));
}
