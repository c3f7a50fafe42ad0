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

/** Absolute path of the fixture data folder. */
export function fixturesDir(): string {
  return fileURLToPath(dataRoot);
}
