// raster-stats benchmark: `npm run bench -w @geoworks/raster-stats`.
// Zonal statistics of 5,000 irregular polygons over a 10,000 x 10,000 float32 tiled GeoTIFF
// (made by this script), by each reader and rule, against the time GDAL needs to read the
// whole raster once. Target: within 2 times that read. Every measurement runs in a fresh
// process (run-once.mjs), as a job would, the file being in the page cache; each figure is the
// best of BENCH_REPEAT (3), the baseline sampled between the runs. BENCH_RUNS (a JSON list of
// [reader, rule, cpus]), BENCH_POLYGONS and BENCH_RASTER_SIZE change the setup.
// `npm run bench` builds the package first and measures the build, as users run it (from the
// sources every worker process would first load a TypeScript loader).
import { execFileSync } from 'node:child_process';
import {
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import gdal from 'gdal-async';
import type { RasterReader, ZonalRule } from '@geoworks/raster-stats';

const SIZE = Number(process.env.BENCH_RASTER_SIZE ?? 10_000);
const POLYGONS = Number(process.env.BENCH_POLYGONS ?? 5_000);
const WIDTH_DEG = 50;
const HEIGHT_DEG = 40;

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

function makeRaster(path: string): void {
  const dataset = gdal.open(path, 'w', 'GTiff', SIZE, SIZE, 1, gdal.GDT_Float32, [
    'TILED=YES',
    'BLOCKXSIZE=256',
    'BLOCKYSIZE=256',
  ]);
  dataset.geoTransform = [0, WIDTH_DEG / SIZE, 0, HEIGHT_DEG, 0, -HEIGHT_DEG / SIZE];
  dataset.srs = gdal.SpatialReference.fromEPSG(4326);
  const band = dataset.bands.get(1);
  band.noDataValue = -9999;
  const rows = 256;
  const strip = new Float32Array(SIZE * rows);
  for (let row = 0; row < SIZE; row += rows) {
    const height = Math.min(rows, SIZE - row);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < SIZE; x++) strip[y * SIZE + x] = ((x * 7 + (row + y) * 13) % 1000) / 10;
    }
    band.pixels.write(0, row, SIZE, height, strip.subarray(0, SIZE * height));
  }
  dataset.close();
}

async function makePolygons(path: string): Promise<void> {
  const next = random(7);
  const out = createWriteStream(path);
  out.write('{"type": "FeatureCollection", "features": [\n');
  for (let i = 0; i < POLYGONS; i++) {
    const cx = 0.5 + next() * (WIDTH_DEG - 1);
    const cy = 0.5 + next() * (HEIGHT_DEG - 1);
    const radius = 0.05 + next() * 0.25;
    const ring: number[][] = [];
    for (let k = 0; k < 30; k++) {
      const angle = (Math.PI * k) / 15;
      const r = k % 2 === 0 ? radius : radius * 0.5;
      ring.push([cx + r * Math.cos(angle), cy + r * Math.sin(angle)]);
    }
    ring.push(ring[0]!);
    const feature = {
      type: 'Feature',
      properties: { id: i },
      geometry: { type: 'Polygon', coordinates: [ring] },
    };
    if (!out.write(`${i === 0 ? '' : ',\n'}${JSON.stringify(feature)}`)) await once(out, 'drain');
  }
  out.end('\n]}\n');
  await once(out, 'finish');
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Measurement {
  seconds: number;
  peakRss: number;
  count?: number;
  pixels?: number;
}

const RUN_ONCE = fileURLToPath(new URL('./run-once.mjs', import.meta.url));

/** One measurement in a fresh Node process (see run-once.mjs). */
function measure(...args: string[]): Measurement {
  return JSON.parse(
    execFileSync(process.execPath, [RUN_ONCE, ...args], { encoding: 'utf8' }),
  ) as Measurement;
}

const dir = mkdtempSync(join(tmpdir(), 'raster-stats-bench-'));
try {
  const raster = join(dir, 'raster.tif');
  const polygons = join(dir, 'polygons.geojson');
  const started = performance.now();
  makeRaster(raster);
  await makePolygons(polygons);
  console.log(
    `raster-stats: ${POLYGONS} polygons over a ${SIZE} x ${SIZE} float32 tiled GeoTIFF (${(statSync(raster).size / 2 ** 20).toFixed(0)} MiB), made in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  // The baseline is sampled between the runs, so that both see the same machine (on a shared
  // VM a full read varies from one minute to the next); every figure is the best of REPEAT.
  const repeat = Number(process.env.BENCH_REPEAT ?? 3);
  const runs: [RasterReader, ZonalRule, number][] = process.env.BENCH_RUNS
    ? (JSON.parse(process.env.BENCH_RUNS) as [RasterReader, ZonalRule, number][])
    : [
        ['gdal', 'centre', 0],
        ['gdal', 'coverage', 0],
        ['gdal', 'centre', 2],
        ['gdal', 'coverage', 2],
        ['geotiff', 'centre', 0],
      ];
  const baselines: Measurement[] = [];
  const results = runs.map(([reader, rule, cpus]) => ({
    label: `${reader} reader, ${rule}, ${cpus === 0 ? 'in process' : `${cpus} workers`}`,
    args: ['zonal', polygons, raster, reader, rule, String(cpus)],
    measurements: [] as Measurement[],
  }));
  for (let attempt = 0; attempt < repeat; attempt++) {
    for (const result of results) {
      baselines.push(measure('read', raster));
      result.measurements.push(measure(...result.args));
    }
  }
  const seconds = (list: Measurement[]) => list.map((m) => m.seconds);
  const baseline = Math.min(...seconds(baselines));
  console.log(
    `GDAL reading the whole raster once: best ${baseline.toFixed(2)} s, median ${median(seconds(baselines)).toFixed(2)} s (${baselines.length} reads), peak RSS ${mib(Math.max(...baselines.map((m) => m.peakRss)))}`,
  );
  for (const { label, measurements } of results) {
    const best = Math.min(...seconds(measurements));
    const { count = 0, pixels = 0 } = measurements[0]!;
    console.log(
      `${label.padEnd(38)} ${best.toFixed(2).padStart(6)} s (median ${median(seconds(measurements)).toFixed(2)}) ${(count / best).toFixed(0).padStart(7)} polygons/s  ${(pixels / 1e6).toFixed(1)} M pixels counted  ${(best / baseline).toFixed(2)}x the full read  peak RSS ${mib(Math.max(...measurements.map((m) => m.peakRss)))}`,
    );
  }
  if (runs.some(([, , cpus]) => cpus > 0)) {
    // What a worker run pays before its first polygon: spawning, loading GDAL, opening.
    const one = join(dir, 'one.geojson');
    const collection = JSON.parse(readFileSync(polygons, 'utf8')) as { features: unknown[] };
    writeFileSync(
      one,
      JSON.stringify({ ...collection, features: collection.features.slice(0, 1) }),
    );
    const startup = Math.min(
      ...Array.from(
        { length: repeat },
        () => measure('zonal', one, raster, 'gdal', 'centre', '2').seconds,
      ),
    );
    console.log(
      `of which starting 2 workers (spawn, load GDAL, open the raster): ${startup.toFixed(2)} s`,
    );
  }
  console.log('target: within 2x the time GDAL needs to read the raster once');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
