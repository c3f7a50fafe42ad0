import { fileURLToPath } from 'node:url';
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

/**
 * A service's project: as any other, and every test file also fails when a route answered with
 * a status its OpenAPI document does not list.
 */
export function serviceProjectConfig(
  name: string,
  overrides: NonNullable<UserWorkspaceConfig['test']> = {},
): UserWorkspaceConfig {
  const documentedAnswers = fileURLToPath(
    new URL('./vitest.documented-answers.ts', import.meta.url),
  );
  return sharedProjectConfig(name, {
    ...overrides,
    setupFiles: [documentedAnswers, ...[overrides.setupFiles ?? []].flat()],
  });
}
