/**
 * @creatorflow/sync — the public API of the generic engine, listed name by
 * name so an internal helper never becomes API by accident. No database
 * driver is imported here; adapters live behind `@creatorflow/sync/pg`,
 * `/pglite` and `/redis`, the CreatorFlow domain behind
 * `@creatorflow/sync/commerce`, the browser client behind `/client`.
 * The root keeps what a first app needs; specialised groups have their own
 * subpaths (`/conflicts`, `/access`, `/scheduling`, `/ingest`, `/http`,
 * `/errors`, and `/sagas`, `/realtime`, `/processing` for the advanced
 * parts). test/package/root-exports.test.ts keeps the count (types
 * included) under 250.
 */

// Errors with stable codes.
export {
  AppendOutcomeUnknownError,
  ConcurrencyError,
  DuplicateEventIdError,
  ERROR_CODES,
  IdempotencyKeyReusedError,
  InvalidArgumentError,
  InvalidOptionsError,
  MigrationError,
  NotFoundError,
  NotSupportedError,
  PayloadTooLargeError,
  StoreClosedError,
  StoreUnavailableError,
  SyncError,
  ValidationError,
  isConcurrencyError,
  isInvalidOptionsError,
  isRetryableStoreError,
  isSyncError,
  isValidationError,
} from './core/errors.js';
export type { ErrorCode, ExpectedVersionDescription, ValidationIssue } from './core/errors.js';

// The error-code registry (every code, its module, class and HTTP status) is `/errors`.

// The logger port (pino fits).
export { LOG_LEVELS, consoleLogger, defaultLogger, silentLogger } from './core/logger.js';
export type { ConsoleLoggerOptions, LogFn, LogLevel, Logger } from './core/logger.js';

// Roles, read scopes, the access audit and service API keys are `/access`.

// The SQL port the adapters implement (`/pg`, `/pglite`).
export { PG_ERROR, pgErrorCode, quoteIdent } from './core/sql-client.js';
export type {
  QueryOptions,
  SqlClient,
  SqlQueryable,
  SqlResult,
  SqlTransaction,
  Unlisten,
} from './core/sql-client.js';

// Numbered migrations under an advisory lock.
export { runMigrations } from './core/migrator.js';
export type { Migration, RunMigrationsOptions } from './core/migrator.js';

// Row changes: what projections emit and realtime streams.
export { ROW_OPERATIONS } from './core/row-change.js';
export type { Row, RowChange, RowOperation } from './core/row-change.js';

// Positions in the global log.
export {
  START_CHECKPOINT,
  compareCheckpoints,
  formatCheckpoint,
  isCheckpoint,
  parseCheckpoint,
} from './core/checkpoint.js';
export type { CheckpointParts, LogCheckpoint } from './core/checkpoint.js';

// The event store.
export { UnknownEventTypeError, createEventStore, defineEvents } from './store/index.js';
export type {
  CatalogEvent,
  EventCatalog,
  EventMapOf,
  EventMapOfSchemas,
  EventOf,
  EventOfType,
  NewEventFor,
  NewEventOf,
  UntypedEvents,
  AppendOptions,
  JoinedWrite,
  JoinedWriter,
  AppendRequest,
  AppendResult,
  ArchiveOptions,
  EventMetadata,
  EventStore,
  EventStoreConfig,
  ExpectedVersion,
  InlineHook,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  ReadStreamResult,
  ReaderLag,
  StoredEvent,
  SubscribeOptions,
} from './store/index.js';

// Conflict resolution is `/conflicts`.

