/**
 * Errors of the saga runner. Each has a stable `code`; callers branch on the
 * class (or the `isXError` guard), people read the message.
 */
import { SyncError, type ValidationIssue } from '../core/errors.js';

/** Error codes raised by the saga module. */
export const SAGA_ERROR_CODES = [
  'SAGA_DEFINITION_INVALID',
  'SAGA_DEFINITION_CONFLICT',
  'SAGA_DEFINITION_UNKNOWN',
  'SAGA_STEP_TERMINAL',
  'SAGA_STEP_TIMEOUT',
  'SAGA_LEASE_LOST',
  'SAGA_NOT_FOUND',
  'SAGA_RUNNER_STOPPED',
  'SAGA_WAIT_TIMEOUT',
  'SAGA_INPUT_INVALID',
] as const;

/** What is wrong with a rejected saga definition. */
export const SAGA_DEFINITION_PROBLEMS = [
  'duplicate_step',
  'duplicate_compensation',
  'missing_compensation',
  'invalid',
] as const;

/** One of {@link SAGA_DEFINITION_PROBLEMS}. */
export type SagaDefinitionProblem = (typeof SAGA_DEFINITION_PROBLEMS)[number];

/** One problem of a saga definition, with the path of the offending field. */
export interface SagaDefinitionIssue extends ValidationIssue {
  problem: SagaDefinitionProblem;
}

/**
 * A saga definition was rejected at registration (duplicate step names, a step
 * without a compensation, a malformed field). Every problem is listed in `issues`.
 *
 * @example
 * ```ts
 * try { defineSaga(config); }
 * catch (err) {
 *   if (err instanceof SagaDefinitionError) console.log(err.code, err.issues.map((i) => i.problem));
 * }
 * ```
 */
export class SagaDefinitionError extends SyncError {
  readonly sagaName: string;
  readonly issues: readonly SagaDefinitionIssue[];
  constructor(sagaName: string, issues: readonly SagaDefinitionIssue[]) {
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super('SAGA_DEFINITION_INVALID', `Saga definition "${sagaName}" is invalid: ${detail}`);
    this.sagaName = sagaName;
    this.issues = issues;
  }
}

/**
 * A different definition with the same name is already registered, or a saga
 * instance exists under another definition.
 *
 * @example
 * ```ts
 * runner.register(orderSagaV1);
 * runner.register(otherSagaNamedTheSame); // throws SagaDefinitionConflictError
 * ```
 */
export class SagaDefinitionConflictError extends SyncError {
  constructor(message: string) {
    super('SAGA_DEFINITION_CONFLICT', message);
  }
}

/**
 * A saga refers to a definition this runner has not registered.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof UnknownSagaDefinitionError) runner.register(def); }
 * ```
 */
export class UnknownSagaDefinitionError extends SyncError {
  readonly definition: string;
  constructor(definition: string) {
    super('SAGA_DEFINITION_UNKNOWN', `Saga definition "${definition}" is not registered with this runner`);
    this.definition = definition;
  }
}

/**
 * Thrown by a step action (or compensation) to fail it permanently: no retry,
 * compensation starts at once. Use it for answers that will not change, such
 * as "card declined" or "order does not exist". By default it says the step
 * had no effect, so its own compensation does not run; pass
 * `effect: 'unknown'` when the answer does not prove that (a provider saying
 * an earlier request with the same idempotency key exists).
 *
 * @example
 * ```ts
 * action: async ({ input }) => {
 *   if (!input.items.length) throw new TerminalError('order has no items');
 * }
 * // a refusal that does not prove nothing happened: the step is undone too
 * throw new TerminalError('key reused', { effect: 'unknown' });
 * ```
 */
export class TerminalError extends SyncError {
  /** `none`: the step did nothing (default); `unknown`: it may have acted, so it is compensated too. */
  readonly effect: 'none' | 'unknown';
  constructor(message: string, options?: { cause?: unknown; effect?: 'none' | 'unknown' }) {
    super('SAGA_STEP_TERMINAL', message, options);
    this.effect = options?.effect ?? 'none';
  }
}

/**
 * One attempt of a step ran longer than its `timeoutMs`. The attempt is
 * retried like any other transient failure; its `signal` is aborted.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof StepTimeoutError) console.log(err.step, err.timeoutMs); }
 * ```
 */
