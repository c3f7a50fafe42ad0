// planar benchmark: `npm run bench -w @geoworks/planar`.
// 40,000 star-shaped polygons of 31 positions (the stars of the geodata benchmark, made here in
// memory as flat rings) measured on Mollweide, with signed areas, boxes and point-in-polygon
// tests; best of BENCH_REPEAT (3) each.
import { flatBbox, flatMollweideArea, flatPointInRings, flatSignedArea } from '../src/index.js';

const FEATURES = Number(process.env.BENCH_FEATURES ?? 40_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const POINTS_PER_POLYGON = 16;

function makeStars(): Float64Array[] {
  let state = 7;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const stars: Float64Array[] = [];
  for (let i = 0; i < FEATURES; i++) {
    const [cx, cy] = [next() * 50, next() * 40];
    const radius = 0.05 + next() * 0.25;
    const ring = new Float64Array(62);
    for (let k = 0; k < 30; k++) {
      const r = k % 2 === 0 ? radius : radius * 0.5;
      ring[2 * k] = cx + r * Math.cos((Math.PI * k) / 15);
      ring[2 * k + 1] = cy + r * Math.sin((Math.PI * k) / 15);
    }
    ring[60] = ring[0]!;
    ring[61] = ring[1]!;
    stars.push(ring);
  }
  return stars;
}

function best(run: () => void): number {
  let seconds = Infinity;
  for (let attempt = 0; attempt < REPEAT; attempt++) {
    const started = performance.now();
    run();
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
  }
  return seconds;
}

const stars = makeStars();
const vertices = FEATURES * 31;
console.log(`planar: ${FEATURES} polygons of 31 positions, flat rings`);
const line = (label: string, seconds: number, rate: string) =>
  console.log(`${label.padEnd(32)} ${seconds.toFixed(3).padStart(6)} s  ${rate}`);

let total = 0;
const areaSeconds = best(() => {
  total = 0;
  for (const ring of stars) total += flatMollweideArea([[ring]]);
});
line(
  'Mollweide areas',
  areaSeconds,
  `${(FEATURES / areaSeconds).toFixed(0)} polygons/s  ${(vertices / areaSeconds / 1e6).toFixed(1)} M positions/s  (total ${(total / 1e6).toFixed(0)} km2)`,
);

let planarTotal = 0;
const signedSeconds = best(() => {
  planarTotal = 0;
  for (const ring of stars) planarTotal += flatSignedArea(ring);
});
line(
  'signed areas (degrees²)',
  signedSeconds,
  `${(vertices / signedSeconds / 1e6).toFixed(0)} M positions/s  (total ${planarTotal.toFixed(1)})`,
);

let boxes = 0;
const bboxSeconds = best(() => {
  boxes = 0;
  for (const ring of stars) boxes += flatBbox([ring])[2];
});
line(
  'bounding boxes',
  bboxSeconds,
  `${(vertices / bboxSeconds / 1e6).toFixed(0)} M positions/s  (east edges add up to ${boxes.toFixed(0)})`,
);

// Points on a 4 x 4 grid over each star's box: some inside, some between the arms, some out.
let inside = 0;
const pointSeconds = best(() => {
  inside = 0;
  for (const ring of stars) {
    const [minX, minY, maxX, maxY] = flatBbox([ring]);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const x = minX + ((i + 0.5) / 4) * (maxX - minX);
        const y = minY + ((j + 0.5) / 4) * (maxY - minY);
        if (flatPointInRings(x, y, [ring])) inside++;
      }
    }
  }
});
const tests = FEATURES * POINTS_PER_POLYGON;
line(
  'point in polygon (with its box)',
  pointSeconds,
  `${(tests / pointSeconds / 1e6).toFixed(1)} M tests/s  (${((100 * inside) / tests).toFixed(0)}% inside)`,
);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