// Processors, projections, rebuilds and dead letters.
export {
  CheckpointMovedError,
  DELIVERY_MODES,
  LEASE_LOST_REASONS,
  LeaseLostError,
  MAX_PARTITIONS,
  PROJECTION_MODES,
  PartitionedProcessor,
  ProcessingNotFoundError,
  Processor,
  ProcessorDeadLetteredError,
  ProcessorLayoutError,
  ProcessorRetiredError,
  ProcessorRunningError,
  ProcessorStoppedError,
  ProcessorWaitTimeoutError,
  Projection,
  REBUILD_PHASES,
  createPartitionedProcessor,
  createProcessor,
  createProjection,
  defineProjection,
  describeError,
  isCheckpointMovedError,
  isLeaseLostError,
  isProcessorDeadLetteredError,
  isProcessorWaitTimeoutError,
  memoryDeadLetterQueue,
  memoryProcessingState,
  migrateProcessing,
  partitionNames,
  readProcessorCheckpoint,
  rebuildProjection,
  sqlDeadLetterQueue,
  sqlProcessingState,
  streamPartitionKey,
  tenantPartitionKey,
} from './processing/index.js';
export type {
  BatchHandler,
  CreateProjectionOptions,
  DeadLetter,
  DeadLetterFilter,
  DeadLetterQueue,
  DeliveryMode,
  EventHandler,
  HandlerContext,
  LeaseLostReason,
  LeaseOptions,
  NewDeadLetter,
  PartitionKey,
  PartitionedProcessorEventMap,
  PartitionedProcessorOptions,
  PostCommit,
  MemoryProcessingMaps,
  MemoryProcessingOptions,
  ProcessingState,
  ProcessorEventMap,
  ProcessorLag,
  ProcessorOptions,
  ProjectionDefinition,
  ProjectionStorage,
  SqlProjectionStorage,
  MemoryProjectionStorage,
  ProjectionDefinitionInput,
  ProjectionChannel,
  ProjectionEventMap,
  ProjectionHandler,
  ProjectionHandlers,
  ProjectionMerge,
  MergeOperation,
  ProjectionMode,
  ProjectionRebuildOptions,
  ProjectionResult,
  RebuildOptions,
  RebuildPhase,
  RebuildProgress,
  RebuildResult,
  RedriveResult,
  RetryPolicy,
  StartFrom,
  StateCommitOptions,
  StateWork,
} from './processing/index.js';

// Sagas.
export {
  SAGA_STATUSES,
  SagaNotFoundError,
  SagaRunner,
  TerminalError,
  createMemorySagaStore,
  createSagaRunner,
  createSagaTrigger,
  createSqlSagaStore,
  defineSaga,
  isTerminalError,
} from './sagas/index.js';
export type {
  AnySagaDefinition,
  CompensationConfig,
  CompensationContext,
  SagaConfig,
  SagaDefinition,
  SagaRunnerOptions,
  SagaState,
  SagaStatus,
  SagaStepConfig,
  SagaStore,
  SagaTrigger,
  SagaTriggerMapContext,
  SagaTriggerOptions,
  StartSagaOptions,
  StartSagaResult,
  StepAction,
  StepContext,
  StepOutputOf,
  StepResults,
  StopOptions,
} from './sagas/index.js';

// Schedules and singleton workers are `/scheduling`.

// Webhook intake is `/ingest`; the HTTP handler shape and adapters are `/http`.

// The realtime delta stream: channels, the hub, snapshots, pub/sub, SSE and WebSocket.
export {
  UnauthorizedError,
  UnknownChannelError,
  WEBSOCKET_SERVER_OPTIONS,
  attachWebSocketServer,
  createMemoryPubSub,
  createRealtimeHub,
  createSqlSnapshot,
  createSseHandler,
  defineChannels,
  handleWebSocket,
  migrateRealtime,
  parseAllowedOrigins,
} from './realtime/index.js';
export type {
  Authorization,
  Authorize,
  ChannelDefinition,
  Delta,
  OriginPolicy,
  PubSub,
  RealtimeHub,
  RealtimeHubOptions,
  RealtimeSubscription,
  Snapshot,
  SnapshotPort,
  SqlSnapshotOptions,
  SseHandlerOptions,
  SubscriptionRequest,
  WebSocketHandlerOptions,
  WebSocketLike,
  WebSocketServerLike,
} from './realtime/index.js';

// `createSyncEngine`: the parts wired for a host.
export { READ_MODEL_DEGRADED_LAG_MS, createSyncEngine } from './engine.js';
export type {
  EngineContext,
  EngineReadModel,
  EngineSaga,
  EngineWorker,
  SyncEngine,
  SyncEngineConfig,
  SyncEngineHealth,
} from './engine.js';

// Types the public signatures above name (so the API reference can link them).
export type { RetryPolicyInput } from './runtime/retry-policy.js';
// A retry policy's attemptTimeoutMs ends an attempt with it (a dead letter's cause, say).
export { AttemptTimeoutError } from './runtime/errors.js';
export type { LeaseTimingOptions } from './runtime/lease-timing.js';
export type { LeasePort } from './runtime/lease-keeper.js';
export type { MergedRows, TableBackend, TableWrites } from './processing/projection/table-backend.js';
export type { MergeSpec } from './processing/projection/merge-columns.js';
