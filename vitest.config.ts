import { defineConfig } from 'vitest/config';

// `npm test` runs every project in one vitest process; each project also runs alone
// (`npx vitest run --project job-queue`, or `npx nx test @geoworks/job-queue`).
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
  },
});
