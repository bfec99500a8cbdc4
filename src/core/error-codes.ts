/**
 * The registry of error codes: every code the generic engine throws or
 * answers with, the module that owns it, the error class that carries it and
 * the HTTP status every transport answers it with (problem+json, SSE refusals,
 * WebSocket close code 4000 + status). The rules are in docs/errors.md; the
 * domain adds its own codes in `COMMERCE_ERROR_REGISTRY` (same shape, disjoint
 * codes). test/core/error-registry.test.ts checks both against the source.
 */

/** The modules an error code can belong to. */
export const ERROR_MODULES = [
  'core',
  'store',
  'runtime',
  'processing',
  'sagas',
  'scheduling',
  'realtime',
  'ingest',
  'http',
  'conflicts',
  'cache',
  'monitoring',
  'access',
] as const;

/** One of {@link ERROR_MODULES}; a domain entry point names its own (`'commerce'`). */
export type ErrorModule = (typeof ERROR_MODULES)[number];

/**
 * What the registry knows about one code. `M` is the module names allowed
 * (a domain registry passes its own).
 *
 * @example
 * ```ts
 * const info: ErrorCodeInfo = { module: 'realtime', status: 400, error: 'InvalidFilterError' };
 * ```
 */
export interface ErrorCodeInfo<M extends string = ErrorModule> {
  readonly module: M;
  /**
   * The HTTP status a transport answers with. 500 means "a bug or a setup
   * problem of the host": the answer then says `INTERNAL_ERROR` and never the message.
   */
  readonly status: number;
  /** The class (a subclass of `SyncError`) that carries the code: what callers `instanceof`. */
  readonly error: string;
}

/**
 * Error codes are SCREAMING_SNAKE_CASE: letters, digits and single underscores.
 *
 * @example
 * ```ts
 * ERROR_CODE_PATTERN.test('INVALID_FILTER') // true
 * ```
 */
export const ERROR_CODE_PATTERN = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/**
 * Every error code of the generic engine, by code.
 *
 * @example
 * ```ts
 * ERROR_REGISTRY.INVALID_FILTER // { module: 'realtime', status: 400, error: 'InvalidFilterError' }
 * ```
 */
