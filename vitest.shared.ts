import type { UserWorkspaceConfig } from 'vitest/config';

// Vite's default server conditions, after ours.
const defaultServerConditions = ['module', 'node', 'development|production'];

/**
 * Every project's vitest settings. Tests import sibling packages from their TypeScript sources
 * (the `@geoworks/source` export condition), so `npm test` needs no build step.
 */
export function sharedProjectConfig(
  name: string,
  overrides: NonNullable<UserWorkspaceConfig['test']> = {},
): UserWorkspaceConfig {
  const conditions = ['@geoworks/source', ...defaultServerConditions];
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@geoworks/source'] } },
    test: {
      name,
      environment: 'node',
      include: ['test/**/*.test.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...overrides,
    },
  };
}
