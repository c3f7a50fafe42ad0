// service-kit benchmark: `npm run bench -w @geoworks/service-kit`.
// A service made with serveApp (request logging at info to /dev/null, JSON parsing, a typed
// route, not-found and error handlers), loaded over keep-alive HTTP on loopback with 32
// requests in flight: requests per second and latency percentiles for a small JSON GET, a
// JSON POST and a 404.
import { open } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { NotFoundError } from '@geoworks/errors';
import { createApi, createLogger, serveApp } from '../src/index.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const IN_FLIGHT = 32;

const devNull = await open('/dev/null', 'w');
const logger = createLogger({
  level: 'info',
  destination: { write: (line: string) => void devNull.write(line) },
});
const api = createApi({ title: 'bench', version: '1' });
const items = new Map([['a', { id: 'a', name: 'first' }]]);
api.route({
  method: 'get',
  path: '/items/:id',
  summary: 'One item',
  responses: { '200': { description: 'The item' } },
  handler: (req, res) => {
    const item = items.get(req.params.id);
    if (item === undefined) throw new NotFoundError(`No item ${req.params.id}`);
    res.json(item);
  },
});
api.route({
  method: 'post',
  path: '/items',
  summary: 'Echo',
  responses: { '200': { description: 'The body' } },
  handler: (req, res) => {
    res.json({ received: req.body as unknown });
  },
});
const server = await serveApp({ logger, port: 0, host: '127.0.0.1', handlers: [api.router] });
const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function call(method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path.slice(1)}`,
      {
        method,
        agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

try {
  for (const [label, method, path, body, status] of [
    ['GET /items/a (200)', 'GET', '/items/a', undefined, 200],
    ['POST /items (200)', 'POST', '/items', JSON.stringify({ name: 'x'.repeat(200) }), 200],
    ['GET /items/b (404)', 'GET', '/items/b', undefined, 404],
  ] as const) {
    const latencies: number[] = [];
    let sent = 0;
    const started = performance.now();
    const worker = async () => {
      while (sent < REQUESTS) {
        sent++;
        const begun = performance.now();
        if ((await call(method, path, body)) !== status) throw new Error(`not ${status}`);
        latencies.push(performance.now() - begun);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(2);
    console.log(
      `${label.padEnd(20)} ${(REQUESTS / seconds).toFixed(0).padStart(6)} requests/s  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`,
    );
  }
} finally {
  agent.destroy();
  await server.stop();
  await devNull.close();
}
