import { defineConfig } from 'tsup';

// One entry per public subpath; drivers stay external so `import '@creatorflow/sync'`
// never loads pg, PGlite or ioredis.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    pg: 'src/adapters/pg.ts',
    pglite: 'src/adapters/pglite.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  treeshake: true,
  external: ['pg', '@electric-sql/pglite', 'ioredis'],
});
