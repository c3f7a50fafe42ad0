import { fileURLToPath } from 'node:url';

const dataRoot = new URL('../data/', import.meta.url);

/** Absolute path of a pandarus reference fixture (see data/pandarus/README.md). */
export function pandarusFixture(name: string): string {
  return fileURLToPath(new URL(`pandarus/${name}`, dataRoot));
}

/** Absolute path of a flux-python-api reference fixture (see data/flux/README.md). */
export function fluxFixture(name: string): string {
  return fileURLToPath(new URL(`flux/${name}`, dataRoot));
}

/** Absolute path of a matrix-reader fixture: MAT v5 and v7.3 variables of every kind (see data/matfile/README.md). */
export function matfileFixture(name: string): string {
  return fileURLToPath(new URL(`matfile/${name}`, dataRoot));
}

/** Absolute path of the fixture data folder. */
export function fixturesDir(): string {
  return fileURLToPath(dataRoot);
}

export { fileAppears, rawConnection } from './connections.js';
export type { RawConnection } from './connections.js';
export { freePort, startRedis } from './redis.js';
export type { RedisServer } from './redis.js';
export { eventually } from './eventually.js';
export { writeMat5 } from './mat5.js';
export { exampleBlock, runExample } from './examples.js';
export { callEveryRoute } from './routes.js';
export type { CallEveryRouteOptions, RouteAnswer } from './routes.js';
export type { RunExampleOptions } from './examples.js';
