/**
 * Row shapes of the saga tables and their mapping to the public types. Both
 * drivers return jsonb parsed and timestamptz as Date; bigint ids may come
 * back as strings (node-postgres), hence `Number()`.
 */
import type {
  SagaDeadLetter,
  SagaErrorInfo,
  SagaState,
  SagaStatus,
  StepLogEntry,
  StepOutcome,
  StepPhase,
} from './types.js';

/** A row of `sagas`. */
export interface SagaRow {
  saga_id: string;
  definition: string;
  input: unknown;
  status: SagaStatus;
  step_cursor: number;
  compensation_failed: boolean;
  error: SagaErrorInfo | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  lease_token: number;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** A row of `saga_steps`. */
export interface StepRow {
  saga_id: string;
  step_name: string;
  step_index: number;
  phase: StepPhase;
  outcome: StepOutcome;
  attempts: number;
  output: unknown;
  error: SagaErrorInfo | null;
  worker_id: string;
  started_at: Date;
  finished_at: Date;
}

/** A row of `saga_dead_letters`. */
export interface DeadLetterRow {
  id: number | string;
  saga_id: string;
  definition: string;
  step_name: string;
  compensation: string;
  error: SagaErrorInfo;
  attempts: number;
  created_at: Date;
  resolved_at: Date | null;
}

/** Map a `sagas` row. */
export function toSagaState(row: SagaRow): SagaState {
  return {
    sagaId: row.saga_id,
    definition: row.definition,
    input: row.input,
    status: row.status,
    cursor: Number(row.step_cursor),
    compensationFailed: row.compensation_failed,
    error: row.error ?? null,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** Map a `saga_steps` row. */
export function toStepLogEntry(row: StepRow): StepLogEntry {
  return {
    sagaId: row.saga_id,
    name: row.step_name,
    stepIndex: Number(row.step_index),
    phase: row.phase,
    outcome: row.outcome,
    attempts: Number(row.attempts),
    output: row.output ?? null,
    error: row.error ?? null,
    workerId: row.worker_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Map a `saga_dead_letters` row. */
export function toDeadLetter(row: DeadLetterRow): SagaDeadLetter {
  return {
    id: Number(row.id),
    sagaId: row.saga_id,
    definition: row.definition,
    step: row.step_name,
    compensation: row.compensation,
    error: row.error,
    attempts: Number(row.attempts),
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}
