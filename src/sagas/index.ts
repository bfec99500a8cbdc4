/**
 * Sagas: durable, multi-worker orchestration of steps with compensations.
 */
export { defineSaga } from './define-saga.js';
export type {
  AnySagaDefinition,
  CompensationConfig,
  CompensationContext,
  SagaConfig,
  SagaDefinition,
  SagaStepConfig,
  StepAction,
  StepContext,
  StepResults,
} from './define-saga.js';
export type { InlineSagaConfig, StepOutputOf } from './inline-steps.js';
export {
  SAGA_DEFINITION_PROBLEMS,
  SAGA_ERROR_CODES,
  SAGA_LEASE_LOST_REASONS,
  SagaDefinitionConflictError,
  SagaDefinitionError,
  SagaInputError,
  SagaLeaseLostError,
  SagaNotFoundError,
  SagaRunnerStoppedError,
  SagaWaitTimeoutError,
  StepTimeoutError,
  TerminalError,
  UnknownSagaDefinitionError,
  isSagaDefinitionError,
  isSagaInputError,
  isSagaLeaseLostError,
  isTerminalError,
} from './errors.js';
export type { SagaDefinitionIssue, SagaDefinitionProblem, SagaLeaseLostReason } from './errors.js';
export { createMemorySagaStore } from './memory-saga-store.js';
export { createSqlSagaStore } from './sql-saga-store.js';
export type { SqlSagaStoreOptions } from './sql-saga-store.js';
export type {
  ClaimedSaga,
  ClaimOptions,
  ClaimResult,
  SagaDeadLetterFilter,
  SagaInsert,
  SagaLeaseRenewal,
  SagaListFilter,
  SagaStore,
  SagaWrite,
  TakenOverLease,
} from './saga-store.js';
export { SagaRunner, createSagaRunner } from './saga-runner.js';
export type { StartSagaOptions, StartSagaResult, StopOptions } from './saga-runner.js';
export {
  DEFAULT_SAGA_COMPENSATION_RETRY,
  DEFAULT_SAGA_STEP_RETRY,
  type SagaRunnerOptions,
} from './runner-options.js';
export { createSagaTrigger, sagaTriggerProcessorName } from './saga-trigger.js';
export type {
  SagaTrigger,
  SagaTriggerMapContext,
  SagaTriggerOptions,
  SagaTriggerStart,
} from './saga-trigger.js';
export { toErrorInfo } from './run-step.js';
export {
  ACTIVE_SAGA_STATUSES,
  FINAL_SAGA_STATUSES,
  SAGA_STATUSES,
  STEP_OUTCOMES,
  STEP_PHASES,
  isFinalSagaStatus,
} from './types.js';
export type {
  SagaDeadLetter,
  SagaErrorInfo,
  SagaEventMap,
  SagaState,
  SagaStatus,
  StepLogEntry,
  StepOutcome,
  StepPhase,
} from './types.js';
