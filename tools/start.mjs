#!/usr/bin/env node
// Starts every service app in apps/ (built beforehand by `npm start`) on its default port,
// with embedded defaults: SQLite files and data under one data directory, in-process queues.
// Ctrl-C (or SIGTERM) stops them all cleanly.
//
// An app is a service when its package.json has `"geoworks": { "service": { "port": N } }`;
// it is started as `node <app>/<main>` and told where the data lives by GEOWORKS_DATA_DIR.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const appsDir = join(root, 'apps');
const dataDir = resolve(process.env.GEOWORKS_DATA_DIR ?? join(root, 'data'));
const STOP_TIMEOUT_MS = 20_000;

function findServices() {
  if (!existsSync(appsDir)) return [];
  return readdirSync(appsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(appsDir, entry.name, 'package.json')))
    .map((entry) => {
      const dir = join(appsDir, entry.name);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const service = pkg.geoworks?.service;
      if (service === undefined) return null;
      const portEnv = service.portEnv;
      const port = Number((portEnv && process.env[portEnv]) || service.port);
      return { name: entry.name, dir, main: join(dir, pkg.main ?? 'dist/main.js'), port };
    })
    .filter((service) => service !== null)
    .sort((a, b) => a.name.localeCompare(b.name));
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
  if (!existsSync(service.main)) {
    console.error(
      `geoworks: ${service.name} is not built (${service.main} is missing); run npm run build`,
    );
    await stopAll(1);
  }
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
