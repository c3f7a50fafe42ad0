#!/usr/bin/env node
// Starts every service app in apps/ (built beforehand by `npm start`) on its default port,
// with embedded defaults: SQLite files and data under one data directory, in-process queues.
// Ctrl-C (or SIGTERM) stops them all cleanly.
//
// An app is a service when its package exports `./config`, the module holding its
// `configSchema`: the schema's `port` field (its `env` variable and its `default`) is where the
// port is written, once, for the service and for this script, which reads the built module.
// Each service is started as `node <app>/<main>` and told where the data lives by
// GEOWORKS_DATA_DIR.
//
// Usage: node tools/start.mjs [workspace root]; the root defaults to this repository (the
// tests point it at a small workspace of their own).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(process.argv[2] ?? dirname(dirname(fileURLToPath(import.meta.url))));
const appsDir = join(root, 'apps');
const dataDir = resolve(process.env.GEOWORKS_DATA_DIR || join(root, 'data'));
const STOP_TIMEOUT_MS = 20_000;

/** The service apps, each with its built config module and main, in name order. */
function findServices() {
  if (!existsSync(appsDir)) return [];
  return readdirSync(appsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(appsDir, entry.name, 'package.json')))
    .map((entry) => {
      const dir = join(appsDir, entry.name);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const exported = pkg.exports?.['./config'];
      if (exported === undefined) return null;
      const config = join(dir, typeof exported === 'string' ? exported : exported.default);
      return { name: entry.name, dir, config, main: join(dir, pkg.main ?? 'dist/main.js') };
    })
    .filter((service) => service !== null)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The port a service listens on: its schema's port variable when set, else the default. */
async function portOf(service) {
  const { configSchema } = await import(pathToFileURL(service.config).href);
  const field = configSchema?.port;
  if (field?.env === undefined || field.default === undefined)
    throw new Error(`${service.config} has no configSchema.port with an env and a default`);
  const given = process.env[field.env]?.trim();
  const text = given ? given : String(field.default);
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new Error(`${field.env}=${JSON.stringify(text)}: expected a port from 1 to 65535`);
  return port;
}

function waitForPort(port, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePort, reject) => {
    const attempt = () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error('exited before it started listening'));
        return;
      }
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.end();
        resolvePort();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`nothing listens on port ${port} after ${timeoutMs / 1000} s`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

const services = findServices();
for (const service of services) {
  const missing = [service.config, service.main].find((file) => !existsSync(file));
  if (missing !== undefined) {
    console.error(
      `geoworks: ${service.name} is not built (${missing} is missing); run npm run build`,
    );
    process.exit(1);
  }
  try {
    service.port = await portOf(service);
  } catch (error) {
    console.error(`geoworks: ${service.name}: ${error.message}`);
    process.exit(1);
  }
}
if (services.length === 0) {
  console.log('geoworks: no service apps in apps/ yet, so there is nothing to start.');
  console.log('geoworks: the libraries in packages/ are built and ready to import.');
  process.exit(0);
}

const width = Math.max(...services.map((service) => service.name.length));
const children = [];
let stopping = false;

function prefixLines(stream, name, out) {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    out.write(`${name.padEnd(width)} | ${line}\n`);
  });
}

async function stopAll(exitCode) {
  if (stopping) return;
  stopping = true;
  console.log('\ngeoworks: stopping services...');
  const running = children.filter(
    ({ child }) => child.exitCode === null && child.signalCode === null,
  );
  for (const { child } of running) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const { name, child } of running) {
      if (child.exitCode === null && child.signalCode === null) {
        console.log(
          `geoworks: ${name} did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it`,
        );
        child.kill('SIGKILL');
      }
    }
  }, STOP_TIMEOUT_MS);
  await Promise.all(running.map(({ exited }) => exited));
  clearTimeout(timer);
  console.log('geoworks: all services stopped');
  process.exit(exitCode);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

console.log(`geoworks: starting ${services.length} service(s); data in ${dataDir}`);
for (const service of services) {
  // Own process group: a Ctrl-C reaches only this supervisor, which stops each service once;
  // the IPC channel lets a service notice if this supervisor dies without a word.
  const child = spawn(process.execPath, [service.main], {
    cwd: root,
    env: { ...process.env, GEOWORKS_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  children.push({ name: service.name, child, exited });
  prefixLines(child.stdout, service.name, process.stdout);
  prefixLines(child.stderr, service.name, process.stderr);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(
        `geoworks: ${service.name} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping the others`,
      );
      void stopAll(1);
    }
  });
}

const results = await Promise.allSettled(
  services.map((service, index) => waitForPort(service.port, children[index].child)),
);
if (stopping) await new Promise(() => undefined);
const failed = results
  .map((result, index) => [result, services[index]])
  .filter(([result]) => result.status === 'rejected');
for (const [result, service] of failed)
  console.error(`geoworks: ${service.name} did not start: ${result.reason.message}`);
if (failed.length > 0) await stopAll(1);

console.log('');
console.log('geoworks: services running (Ctrl-C stops them all)');
for (const service of services) {
  console.log(
    `  ${service.name.padEnd(width)}  http://localhost:${service.port}/   (API description: /openapi.json)`,
  );
}
