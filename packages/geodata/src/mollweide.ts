/**
 * Spherical Mollweide (R = 6378137), computed as PROJ's `moll` does (pandarus's measure):
 * 2θ + sin 2θ = π sin φ by Newton's method, x = 2√2/π R λ cos θ, y = √2 R sin θ.
 */
const R = 6378137;
const C_X = (2 * Math.SQRT2) / Math.PI;
const C_Y = Math.SQRT2;
const DEG = Math.PI / 180;
const LOOP_TOL = 1e-7;
const MAX_ITER = 30;

/** Projects a flat [lon, lat, ...] array (degrees) to Mollweide metres, in a new array. */
export function projectMollweide(coordinates: Float64Array): Float64Array {
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
    out[i] = R * C_X * lambda * Math.cos(theta);
    out[i + 1] = R * C_Y * Math.sin(theta);
  }
  return out;
}

/** Shoelace area of a flat ring, signed (counter-clockwise positive). */
export function ringArea(ring: Float64Array): number {
  let sum = 0;
  const n = ring.length / 2;
  for (let i = 0; i < n; i++) {
    const j = i + 1 === n ? 0 : i + 1;
    sum += ring[2 * i]! * ring[2 * j + 1]! - ring[2 * j]! * ring[2 * i + 1]!;
  }
  return sum / 2;
}

/** Area in m² of WGS84 polygons (exterior minus holes) on spherical Mollweide. */
export function mollweideArea(polygons: readonly (readonly Float64Array[])[]): number {
  let total = 0;
  for (const rings of polygons) {
    rings.forEach((ring, index) => {
      const area = Math.abs(ringArea(projectMollweide(ring)));
      total += index === 0 ? area : -area;
    });
  }
  return total;
}

/** Length in m of WGS84 lines on spherical Mollweide. */
export function mollweideLength(lines: readonly Float64Array[]): number {
  let total = 0;
  for (const line of lines) {
    const projected = projectMollweide(line);
    for (let i = 2; i < projected.length; i += 2) {
      total += Math.hypot(projected[i]! - projected[i - 2]!, projected[i + 1]! - projected[i - 1]!);
    }
  }
  return total;
}
