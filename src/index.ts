/**
 * @creatorflow/sync — the core. No database driver is imported here; adapters
 * live behind `@creatorflow/sync/pg`, `/pglite` and `/redis`.
 */
export * from './core/errors.js';
export * from './core/logger.js';
export type * from './core/sql-client.js';
export { PG_ERROR, pgErrorCode, quoteIdent } from './core/sql-client.js';
export { runMigrations, type Migration, type RunMigrationsOptions } from './core/migrator.js';
export type * from './core/row-change.js';
export { ROW_OPERATIONS } from './core/row-change.js';
export * from './store/index.js';
export * from './conflicts/index.js';
export * from './processing/index.js';
export * from './sagas/index.js';
export * from './ingest/index.js';
export * from './realtime/index.js';
export * from './engine.js';
