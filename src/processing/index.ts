/**
 * Processing: checkpointed, leased processors of the global log, partitioned
 * processors shared by several hosts, projection builders with row-change
 * feeds and blue/green rebuilds, dead letters, retries.
 */
export { createProcessor, Processor, type RedriveResult } from './processor.js';
export { DELIVERY_MODES } from './processor-options.js';
export type {
  BatchHandler,
  DeliveryMode,
  EventHandler,
  HandlerContext,
  LeaseOptions,
  PostCommit,
  ProcessorOptions,
  StartFrom,
} from './processor-options.js';
export type { ProcessorEventMap, ProcessorLag } from './processor-events.js';
export {
  createPartitionedProcessor,
  PartitionedProcessor,
  type PartitionedProcessorEventMap,
} from './partitions/partitioned-processor.js';
export { MAX_PARTITIONS, type PartitionedProcessorOptions } from './partitions/partitioned-options.js';
export {
  fnv1a32,
  partitionOf,
  streamPartitionKey,
  tenantPartitionKey,
  type PartitionKey,
} from './partitions/partition-key.js';
export { partitionName, partitionNames } from './partitions/partition-names.js';
export { assignPartitions } from './partitions/assign-partitions.js';
export { readLayout } from './partitions/layout-store.js';
export { migrateProcessing } from './migrate-processing.js';
export {
  CheckpointMovedError,
  isCheckpointMovedError,
  isLeaseLostError,
  isProcessorDeadLetteredError,
  isProcessorWaitTimeoutError,
  LEASE_LOST_REASONS,
  LeaseLostError,
  ProcessingNotFoundError,
  ProcessorDeadLetteredError,
  ProcessorLayoutError,
  ProcessorRetiredError,
  ProcessorRunningError,
  ProcessorStoppedError,
  ProcessorWaitTimeoutError,
  type LeaseLostReason,
} from './errors.js';
export {
  advanceCheckpoint,
  claimCheckpoint,
  loadCheckpoint,
  lockCheckpointRow,
  readCheckpoint,
  readCheckpoints,
  saveCheckpoint,
} from './checkpoint-store.js';
export { readProcessorCheckpoint } from './checkpoint-reader.js';
export type {
  CheckpointWrite,
  ProcessingState,
  StateCommitOptions,
  StateWork,
} from './state/processing-state.js';
export {
  memoryProcessingState,
  type MemoryProcessingMaps,
  type MemoryProcessingOptions,
} from './state/memory-processing-state.js';
export { sqlProcessingState } from './state/sql-processing-state.js';
export {
  processingStateOf,
  projectionSetStorageOf,
  projectionStorageOf,
} from './state/processing-state-of.js';
export {
  memoryProjectionStorage,
  sqlProjectionStorage,
  type MemoryProjectionStorage,
  type ProjectionStorage,
  type SqlProjectionStorage,
} from './projection/projection-storage.js';
export {
  acquireLease,
  leaseHolder,
  releaseLease,
  renewLease,
  sqlLeases,
  type LeaseRow,
  type LeaseTarget,
} from './lease.js';
// Leases are the runtime kernel's; re-exported where processors' users look for them.
export {
  DEFAULT_LEASE_TTL_MS,
  defaultLeaseOwner,
  LeaseKeeper,
  resolveLeaseTiming,
  type LeaseKeeperOptions,
  type LeasePort,
  type LeaseTiming,
  type LeaseTimingOptions,
} from '../runtime/index.js';
// The retry model is the runtime kernel's; re-exported where processors' users look for it.
export {
  DEFAULT_RETRY_POLICY,
  resolveRetryPolicy,
  withRetry,
  type RetryPolicy,
  type RetryPolicyInput,
  type WithRetryOptions,
} from '../runtime/index.js';
export {
  describeError,
  memoryDeadLetterQueue,
  sqlDeadLetterQueue,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterQueue,
  type NewDeadLetter,
} from './dead-letter-queue.js';
export {
  defineProjection,
  PROJECTION_MODES,
  type ProjectionDefinition,
  type ProjectionDefinitionInput,
  type ProjectionChannel,
  type ProjectionHandler,
  type ProjectionHandlers,
  type ProjectionMode,
  type ProjectionResult,
} from './projection/definition.js';
export {
  createProjection,
  Projection,
  type CreateProjectionOptions,
  type ProjectionEventMap,
  type ProjectionRebuildOptions,
} from './projection/projection.js';
export {
  rebuildProjection,
  REBUILD_PHASES,
  type RebuildOptions,
  type RebuildPhase,
  type RebuildProgress,
  type RebuildResult,
} from './projection/rebuild.js';
export {
  projectionRebuiltTopic,
  watchProjectionRebuilds,
  type ProjectionRebuildWatch,
  type ProjectionRebuildWatchOptions,
  type ProjectionRebuilt,
} from './projection/rebuild-watch.js';
export { applyProjectionBatch } from './projection/apply-batch.js';
export { MemoryTable } from './projection/memory-table.js';
export { SqlTable } from './projection/sql-table.js';
export {
  rowKey,
  rowMatches,
  withoutMerge,
  type MergedRows,
  type TableBackend,
  type TableWrites,
} from './projection/table-backend.js';
export type { MergeOperation, MergeSpec, ProjectionMerge } from './projection/merge-columns.js';
// Projection sets: the same names as the public `/processing` entry.
export {
  createProjectionSet,
  memoryProjectionSetStorage,
  PROJECTION_SET_MODES,
  ProjectionSet,
  rowChangeOf,
  rowEventType,
  sqlProjectionSetStorage,
} from './public-entry.js';
export type {
  AdvisoryLock,
  GuardedBatch,
  MemoryBatch,
  MemoryProjectionSetStorage,
  ProjectionSetEventMap,
  ProjectionSetGuard,
  ProjectionSetMode,
  ProjectionSetOptions,
  ProjectionSetStorage,
  RowFilterValue,
  RowQuery,
  SqlProjectionSetStorage,
  TenantOf,
} from './public-entry.js';
