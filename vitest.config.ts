import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file gets its own PostgreSQL schema, so files can run in parallel.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