export const ERROR_REGISTRY = Object.freeze({
  // core: input and configuration
  VALIDATION_FAILED: { module: 'core', status: 422, error: 'ValidationError' },
  INVALID_ARGUMENT: { module: 'core', status: 400, error: 'InvalidArgumentError' },
  INVALID_OPTIONS: { module: 'core', status: 500, error: 'InvalidOptionsError' },
  PAYLOAD_TOO_LARGE: { module: 'core', status: 413, error: 'PayloadTooLargeError' },
  NOT_FOUND: { module: 'core', status: 404, error: 'NotFoundError' },
  NOT_SUPPORTED: { module: 'core', status: 500, error: 'NotSupportedError' },
  // store
  CONCURRENCY_CONFLICT: { module: 'store', status: 409, error: 'ConcurrencyError' },
  IDEMPOTENCY_KEY_REUSED: { module: 'store', status: 409, error: 'IdempotencyKeyReusedError' },
  DUPLICATE_EVENT_ID: { module: 'store', status: 409, error: 'DuplicateEventIdError' },
  UNKNOWN_EVENT_TYPE: { module: 'store', status: 500, error: 'UnknownEventTypeError' },
  STORE_CLOSED: { module: 'store', status: 503, error: 'StoreClosedError' },
  STORE_UNAVAILABLE: { module: 'store', status: 503, error: 'StoreUnavailableError' },
  APPEND_OUTCOME_UNKNOWN: { module: 'store', status: 503, error: 'AppendOutcomeUnknownError' },
  TRANSACTION_ROLLED_BACK: { module: 'store', status: 500, error: 'TransactionRolledBackError' },
  SCHEMA_TOO_NEW: { module: 'store', status: 500, error: 'MigrationError' },
  MIGRATION_FAILED: { module: 'store', status: 500, error: 'MigrationError' },
  // runtime
  ATTEMPT_TIMEOUT: { module: 'runtime', status: 500, error: 'AttemptTimeoutError' },
  LEASE_LOST: { module: 'runtime', status: 500, error: 'LeaseLostError' },
  // processing
  CHECKPOINT_MOVED: { module: 'processing', status: 500, error: 'CheckpointMovedError' },
  PROCESSOR_RETIRED: { module: 'processing', status: 500, error: 'ProcessorRetiredError' },
  PROCESSOR_LAYOUT_CHANGED: { module: 'processing', status: 500, error: 'ProcessorLayoutError' },
  PROCESSOR_DEAD_LETTERED: { module: 'processing', status: 500, error: 'ProcessorDeadLetteredError' },
  PROCESSOR_STOPPED: { module: 'processing', status: 503, error: 'ProcessorStoppedError' },
  PROCESSOR_RUNNING: { module: 'processing', status: 409, error: 'ProcessorRunningError' },
  PROCESSOR_WAIT_TIMEOUT: { module: 'processing', status: 504, error: 'ProcessorWaitTimeoutError' },
  // sagas
  SAGA_DEFINITION_INVALID: { module: 'sagas', status: 500, error: 'SagaDefinitionError' },
  SAGA_DEFINITION_CONFLICT: { module: 'sagas', status: 409, error: 'SagaDefinitionConflictError' },
  SAGA_DEFINITION_UNKNOWN: { module: 'sagas', status: 500, error: 'UnknownSagaDefinitionError' },
  SAGA_STEP_TERMINAL: { module: 'sagas', status: 500, error: 'TerminalError' },
  SAGA_STEP_TIMEOUT: { module: 'sagas', status: 500, error: 'StepTimeoutError' },
  SAGA_LEASE_LOST: { module: 'sagas', status: 500, error: 'SagaLeaseLostError' },
  SAGA_NOT_FOUND: { module: 'sagas', status: 404, error: 'SagaNotFoundError' },
  SAGA_RUNNER_STOPPED: { module: 'sagas', status: 503, error: 'SagaRunnerStoppedError' },
  SAGA_WAIT_TIMEOUT: { module: 'sagas', status: 504, error: 'SagaWaitTimeoutError' },
  SAGA_INPUT_INVALID: { module: 'sagas', status: 422, error: 'SagaInputError' },
  // scheduling
  INVALID_SCHEDULE: { module: 'scheduling', status: 400, error: 'InvalidScheduleError' },
  SCHEDULE_NOT_FOUND: { module: 'scheduling', status: 404, error: 'ScheduleNotFoundError' },
  // realtime
  INVALID_FILTER: { module: 'realtime', status: 400, error: 'InvalidFilterError' },
  INVALID_SELECT: { module: 'realtime', status: 400, error: 'InvalidSelectError' },
  TOO_MANY_SUBSCRIPTIONS: { module: 'realtime', status: 400, error: 'TooManySubscriptionsError' },
  UNAUTHORIZED: { module: 'realtime', status: 401, error: 'UnauthorizedError' },
  ORIGIN_NOT_ALLOWED: { module: 'realtime', status: 403, error: 'OriginNotAllowedError' },
  UNKNOWN_CHANNEL: { module: 'realtime', status: 404, error: 'UnknownChannelError' },
  TOO_MANY_CONNECTIONS: { module: 'realtime', status: 429, error: 'TooManyConnectionsError' },
  SNAPSHOT_FAILED: { module: 'realtime', status: 503, error: 'SnapshotError' },
  REALTIME_UNAVAILABLE: { module: 'realtime', status: 503, error: 'RealtimeUnavailableError' },
  PUBSUB_MESSAGE_INVALID: { module: 'realtime', status: 500, error: 'PubSubMessageError' },
  // ingest (webhook receivers)
  SIGNATURE_MISSING: { module: 'ingest', status: 401, error: 'IngestError' },
  SIGNATURE_INVALID: { module: 'ingest', status: 401, error: 'IngestError' },
  API_KEY_MISSING: { module: 'ingest', status: 401, error: 'IngestError' },
  API_KEY_INVALID: { module: 'ingest', status: 401, error: 'IngestError' },
  STALE_TIMESTAMP: { module: 'ingest', status: 401, error: 'IngestError' },
  UNKNOWN_PROVIDER: { module: 'ingest', status: 404, error: 'IngestError' },
  MALFORMED_JSON: { module: 'ingest', status: 400, error: 'IngestError' },
  TIMESTAMP_OUT_OF_RANGE: { module: 'ingest', status: 400, error: 'IngestError' },
  SCHEMA_VIOLATION: { module: 'ingest', status: 422, error: 'IngestError' },
  RATE_LIMITED: { module: 'ingest', status: 429, error: 'IngestError' },
  RATE_LIMITER_UNAVAILABLE: { module: 'ingest', status: 503, error: 'IngestError' },
  OVERLOADED: { module: 'ingest', status: 503, error: 'IngestError' },
  RAW_BODY_UNAVAILABLE: { module: 'ingest', status: 500, error: 'IngestError' },
  // http (answers of the router and the framework adapters)
  METHOD_NOT_ALLOWED: { module: 'http', status: 405, error: 'HttpError' },
  BAD_REQUEST: { module: 'http', status: 400, error: 'HttpError' },
  BODY_READ_FAILED: { module: 'http', status: 400, error: 'HttpError' },
  DATABASE_UNAVAILABLE: { module: 'http', status: 503, error: 'HttpError' },
  DATABASE_BUSY: { module: 'http', status: 503, error: 'HttpError' },
  INTERNAL_ERROR: { module: 'http', status: 500, error: 'HttpError' },
  // access (roles, service keys)
  UNAUTHENTICATED: { module: 'access', status: 401, error: 'UnauthenticatedError' },
  FORBIDDEN: { module: 'access', status: 403, error: 'AccessDeniedError' },
  PRINCIPAL_MISSING: { module: 'access', status: 401, error: 'MissingPrincipalError' },
  PRINCIPAL_INVALID: { module: 'access', status: 500, error: 'InvalidPrincipalError' },
  // conflicts
  CONFLICT_MALFORMED_INPUT: { module: 'conflicts', status: 400, error: 'MalformedConflictInputError' },
  CONFLICT_UNKNOWN_SOURCE: { module: 'conflicts', status: 400, error: 'UnknownSourceError' },
  CONFLICT_ENTITY_MISMATCH: { module: 'conflicts', status: 400, error: 'EntityMismatchError' },
  CONFLICT_UNKNOWN_STRATEGY: { module: 'conflicts', status: 500, error: 'UnknownStrategyError' },
  CONFLICT_NOT_FOUND: { module: 'conflicts', status: 404, error: 'ConflictNotFoundError' },
  CONFLICT_NOT_PENDING: { module: 'conflicts', status: 409, error: 'ConflictNotPendingError' },
  // cache
  CACHE_NOT_STARTED: { module: 'cache', status: 503, error: 'CacheNotStartedError' },
  // monitoring
  INVALID_METRIC: { module: 'monitoring', status: 500, error: 'InvalidMetricError' },
  INVALID_ALERT_CONFIG: { module: 'monitoring', status: 500, error: 'InvalidAlertConfigError' },
  NOTIFICATION_FAILED: { module: 'monitoring', status: 500, error: 'NotificationFailedError' },
  ALERT_NOT_FOUND: { module: 'monitoring', status: 404, error: 'AlertNotFoundError' },
  ALERT_RESOLVED: { module: 'monitoring', status: 409, error: 'AlertResolvedError' },
} as const satisfies Record<string, ErrorCodeInfo>);

