// flux-server benchmark: `npm run bench -w @geoworks/flux-server`.
// The HTTP side of the flux API over the casa_gfed_2004 fixture (2,635 cells, 8 steps),
// keep-alive on loopback with 8 requests in flight: requests per second and the body size of
// a map (JSON and GeoTIFF), a series over all cells, and the scenario's metadata. The queries
// themselves at full scale are flux-store's benchmark.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Agent, request } from 'node:http';
import { CASA, makeDatabase, startServer } from '../test/helpers.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const IN_FLIGHT = 8;
const SCENARIO = '/flux/api/scenarios/casa_gfed_2004';

const dbPath = await makeDatabase([CASA]);
const server = await startServer(dbPath);
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function get(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(new URL(path, server.url), { agent }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${path}: ${res.statusCode}`)),
      );
    })
      .on('error', reject)
      .end();
  });
}

try {
  console.log('flux-server: casa_gfed_2004 (2,635 cells x 8 steps)');
  for (const [label, path] of [
    ['map, JSON (xy.json)', `${SCENARIO}/xy.json?time=2004-06-30T03:00`],
    ['map, GeoTIFF (xy.tif)', `${SCENARIO}/xy.tif?time=2004-06-30T03:00`],
    [
      'daily mean series (t.json)',
      `${SCENARIO}/t.json?start=2004-06-30&end=2004-07-01&aggregate=mean&interval=daily`,
    ],
    ['metadata (.json)', `${SCENARIO}.json`],
  ] as const) {
    const bytes = await get(path);
    let sent = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (sent < REQUESTS) {
          sent++;
          await get(path);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${label.padEnd(28)} ${(REQUESTS / seconds).toFixed(0).padStart(6)} requests/s  ${(bytes / 1024).toFixed(0).padStart(6)} KiB each  ${((REQUESTS * bytes) / seconds / 2 ** 20).toFixed(0).padStart(4)} MiB/s`,
    );
  }
} finally {
  agent.destroy();
  await server.stop();
  rmSync(dirname(dbPath), { recursive: true, force: true });
}
