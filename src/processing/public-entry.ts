/**
 * `@creatorflow/sync/processing`: the processing primitives beyond the root
 * entry's processors and projections (the root stays under its name budget).
 * Today: projection sets — several tables folded together per batch, later
 * tables folding earlier ones' row changes, rows locked per tenant — and
 * their storage port; the type of an at-least-once handler's
 * `ctx.withCheckpoint`; the watcher of rebuilds run by other processes.
 */
export { createProjectionSet, ProjectionSet } from './projection-set/projection-set.js';
export {
  PROJECTION_SET_MODES,
  type GuardedBatch,
  type ProjectionSetEventMap,
  type ProjectionSetGuard,
  type ProjectionSetMode,
  type ProjectionSetOptions,
  type TenantOf,
} from './projection-set/projection-set-options.js';
export { rowChangeOf, rowEventType } from './projection-set/fold-set.js';
export type { RowFilterValue, RowQuery } from './projection-set/row-query.js';
export {
  memoryProjectionSetStorage,
  sqlProjectionSetStorage,
  type MemoryProjectionSetStorage,
  type ProjectionSetStorage,
  type SetGeneration,
  type SqlProjectionSetStorage,
} from './projection-set/projection-set-storage.js';
export { projectionSetStorageOf } from './state/processing-state-of.js';
export type { MemoryBatch } from './projection-set/memory-set-tables.js';
export type { AdvisoryLock } from './projection/advisory-locks.js';
export type { CheckpointWrite } from './state/processing-state.js';
export {
  projectionRebuiltTopic,
  watchProjectionRebuilds,
  type ProjectionRebuildWatch,
  type ProjectionRebuildWatchOptions,
  type ProjectionRebuilt,
} from './projection/rebuild-watch.js';
