import { defineConfig } from 'tsup';

// One entry per public subpath; drivers stay external so `import '@creatorflow/sync'`
// never loads pg, PGlite or ioredis. p-retry is ESM-only: bundling it keeps the
// CJS build loadable with require() on every Node 20.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      pg: 'src/adapters/pg.ts',
      pglite: 'src/adapters/pglite.ts',
      redis: 'src/adapters/redis.ts',
      client: 'src/client/index.ts',
      testing: 'src/testing/index.ts',
      http: 'src/http/index.ts',
      commerce: 'src/commerce/index.ts',
      cache: 'src/cache/index.ts',
      monitoring: 'src/monitoring/index.ts',
      processing: 'src/processing/public-entry.ts',
      conflicts: 'src/conflicts/public-entry.ts',
      access: 'src/access/public-entry.ts',
      scheduling: 'src/scheduling/public-entry.ts',
      ingest: 'src/ingest/public-entry.ts',
      errors: 'src/core/errors-entry.ts',
      sagas: 'src/sagas/public-entry.ts',
      realtime: 'src/realtime/public-entry.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    // Shared chunks: one copy of each module across entries, so an error class
    // thrown by `/commerce` is the class `instanceof` checks against from the root.
    splitting: true,
    treeshake: true,
    external: ['pg', '@electric-sql/pglite', 'ioredis', 'vitest', 'lru-cache', 'prom-client'],
    noExternal: ['p-retry', 'is-network-error'],
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    external: ['pg', '@electric-sql/pglite', 'ioredis'],
    noExternal: ['p-retry', 'is-network-error'],
  },
]);
