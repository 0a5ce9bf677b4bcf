import { defineConfig } from 'vitest/config';

/** Test configuration: unit, infra, workflow and end-to-end suites all run under `npm test`. */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