/** A code of {@link ERROR_REGISTRY}. */
export type RegisteredErrorCode = keyof typeof ERROR_REGISTRY;

/** The codes of {@link ERROR_REGISTRY} owned by module `M`. */
export type ErrorCodeOf<M extends ErrorModule> = {
  [K in RegisteredErrorCode]: (typeof ERROR_REGISTRY)[K]['module'] extends M ? K : never;
}[RegisteredErrorCode];

/**
 * The registered codes of one module, in registry order.
 *
 * @example
 * ```ts
 * errorCodesOf('runtime') // ['ATTEMPT_TIMEOUT', 'LEASE_LOST']
 * ```
 */
export function errorCodesOf<M extends ErrorModule>(module: M): ErrorCodeOf<M>[] {
  return (Object.keys(ERROR_REGISTRY) as RegisteredErrorCode[]).filter(
    (code) => ERROR_REGISTRY[code].module === module,
  ) as ErrorCodeOf<M>[];
}

/**
 * The HTTP status of a code: its registry entry's, 500 for a code the registry does not hold.
 *
 * @example
 * ```ts
 * httpStatusOfCode('TOO_MANY_CONNECTIONS') // 429
 * ```
 */
export function httpStatusOfCode(code: string): number {
  return Object.hasOwn(ERROR_REGISTRY, code) ? ERROR_REGISTRY[code as RegisteredErrorCode].status : 500;
}
