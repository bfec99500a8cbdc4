/**
 * Conflict resolution: detection window, source priorities, strategies
 * (lastWriteWins, businessRules, manual, fieldMerge, custom), escalation,
 * audit, manual queue and reports.
 *
 * @example
 * ```ts
 * import { createEventStore } from '@creatorflow/sync';
 * import { ConflictResolver } from '@creatorflow/sync/conflicts';
 * import { commerceConflictConfig } from '@creatorflow/sync/commerce';
 * const resolver = new ConflictResolver({ store: createEventStore(), config: commerceConflictConfig() });
 * await resolver.migrate();
 * const record = await resolver.resolve({ entityType: 'inventory', entityId: 'sku-1', base: { quantity: 20 },
 *   contenders: [tiktokSays18, adminSays20] });
 * record.resolution.after; // { quantity: 18 }
 * ```
 */
export {
  DEFAULT_MAX_DRIFT_MS,
  HybridLogicalClock,
  compareHlc,
  formatHlc,
  isWithinDrift,
  parseHlc,
  type HlcReceipt,
  type HlcTimestamp,
  type HybridLogicalClockOptions,
} from '../core/hlc.js';
export { BUILT_IN_STRATEGIES, DEFAULT_CONFLICT_KIND, DEFAULT_MISMATCH_KIND } from './types.js';
export type {
  ConflictImpact,
  ConflictInput,
  ConflictKind,
  ConflictMarker,
  Contender,
  ContenderInput,
  ContenderRole,
  EscalationReason,
  FieldRule,
  DecisionActor,
  ManualDecision,
  Resolution,
  SourceName,
  StrategyName,
} from './types.js';
export type { Json, JsonObject } from './json.js';
export { canonicalJson, jsonEquals } from './json.js';
export {
  CONFLICT_ERROR_CODES,
  ConflictError,
  ConflictNotFoundError,
  ConflictNotPendingError,
  EntityMismatchError,
  isConflictError,
  MalformedConflictInputError,
  UnknownSourceError,
  UnknownStrategyError,
} from './errors.js';
export type { ConflictErrorCode } from './errors.js';
export {
  DEFAULT_MINIMUM_RULE,
  DEFAULT_THRESHOLDS,
  DEFAULT_WINDOW_MS,
  createConflictConfig,
  policyFor,
  windowFor,
  type ConflictConfig,
  type ConflictConfigInput,
  type CrossPlatformRule,
  type DetectedEventRule,
  type EntityPolicy,
  type EscalationThresholds,
  type FieldLimit,
  type ImpactEstimator,
  type QuantityConflictFields,
  type TerminalStates,
} from './config.js';
export { compareContenders, compareEarliest } from './pipeline/total-order.js';
export {
  contenderSchema,
  conflictInputSchema,
  prepareConflict,
  type PreparedConflict,
} from './pipeline/contender.js';
export { classifyConflict, hasCrossPlatformMismatch } from './pipeline/classify.js';
export { discrepancyPercent, measureImpact, thresholdReasons } from './pipeline/escalation.js';
export { conflictIdFor } from './pipeline/conflict-id.js';
export { detectConflicts, type DetectedConflict, type Detection } from './pipeline/detect.js';
export { resolveConflict } from './pipeline/resolve.js';
export { applyManualDecision, manualDecisionSchema } from './pipeline/manual-decision.js';
export type {
  ConflictStrategy,
  FieldCandidate,
  FieldDecision,
  FieldStrategyInput,
} from './pipeline/strategies/strategy.js';
export { businessRules } from './pipeline/strategies/business-rules.js';
export { fieldMerge } from './pipeline/strategies/field-merge.js';
export { lastWriteWins } from './pipeline/strategies/last-write-wins.js';
export { manual } from './pipeline/strategies/manual.js';
export { builtInStrategies, createStrategyRegistry } from './pipeline/strategies/registry.js';
export {
  ConflictEngine,
  createConflictEngine,
  type ConflictEngineOptions,
} from './pipeline/conflict-engine.js';
export type {
  AuditQuery,
  AuditStatus,
  ConflictAuditStore,
  ConflictRecord,
  ManualOverride,
} from './service/audit/audit-record.js';
export { AUDIT_STATUSES } from './service/audit/audit-record.js';
export { MemoryAuditStore } from './service/audit/memory-audit-store.js';
export { CONFLICTS_COMPONENT, SqlAuditStore } from './service/audit/sql-audit-store.js';
export { migrations as conflictMigrations } from './service/sql/index.generated.js';
export { conflictEventSchemas, conflictStreamId } from './service/event-schemas.js';
export {
  CONFLICT_ESCALATED_EVENT,
  CONFLICT_RESOLVED_EVENT,
  GENERIC_CONFLICT_DETECTED_EVENT,
  quantityConflictFields,
  type ConflictDetectedData,
  type ConflictEscalatedData,
  type ConflictResolvedData,
} from './service/events.js';
export {
  REPORT_BUCKETS,
  buildConflictReport,
  type ConflictReport,
  type ReportBucket,
  type ReportBucketRow,
} from './service/reports.js';
export {
  ConflictResolver,
  type ConflictResolverEvents,
  type ConflictResolverOptions,
  type PreparedResolution,
  type ProcessResult,
  type ResolveOptions,
  type ResolveRequest,
} from './service/conflict-resolver.js';
export type { ConflictEventDetail } from './service/summary-events.js';