export class StepTimeoutError extends SyncError {
  readonly step: string;
  readonly timeoutMs: number;
  constructor(step: string, timeoutMs: number) {
    super('SAGA_STEP_TIMEOUT', `Step "${step}" did not finish within ${timeoutMs} ms`);
    this.step = step;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Why a worker lost a saga's lease:
 * - `'taken'`: another worker owns the saga now (its write was refused by the
 *   lease token, or a heartbeat found the lease gone);
 * - `'not_renewed'`: no heartbeat got through for `leaseMs − heartbeatMs`, so the
 *   worker stopped the saga itself, before another worker could claim it.
 *
 * @example
 * ```ts
 * const counts = Object.fromEntries(SAGA_LEASE_LOST_REASONS.map((r) => [r, 0]));
 * runner.on('saga:lease_lost', ({ reason }) => counts[reason]++);
 * ```
 */
export const SAGA_LEASE_LOST_REASONS = ['taken', 'not_renewed'] as const;
/** One of {@link SAGA_LEASE_LOST_REASONS}. */
export type SagaLeaseLostReason = (typeof SAGA_LEASE_LOST_REASONS)[number];

/**
 * This worker no longer holds the saga's lease, so it stops the saga and its
 * late result is not recorded. The abort reason of the running step's `signal`.
 *
 * @example
 * ```ts
 * runner.on('saga:lease_lost', ({ sagaId, reason }) => log.warn(`saga ${sagaId}: lease lost (${reason})`));
 * action: async ({ signal }) => {
 *   await provider.call({ signal }); // rejects with a SagaLeaseLostError when the lease goes
 * }
 * ```
 */
export class SagaLeaseLostError extends SyncError {
  readonly sagaId: string;
  readonly reason: SagaLeaseLostReason;
  constructor(sagaId: string, reason: SagaLeaseLostReason = 'taken') {
    super(
      'SAGA_LEASE_LOST',
      reason === 'not_renewed'
        ? `Lease on saga "${sagaId}" could not be renewed in time; this worker stopped the saga before another could claim it`
        : `Lease on saga "${sagaId}" was lost; another worker owns it now`,
    );
    this.sagaId = sagaId;
    this.reason = reason;
  }
}

/**
 * True when `err` is a {@link SagaLeaseLostError}.
 *
 * @example
 * ```ts
 * if (isSagaLeaseLostError(signal.reason)) return; // another worker resumes the saga
 * ```
 */
export function isSagaLeaseLostError(err: unknown): err is SagaLeaseLostError {
  return err instanceof SagaLeaseLostError;
}

/**
 * No saga with this id exists.
 *
 * @example
 * ```ts
 * await runner.redrive('nope'); // throws SagaNotFoundError
 * ```
 */
export class SagaNotFoundError extends SyncError {
  readonly sagaId: string;
  constructor(sagaId: string) {
    super('SAGA_NOT_FOUND', `Saga "${sagaId}" does not exist`);
    this.sagaId = sagaId;
  }
}

/**
 * The runner was stopped; no new work is accepted.
 *
 * @example
 * ```ts
 * await runner.stop(); await runner.start(def, input); // throws SagaRunnerStoppedError
 * ```
 */
export class SagaRunnerStoppedError extends SyncError {
  constructor() {
    super('SAGA_RUNNER_STOPPED', 'Saga runner is stopped');
  }
}

/**
 * True when `err` is a {@link TerminalError}.
 *
 * @example
 * ```ts
 * if (isTerminalError(err)) console.log('will not retry', err.message);
 * ```
 */
export function isTerminalError(err: unknown): err is TerminalError {
  return err instanceof TerminalError;
}

/**
 * True when `err` is a {@link SagaDefinitionError}.
 *
 * @example
 * ```ts
 * if (isSagaDefinitionError(err)) console.log(err.issues);
 * ```
 */
export function isSagaDefinitionError(err: unknown): err is SagaDefinitionError {
  return err instanceof SagaDefinitionError;
}

/**
 * `waitFor` gave up before the saga reached a final status.
 *
 * @example
 * ```ts
 * await runner.waitFor(sagaId, { timeoutMs: 5_000 }); // may throw SagaWaitTimeoutError
 * ```
 */
export class SagaWaitTimeoutError extends SyncError {
  readonly sagaId: string;
  constructor(sagaId: string, timeoutMs: number) {
    super('SAGA_WAIT_TIMEOUT', `Saga "${sagaId}" did not finish within ${timeoutMs} ms`);
    this.sagaId = sagaId;
  }
}

/**
 * An event's saga start (a trigger's `map`, an engine saga's `startOn`) gave
 * an input the saga definition's schema rejects: no saga is started, and the
 * event is dead-lettered in processing's queue (after the trigger's retries).
 *
 * @example
 * ```ts
 * engine.sagas.on('error', (err) => {
 *   if (isSagaInputError(err.cause)) log.error({ issues: err.cause.issues }, err.cause.message);
 * });
 * ```
 */
export class SagaInputError extends SyncError {
  /** The saga definition whose input schema refused it. */
  readonly definition: string;
  /** The event mapped to the input. */
  readonly eventId: string;
  readonly issues: readonly ValidationIssue[];
  constructor(
    definition: string,
    event: { id: string; type: string },
    issues: readonly ValidationIssue[],
    options?: { cause?: unknown },
  ) {
    const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super(
      'SAGA_INPUT_INVALID',
      `Event ${event.id} (${event.type}) maps to an input saga "${definition}" refuses: ${detail}`,
      options,
    );
    this.definition = definition;
    this.eventId = event.id;
    this.issues = issues;
  }
}

/** True when `err` is a {@link SagaInputError}. */
export function isSagaInputError(err: unknown): err is SagaInputError {
  return err instanceof SagaInputError;
}
