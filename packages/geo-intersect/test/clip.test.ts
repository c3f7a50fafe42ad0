import gdal from 'gdal-async';
import { describe, expect, it } from 'vitest';
import { flatSignedArea } from '@geoworks/planar';
import { intersectSimplePolygons } from '../src/clip.js';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const closed = (points: number[][]) => Float64Array.from([...points, points[0]!].flat());
const polygon = (ring: Float64Array) => {
  const coordinates: number[][] = [];
  for (let i = 0; i < ring.length; i += 2) coordinates.push([ring[i]!, ring[i + 1]!]);
  return gdal.Geometry.fromGeoJson({ type: 'Polygon', coordinates: [coordinates] });
};

/** A warped unit cell, as in the benchmark. */
function cell(points = 60): Float64Array {
  const ring: number[][] = [];
  for (let k = 0; k < points; k++) ring.push([k / points, 0.03 * Math.sin((Math.PI * k) / points)]);
  for (let k = 0; k < points; k++)
    ring.push([1 + 0.03 * Math.sin((Math.PI * k) / points), k / points]);
  for (let k = points; k > 0; k--)
    ring.push([k / points, 1 + 0.03 * Math.sin((Math.PI * k) / points)]);
  for (let k = points; k > 0; k--) ring.push([0.03 * Math.sin((Math.PI * k) / points), k / points]);
  return closed(ring);
}

function star(next: () => number, cx: number, cy: number): Float64Array {
  const radius = 0.05 + next() * 0.25;
  const ring: number[][] = [];
  for (let k = 0; k < 30; k++) {
    const angle = (Math.PI * k) / 15 + next() * 0.05;
    const r = k % 2 === 0 ? radius : radius * (0.4 + next() * 0.2);
    ring.push([cx + r * Math.cos(angle), cy + r * Math.sin(angle)]);
  }
  return closed(ring);
}

describe('intersectSimplePolygons (Greiner-Hormann)', () => {
  it('agrees with GEOS on thousands of stars crossing a warped cell boundary', () => {
    const next = random(3);
    const target = cell();
    const targetGeometry = polygon(target);
    let compared = 0;
    let fellBack = 0;
    for (let i = 0; i < 3000; i++) {
      // Centres near the cell's edges and corners, so most stars cross the boundary.
      const cx = next() < 0.5 ? next() * 0.4 - 0.2 : 1 + next() * 0.4 - 0.2;
      const cy = next() * 1.4 - 0.2;
      const subject = star(next, cx, cy);
      const rings = intersectSimplePolygons(subject, target);
      const expected = (polygon(subject).intersection(targetGeometry) as gdal.Polygon).getArea();
      if (rings === null) {
        // Null is right for stars wholly inside or outside; a crossing one is a fallback.
        const whole = Math.abs(flatSignedArea(subject));
        if (expected > 0 && expected < whole * (1 - 1e-9)) fellBack++;
        continue;
      }
      const actual = rings.reduce((sum, ring) => sum + Math.abs(flatSignedArea(ring)), 0);
      expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 + 1e-9 * expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(1500);
    expect(fellBack / compared).toBeLessThan(0.02);
  });

  it('returns null for degenerate contacts (shared vertex, overlapping edges) and for no crossing', () => {
    const square = closed([
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ]);
    const sharingEdge = closed([
      [1, 0],
      [2, 0],
      [2, 1],
      [1, 1],
    ]);
    const touchingCorner = closed([
      [1, 1],
      [2, 1],
      [2, 2],
    ]);
    const inside = closed([
      [0.2, 0.2],
      [0.4, 0.2],
      [0.3, 0.4],
    ]);
    expect(intersectSimplePolygons(sharingEdge, square)).toBeNull();
    expect(intersectSimplePolygons(touchingCorner, square)).toBeNull();
    expect(intersectSimplePolygons(inside, square)).toBeNull();
  });

  it('splits a result into its separate pieces', () => {
    // A U shape crossed by a bar: two pieces.
    const u = closed([
      [0, 0],
      [3, 0],
      [3, 3],
      [2, 3],
      [2, 1],
      [1, 1],
      [1, 3],
      [0, 3],
    ]);
    const bar = closed([
      [-1, 2],
      [4, 2],
      [4, 2.5],
      [-1, 2.5],
    ]);
    const rings = intersectSimplePolygons(bar, u)!;
    expect(rings).toHaveLength(2);
    expect(rings.map((ring) => Math.abs(flatSignedArea(ring))).sort()).toEqual([0.5, 0.5]);
  });
});
