export {
  ORDER_RECONCILED_EVENT,
  ORDER_REPORTED_EVENT,
  orderReconciledSchema,
  orderReportedSchema,
  orderReportEvent,
  registerSyncReportEvents,
  STOCK_REPORTED_EVENT,
  stockReportedSchema,
  stockReportEvent,
  type OrderReconciled,
  type OrderReported,
  type StockReported,
} from './report-events.js';
export {
  compareStaged,
  entityKey,
  groupByEntity,
  SYNC_CONTENDERS_COMPONENT,
  type ContenderStaging,
  type OpenEntity,
  type SettledEntityType,
  type StagedContender,
  type StagedEntity,
} from './contender-staging.js';
export { dueWindow } from './settle-window.js';
export { staggeredWindowEnd, windowPhaseMs, type WindowAlignment } from './window-schedule.js';
export { settledOutcome, type SettledOutcome } from './settled-outcome.js';
export {
  RESOLVE_SYNC_CONFLICTS,
  SyncConflictProcessor,
  type SettleResult,
  type SyncConflictEvents,
  type SyncConflictOptions,
} from './sync-conflict-processor.js';
export {
  manualQueueRoutes,
  QUEUE_ADMIN_ROLE,
  type ManualQueueRoutesOptions,
  type QueueCaller,
} from './manual-queue-routes.js';
export { syncReportRoutes, type SyncReportRoutesOptions } from './report-routes.js';
export { OpenEntityIndex, type DueEntity } from './open-index.js';
export { toStaged } from './report-contender.js';
export { ConflictQueue, type ConflictReader, type ConflictReportOptions } from './conflict-queue.js';
export { MemoryContenderStaging } from './memory-contender-staging.js';
export { SqlContenderStaging } from './sql-contender-staging.js';
export { contenderStagingOf } from './contender-staging-of.js';
