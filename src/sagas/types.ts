/**
 * Saga statuses, the persisted shapes (instance, step log entry, dead letter)
 * and the runner's typed events.
 */
import type { SagaLeaseLostReason } from './errors.js';

/** Every status a saga instance can have. */
export const SAGA_STATUSES = [
  'running',
  'completed',
  'compensating',
  'compensated',
  'compensation_failed',
] as const;

/** One of {@link SAGA_STATUSES}. */
export type SagaStatus = (typeof SAGA_STATUSES)[number];

/** Statuses in which a worker still has something to do. */
export const ACTIVE_SAGA_STATUSES = ['running', 'compensating'] as const satisfies readonly SagaStatus[];

/** Statuses a saga ends in (until a person redrives it). */
export const FINAL_SAGA_STATUSES = [
  'completed',
  'compensated',
  'compensation_failed',
] as const satisfies readonly SagaStatus[];

/** True when `status` is final. */
export function isFinalSagaStatus(status: SagaStatus): boolean {
  return (FINAL_SAGA_STATUSES as readonly SagaStatus[]).includes(status);
}

/** What a step log entry is about: a step's action or its compensation. */
export const STEP_PHASES = ['action', 'compensation'] as const;

/** One of {@link STEP_PHASES}. */
export type StepPhase = (typeof STEP_PHASES)[number];

/** How a step (after all its attempts) ended. */
export const STEP_OUTCOMES = ['completed', 'failed'] as const;

/** One of {@link STEP_OUTCOMES}. */
export type StepOutcome = (typeof STEP_OUTCOMES)[number];

/**
 * An error as persisted: plain JSON. In the runner's event payloads it also
 * prints as `Name [CODE]: message` (`String(error)`).
 */
export interface SagaErrorInfo {
  name: string;
  message: string;
  code?: string;
  /**
   * Of a failed action: `'none'` when it threw a `TerminalError` (it says it
   * had no effect), `'unknown'` otherwise (a timeout, a lost reply, a crash
   * after the side effect) — then its own compensation runs too.
   */
  effect?: 'none' | 'unknown';
}

/** A saga instance as stored. */
export interface SagaState {
  sagaId: string;
  /** Name of the saga definition. */
  definition: string;
  input: unknown;
  status: SagaStatus;
  /**
   * Written at transitions only (start, compensation, dead letter, finish): while
   * running, progress is in the step log (`history()`), which is also where a
   * resuming worker finds its place. Final: the number of steps when completed;
   * -1 once compensation ended — before the first step, where undoing leads
   * (`compensated`: every completed step was undone; `compensation_failed`:
   * the dead letters name the undos that failed).
   */
  cursor: number;
  /** True once any compensation was dead-lettered. */
  compensationFailed: boolean;
  /** The failure that started compensation, if any. */
  error: SagaErrorInfo | null;
  /** The worker holding the lease, or null. */
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

/** One entry of a saga's step log: one step's action or compensation, after all its attempts. */
export interface StepLogEntry {
  sagaId: string;
  /** Step name (phase `action`) or compensation name (phase `compensation`). */
  name: string;
  /** The step's index in the definition. */
  stepIndex: number;
  phase: StepPhase;
  outcome: StepOutcome;
  attempts: number;
  /** What the action or compensation returned (JSON), null when it failed. */
  output: unknown;
  error: SagaErrorInfo | null;
  /** The worker that ran it. */
  workerId: string;
  startedAt: Date;
  finishedAt: Date;
}

/** A compensation that failed after all its retries, waiting for a person. */
export interface SagaDeadLetter {
  id: number;
  sagaId: string;
  definition: string;
  /** The step whose compensation failed. */
  step: string;
  compensation: string;
  error: SagaErrorInfo;
  attempts: number;
  createdAt: Date;
  /** Set when the saga was redriven. */
  resolvedAt: Date | null;
}

/**
 * Payloads of the runner's events. `saga:lease_lost` means this worker stopped
 * the saga: another worker owns it (`'taken'`), or its lease could not be
 * renewed in time (`'not_renewed'`); either way its late result is not recorded.
 */
export interface SagaEventMap {
  'saga:started': [event: { sagaId: string; definition: string }];
  'saga:step_completed': [
    event: { sagaId: string; definition: string; step: string; phase: StepPhase; attempts: number },
  ];
  'saga:step_failed': [
    event: {
      sagaId: string;
      definition: string;
      step: string;
      phase: StepPhase;
      attempts: number;
      error: SagaErrorInfo;
    },
  ];
  /**
   * Every attempt of a step failed on an outage of the runner's own database
   * or store (not the step's fault): it is neither compensated nor
   * dead-lettered, and runs again after `retryInMs`.
   */
  'saga:step_deferred': [event: SagaEventMap['saga:step_failed'][0] & { retryInMs: number }];
  'saga:compensating': [
    event: { sagaId: string; definition: string; failedStep: string; error: SagaErrorInfo },
  ];
  'saga:completed': [event: { sagaId: string; definition: string }];
  'saga:compensated': [event: { sagaId: string; definition: string; error: SagaErrorInfo | null }];
  'saga:compensation_failed': [event: { sagaId: string; definition: string; deadLetters: number }];
  'saga:dead_lettered': [
    event: { sagaId: string; definition: string; step: string; compensation: string; error: SagaErrorInfo },
  ];
  'saga:lease_lost': [event: { sagaId: string; definition: string; reason: SagaLeaseLostReason }];
  /**
   * This worker claimed a saga whose lease `previousOwner` let run out
   * `expiredForMs` ago (database clock) — a dead, stalled or self-fenced
   * holder, possibly this worker — rather than a saga never leased or given
   * back. The step at its place runs again (uncertain, under its key).
   */
  'saga:taken_over': [
    event: { sagaId: string; definition: string; previousOwner: string; expiredForMs: number; token: number },
  ];
  error: [error: Error];
}
