// geodata benchmark: `npm run bench -w @geoworks/geodata`.
// A GeoJSON FeatureCollection of 40,000 star-shaped polygons (~30 vertices, ~53 MB, made by
// this script) read with the JavaScript reader and with GDAL's driver, and the WKB read back
// into flat rings (what the measures of @geoworks/planar take); best of BENCH_REPEAT (3) each.
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openVector, readWkb } from '../src/index.js';

const FEATURES = Number(process.env.BENCH_FEATURES ?? 40_000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

async function makeStars(path: string): Promise<void> {
  let state = 7;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out = createWriteStream(path);
  out.write('{"type": "FeatureCollection", "features": [\n');
  for (let i = 0; i < FEATURES; i++) {
    const [cx, cy] = [next() * 50, next() * 40];
    const radius = 0.05 + next() * 0.25;
    const ring: [number, number][] = [];
    for (let k = 0; k < 30; k++) {
      const r = k % 2 === 0 ? radius : radius * 0.5;
      ring.push([cx + r * Math.cos((Math.PI * k) / 15), cy + r * Math.sin((Math.PI * k) / 15)]);
    }
    ring.push(ring[0]!);
    const feature = {
      type: 'Feature',
      properties: { id: i, name: `star ${i}` },
      geometry: { type: 'Polygon', coordinates: [ring] },
    };
    if (!out.write(`${i === 0 ? '' : ',\n'}${JSON.stringify(feature)}`)) await once(out, 'drain');
  }
  out.end('\n]}\n');
  await once(out, 'finish');
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

const dir = mkdtempSync(join(tmpdir(), 'geodata-bench-'));
try {
  const path = join(dir, 'stars.geojson');
  await makeStars(path);
  const megabytes = statSync(path).size / 1e6;
  console.log(
    `geodata: ${FEATURES} polygons of 31 vertices, ${megabytes.toFixed(0)} MB of GeoJSON`,
  );
  const wkbs: Buffer[] = [];
  for (const reader of ['auto', 'gdal'] as const) {
    const seconds = best(() => {
      wkbs.length = 0;
      const dataset = openVector(path, { reader });
      for (const feature of dataset.featuresWkb('id')) wkbs.push(feature.wkb!);
      dataset.close();
    });
    if (wkbs.length !== FEATURES) throw new Error('feature count');
    console.log(
      `${reader === 'auto' ? 'JavaScript reader' : "GDAL's driver   "}  open + every feature as WKB  ${seconds.toFixed(2).padStart(5)} s  ${(FEATURES / seconds).toFixed(0).padStart(7)} features/s  ${(megabytes / seconds).toFixed(0).padStart(4)} MB/s`,
    );
  }
  let positions = 0;
  const ringSeconds = best(() => {
    positions = 0;
    for (const wkb of wkbs)
      for (const ring of readWkb(wkb).polygons.flat()) positions += ring.length / 2;
  });
  console.log(
    `WKB to flat rings (readWkb)           ${ringSeconds.toFixed(2).padStart(5)} s  ${(FEATURES / ringSeconds).toFixed(0).padStart(7)} polygons/s  ${(positions / ringSeconds / 1e6).toFixed(1)} M positions/s`,
  );
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
