/**
 * `@creatorflow/sync/sagas`: the sagas' specialised names beyond the root
 * entry's `defineSaga`, runner and stores — status and phase lists, the
 * saga errors and guards, dead letters, the store's claim types and the
 * runner's events.
 */
export {
  ACTIVE_SAGA_STATUSES,
  FINAL_SAGA_STATUSES,
  SAGA_DEFINITION_PROBLEMS,
  SAGA_ERROR_CODES,
  SAGA_LEASE_LOST_REASONS,
  STEP_OUTCOMES,
  STEP_PHASES,
  SagaDefinitionConflictError,
  SagaDefinitionError,
  SagaLeaseLostError,
  SagaRunnerStoppedError,
  SagaWaitTimeoutError,
  SagaInputError,
  StepTimeoutError,
  UnknownSagaDefinitionError,
  isFinalSagaStatus,
  isSagaDefinitionError,
  isSagaLeaseLostError,
  isSagaInputError,
} from './index.js';
export type {
  SagaDeadLetter,
  SagaDeadLetterFilter,
  InlineSagaConfig,
  SagaDefinitionIssue,
  SagaDefinitionProblem,
  SagaErrorInfo,
  SagaEventMap,
  SagaLeaseLostReason,
  SagaListFilter,
  SagaTriggerStart,
  SqlSagaStoreOptions,
  StepLogEntry,
  StepOutcome,
  StepPhase,
} from './index.js';
export { DEFAULT_SAGA_COMPENSATION_RETRY, DEFAULT_SAGA_STEP_RETRY } from './runner-options.js';
export type {
  ClaimedSaga,
  ClaimOptions,
  ClaimResult,
  SagaInsert,
  SagaLeaseRenewal,
  SagaWrite,
  TakenOverLease,
} from './saga-store.js';
