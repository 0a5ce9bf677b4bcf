import { defineConfig } from 'vitest/config';

/** Mutation-run configuration (`npm run mutation`, Stryker): the unit suite only, never part of `npm test`. */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
