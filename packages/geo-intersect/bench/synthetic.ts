// Synthetic benchmark data, as the pandarus baselines were measured (spec section 8):
// irregular star-shaped polygons (about 30 vertices, radius 0.05-0.3 degrees) scattered over a
// 50 x 40 degree area, and the non-overlapping 1 x 1 degree cells of that area with gently
// warped edges (about 500 vertices each). Shared edges are computed once, so neighbouring
// cells match exactly and never overlap.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface SyntheticOptions {
  stars?: number;
  columns?: number;
  rows?: number;
  pointsPerEdge?: number;
  seed?: number;
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function writeFeatures(path: string, features: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  out.write('{"type": "FeatureCollection", "features": [\n');
  let first = true;
  for (const feature of features) {
    if (!out.write((first ? '' : ',\n') + feature)) await once(out, 'drain');
    first = false;
  }
  out.end('\n]}\n');
  await once(out, 'finish');
}

const round = (value: number) => Math.round(value * 1e7) / 1e7;

function* stars(
  count: number,
  width: number,
  height: number,
  next: () => number,
): Generator<string> {
  for (let i = 0; i < count; i++) {
    const cx = next() * width;
    const cy = next() * height;
    const radius = 0.05 + next() * 0.25;
    const spikes = 15;
    const ring: [number, number][] = [];
    for (let k = 0; k < spikes * 2; k++) {
      const angle = (Math.PI * k) / spikes + next() * 0.05;
      const r = (k % 2 === 0 ? radius : radius * (0.4 + next() * 0.2)) * (0.9 + next() * 0.2);
      ring.push([round(cx + r * Math.cos(angle)), round(cy + r * Math.sin(angle))]);
    }
    ring.push(ring[0]!);
    yield `{"type": "Feature", "properties": {"star": ${i}}, "geometry": {"type": "Polygon", "coordinates": [${JSON.stringify(ring)}]}}`;
  }
}

function* cells(columns: number, rows: number, pointsPerEdge: number): Generator<string> {
  // The warp of an edge depends only on the edge, so both cells sharing it agree.
  const horizontal = (x: number, y: number): [number, number][] =>
    Array.from({ length: pointsPerEdge }, (_, k) => {
      const t = k / pointsPerEdge;
      return [round(x + t), round(y + 0.03 * Math.sin(Math.PI * t) * Math.sin(x * 1.7 + y * 0.9))];
    });
  const vertical = (x: number, y: number): [number, number][] =>
    Array.from({ length: pointsPerEdge }, (_, k) => {
      const t = k / pointsPerEdge;
      return [round(x + 0.03 * Math.sin(Math.PI * t) * Math.cos(x * 0.8 + y * 1.3)), round(y + t)];
    });
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const bottom = horizontal(column, row);
      const right = vertical(column + 1, row);
      const top = horizontal(column, row + 1).reverse();
      const left = vertical(column, row).reverse();
      // Counter-clockwise: bottom left to right, right upwards, top right to left, left downwards.
      const ring = [
        ...bottom,
        ...right,
        [column + 1, row + 1] as [number, number],
        ...top.slice(0, -1),
        [column, row + 1] as [number, number],
        ...left.slice(0, -1),
        bottom[0]!,
      ];
      yield `{"type": "Feature", "properties": {"cell": "c${row}-${column}"}, "geometry": {"type": "Polygon", "coordinates": [${JSON.stringify(dedupe(ring))}]}}`;
    }
  }
}

function dedupe(ring: [number, number][]): [number, number][] {
  return ring.filter(
    (point, i) => i === 0 || point[0] !== ring[i - 1]![0] || point[1] !== ring[i - 1]![1],
  );
}

export async function writeSyntheticDatasets(dir: string, options: SyntheticOptions = {}) {
  const columns = options.columns ?? 50;
  const rows = options.rows ?? 40;
  const next = random(options.seed ?? 42);
  const starsPath = `${dir}/stars.geojson`;
  const cellsPath = `${dir}/cells.geojson`;
  await writeFeatures(starsPath, stars(options.stars ?? 20_000, columns, rows, next));
  await writeFeatures(cellsPath, cells(columns, rows, options.pointsPerEdge ?? 125));
  return { starsPath, cellsPath };
}
