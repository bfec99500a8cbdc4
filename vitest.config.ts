import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import tsconfig from './tsconfig.json' with { type: 'json' };

// Examples import the package by name, as a user's code does; tsconfig's
// `paths` map each public entry to its source, for tsc, tsx and (here) Vite.
const paths: Record<string, string[]> = tsconfig.compilerOptions.paths;
const alias = Object.entries(paths).map(([name, [target = '']]) => ({
  find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`),
  replacement: fileURLToPath(new URL(target, import.meta.url)),
}));

export default defineConfig({
  resolve: { alias },
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
