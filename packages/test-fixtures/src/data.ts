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

/** A flux fixture as the tests load it: `flux-manage load -p path -m model -n name -o overrides`. */
export interface FluxFixtureDataset {
  name: string;
  model: string;
  path: string;
  overrides?: string;
}

/**
 * The original's three test files under the names and settings the flux tests give them: the
 * casa grid dated 2004-06-30 (its configuration file says 2012), the kriged map dated
 * 2009-06-15 (its file name carries no date), and the XCO2 points as they are.
 */
export const fluxDatasets = {
  casa: {
    name: 'casa_gfed_2004',
    model: 'SpatioTemporalMatrix',
    path: fluxFixture('casagfed2004.mat'),
    overrides: 'timestamp=2004-06-30T00:00:00;var_name=casa_gfed_2004;title=Surface Carbon Flux',
  },
  kriged: {
    name: 'kriged',
    model: 'KrigedXCO2Matrix',
    path: fluxFixture('kriged_xco2.mat'),
    overrides: 'timestamp=2009-06-15T00:00:00',
  },
  xco2: { name: 'xco2', model: 'XCO2Matrix', path: fluxFixture('xco2.mat') },
} as const satisfies Record<string, FluxFixtureDataset>;

/** Absolute path of a matrix-reader fixture: MAT v5 and v7.3 variables of every kind (see data/matfile/README.md). */
export function matfileFixture(name: string): string {
  return fileURLToPath(new URL(`matfile/${name}`, dataRoot));
}

/** Absolute path of the fixture data folder. */
export function fixturesDir(): string {
  return fileURLToPath(dataRoot);
}
