/**
 * One saga run by one worker while it holds the lease: actions forward, then
 * (after a permanent failure) compensations backward. Every step outcome is
 * written, fenced by the lease token, before the next step starts, so a step
 * recorded as done is never run again, by this worker or another.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isRetryableStoreError } from '../core/errors.js';
import { isDatabaseError } from '../core/sql-errors.js';
import { unstorableInJson } from '../core/storable-text.js';
import { isTransientFailure } from '../runtime/classify-failure.js';
import { resolveRetryPolicy, type RetryPolicy } from '../runtime/retry-policy.js';
import type { RetryAttemptContext } from '../runtime/with-retry.js';
import { printableErrorInfo } from './printable-error-info.js';
import type { CompensationConfig, SagaDefinition, StepContext } from './define-saga.js';
import { SagaLeaseLostError, TerminalError } from './errors.js';
import { runStep, toErrorInfo, type StepRunResult } from './run-step.js';
import type { JoinedWrite } from '../store/types.js';
import type { ClaimedSaga, SagaWrite } from './saga-store.js';
import type { SagaErrorInfo, SagaEventMap, SagaStatus } from './types.js';

/**
 * The failure is our own database's or store's — unreachable, a broken
 * connection, a transaction it rolled back (deadlock, lock or statement
 * timeout), a retryable store error — not the step's: it says nothing about
 * the order, so it never starts compensation nor dead-letters a compensation.
 * Only errors the library's SQL adapters raised count: the same socket error
 * from a provider's HTTP client is the step's, under its retry policy.
 */
function isOutage(err: unknown): boolean {
  return (isDatabaseError(err) && isTransientFailure(err, { network: false })) || isRetryableStoreError(err);
}

/** Wait `ms` unless `signal` aborts first; false when it did. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return delay(ms, undefined, { signal }).then(
    () => true,
    () => false,
  );
}

/** How an execution ended. */
export type ExecutionOutcome = 'finished' | 'lease_lost' | 'stopped';

/** What an execution needs from its runner. */
export interface ExecutionEnvironment {
  /** Apply a fenced write; false when the lease was lost. */
  write(write: SagaWrite): Promise<boolean>;
  /** `write` as a write an append commits in its statement (`SagaStore.joinStep`); absent when the store cannot. */
  joinStep?(write: SagaWrite, committed: () => void): JoinedWrite;
  emit<K extends keyof SagaEventMap>(event: K, ...args: SagaEventMap[K]): void;
  /** True once the runner is stopping: exit at the next step boundary. */
  stopping(): boolean;
  /**
   * Abort `signal` if the lease is past its self-fencing deadline (the timer may
   * be late), judged after the I/O already waiting (a heartbeat's reply) has run.
   */
  checkLease(): Promise<void>;
  /** Aborted when the runner stops for good or the lease is lost (reason: a `SagaLeaseLostError`). */
  signal: AbortSignal;
  stepTimeoutMs: number;
  /** The pause before a step whose attempts all failed on an outage of our own database runs again. */
  outagePauseMs: number;
  retry: Readonly<RetryPolicy>;
  compensationRetry: Readonly<RetryPolicy>;
}

/**
 * Drive a claimed saga until it finishes, its lease is lost or the runner stops.
 *
 * @example
 * ```ts
 * const outcome = await executeSaga(definition, claimed, environment);
 * ```
 */
export async function executeSaga<Input>(
  definition: SagaDefinition<Input>,
  claimed: ClaimedSaga,
  env: ExecutionEnvironment,
): Promise<ExecutionOutcome> {
  const { sagaId } = claimed.state;
  const input = claimed.state.input as Input;
  const steps = definition.steps;
  const name = definition.name;
  let status: SagaStatus = claimed.state.status;
  let cursor = claimed.state.cursor;
  let compensationFailed = claimed.state.compensationFailed;
  let failure: SagaErrorInfo | null = claimed.state.error;
  let deadLetters = 0;
  const results: Record<string, unknown> = {};
  const actionDone = new Set<number>();
  const compensationDone = new Set<number>();
  for (const entry of claimed.completed) {
    if (entry.phase === 'action') {
      actionDone.add(entry.stepIndex);
      results[entry.name] = entry.output;
      // Plain step completions do not rewrite the saga row: the log says where to resume.
      if (status === 'running') cursor = Math.max(cursor, entry.stepIndex + 1);
    } else compensationDone.add(entry.stepIndex);
  }
  // A run that took the saga over (its lease token is not the first) cannot know whether
  // the previous holder started the step at its cursor before it died: that step's first
  // refusal here proves nothing about the earlier run's attempts (a charge made just
  // before a crash, then refused as "cancelled" after the takeover, is still a charge).
  // The same holds for a step run again after an outage deferred it (below).
  let uncertainAt = claimed.token > 1 && status === 'running' ? cursor : -1;
  // Actions complete in order, so the failed one (if any) follows the last completed.
  let failedIndex = actionDone.size === 0 ? 0 : Math.max(...actionDone) + 1;
  // A failed action whose effect is unknown is undone too: a charge whose reply
  // was lost is still a charge.
  const maybeActed = (index: number) => failure?.effect === 'unknown' && index === failedIndex;
  const base = { sagaId, token: claimed.token };
  const write = async (
    w: Omit<SagaWrite, 'sagaId' | 'token' | 'transition'>,
    transition = true,
  ): Promise<boolean> => {
    const applied = await env.write({ ...base, transition, ...w });
    if (!applied) env.emit('saga:lease_lost', { sagaId, definition: name, reason: 'taken' });
    return applied;
  };
  /** Why the run was aborted: the lease (reported once, here) or the runner stopping. */
  const aborted = (): ExecutionOutcome => {
    const reason: unknown = env.signal.reason;
    if (!(reason instanceof SagaLeaseLostError)) return 'stopped';
    env.emit('saga:lease_lost', { sagaId, definition: name, reason: reason.reason });
    return 'lease_lost';
  };

  /** Report a step deferred by an outage and pause; false when the run was aborted meanwhile. */
  const deferred = (
    step: string,
    phase: 'action' | 'compensation',
    result: Extract<StepRunResult, { ok: false }>,
  ): Promise<boolean> => {
    env.emit('saga:step_deferred', {
      sagaId,
      definition: name,
      step,
      phase,
      attempts: result.attempts,
      error: toErrorInfo(result.error),
      retryInMs: env.outagePauseMs,
    });
    return pause(env.outagePauseMs, env.signal);
  };

  for (;;) {
    await env.checkLease();
    if (env.signal.aborted) return aborted();
    if (env.stopping()) return 'stopped';

    if (status === 'running') {
      const step = steps[cursor];
      if (!step) {
        // Only reachable when a definition lost steps between deploys: nothing is left to run.
        if (!(await write({ status: 'completed', cursor, compensationFailed, finish: true })))
          return 'lease_lost';
        env.emit('saga:completed', { sagaId, definition: name });
        return 'finished';
      }
      const startedAt = new Date();
      const last = cursor === steps.length - 1;
      /** The completion an append committed for this step (`completeWith`), if one did. */
      let joined: { output: unknown; attempts: number } | undefined;
      /** The step's completion with its action's result: written after it, or joined to its last append. */
      const completed = (done: StepRunResult) => ({
        status: (last ? 'completed' : 'running') as SagaStatus,
        cursor: cursor + 1,
        compensationFailed,
        finish: last,
        log: entryOf(step.name, cursor, 'action', done, startedAt),
      });
      const context = (attempt: number, attemptContext: RetryAttemptContext): StepContext<Input> => ({
        sagaId,
        step: step.name,
        input,
        idempotencyKey: `${sagaId}:${step.name}`,
        attempt,
        get signal() {
          return attemptContext.signal;
        },
        results: { ...results },
        completeWith(output) {
          const json = jsonOf(output);
          if (!env.joinStep || !json.ok) return {};
          const done = { ok: true as const, output: json.value, attempts: attempt };
          const w: SagaWrite = { ...base, transition: last, ...completed(done) };
          return { joined: env.joinStep(w, () => (joined ??= { output: json.value, attempts: attempt })) };
        },
      });
      const ran = await runStep((attempt, attemptContext) => step.action(context(attempt, attemptContext)), {
        name: step.name,
        timeoutMs: step.timeoutMs ?? env.stepTimeoutMs,
        retry: step.retry ? resolveRetryPolicy(step.retry, env.retry) : env.retry,
        signal: env.signal,
      });
      // An append committed the step's entry: it is done, whatever the action did after.
      const result: StepRunResult = joined ? { ok: true, ...joined } : toJsonOutput(ran);
      if (!result.ok && result.aborted) return aborted();
      if (!result.ok && result.error instanceof SagaLeaseLostError) {
        // The store refused the joined append (the fence): nothing of it was written.
        env.emit('saga:lease_lost', { sagaId, definition: name, reason: 'taken' });
        return 'lease_lost';
      }
      if (!result.ok && isOutage(result.error)) {
        // Our own database failed, not the step: never compensate an order for
        // that. Run it again after a pause; its earlier attempts may have acted.
        uncertainAt = cursor;
        if (!(await deferred(step.name, 'action', result))) return aborted();
        continue;
      }
      if (result.ok) {
        const applied = joined !== undefined || (await write(completed(result), last));
        if (!applied) return 'lease_lost';
        results[step.name] = result.output;
        actionDone.add(cursor);
        env.emit('saga:step_completed', {
          sagaId,
          definition: name,
          step: step.name,
          phase: 'action',
          attempts: result.attempts,
        });
        if (last) {
          env.emit('saga:completed', { sagaId, definition: name });
          return 'finished';
        }
        cursor += 1;
        continue;
      }
      // A TerminalError proves only that its own attempt did nothing: an earlier
      // attempt that failed otherwise (it was retried, or ran before a takeover) may
      // still have acted.
      const provenNone =
        result.error instanceof TerminalError &&
        result.error.effect === 'none' &&
        !result.acted &&
        result.attempts === 1 &&
        cursor !== uncertainAt;
      const effect = provenNone ? 'none' : 'unknown';
      failure = { ...toErrorInfo(result.error), effect };
      failedIndex = cursor;
      // Compensation starts at the failed step itself when it may have acted.
      const from = effect === 'unknown' ? cursor : cursor - 1;
      const applied = await write({
        status: 'compensating',
        cursor: from,
        compensationFailed,
        error: failure,
        finish: false,
        log: { ...entryOf(step.name, cursor, 'action', result, startedAt), error: failure },
      });
      if (!applied) return 'lease_lost';
      env.emit('saga:step_failed', {
        sagaId,
        definition: name,
        step: step.name,
        phase: 'action',
        attempts: result.attempts,
        error: failure,
      });
      env.emit('saga:compensating', {
        sagaId,
        definition: name,
        failedStep: step.name,
        error: printableErrorInfo(failure),
      });
      status = 'compensating';
      cursor = from;
      continue;
    }

    if (status !== 'compensating') return 'finished';
    // Skip steps that never completed, have nothing to undo, or are undone already.
    while (
      cursor >= 0 &&
      ((!actionDone.has(cursor) && !maybeActed(cursor)) ||
        steps[cursor]?.compensation === 'none' ||
        compensationDone.has(cursor))
    ) {
      cursor -= 1;
    }
    if (cursor < 0) {
      const final = compensationFailed ? 'compensation_failed' : 'compensated';
      if (!(await write({ status: final, cursor: -1, compensationFailed, finish: true })))
        return 'lease_lost';
      if (final === 'compensated')
        env.emit('saga:compensated', { sagaId, definition: name, error: printableErrorInfo(failure) });
      else env.emit('saga:compensation_failed', { sagaId, definition: name, deadLetters });
      return 'finished';
    }
    const step = steps[cursor]!;
    const compensation = step.compensation as CompensationConfig<Input>;
    const startedAt = new Date();
    const result = toJsonOutput(
      await runStep(
        (attempt, attemptContext) =>
          compensation.run({
            sagaId,
            step: compensation.name,
            input,
            idempotencyKey: `${sagaId}:${compensation.name}`,
            attempt,
            get signal() {
              return attemptContext.signal;
            },
            results: { ...results },
            compensatedStep: step.name,
            actionIdempotencyKey: `${sagaId}:${step.name}`,
            actionOutcome: actionDone.has(cursor) ? 'completed' : 'unknown',
            output: results[step.name] ?? null,
            // A compensation's completion is always recorded on its own.
            completeWith: () => ({}),
          }),
        {
          name: compensation.name,
          timeoutMs: compensation.timeoutMs ?? env.stepTimeoutMs,
          retry: compensation.retry
            ? resolveRetryPolicy(compensation.retry, env.compensationRetry)
            : env.compensationRetry,
          signal: env.signal,
        },
      ),
    );
    if (!result.ok && result.aborted) return aborted();
    if (!result.ok && isOutage(result.error)) {
      // Not a compensation that failed for good: a person is not needed for an outage.
      if (!(await deferred(compensation.name, 'compensation', result))) return aborted();
      continue;
    }
    const log = entryOf(compensation.name, cursor, 'compensation', result, startedAt);
    if (result.ok) {
      if (!(await write({ status, cursor: cursor - 1, compensationFailed, finish: false, log }, false))) {
        return 'lease_lost';
      }
      compensationDone.add(cursor);
      env.emit('saga:step_completed', {
        sagaId,
        definition: name,
        step: compensation.name,
        phase: 'compensation',
        attempts: result.attempts,
      });
    } else {
      // Dead-letter this compensation for a person and go on undoing the earlier steps.
      const error = toErrorInfo(result.error);
      const deadLetter = {
        definition: name,
        step: step.name,
        compensation: compensation.name,
        error,
        attempts: result.attempts,
      };
      if (
        !(await write({
          status,
          cursor: cursor - 1,
          compensationFailed: true,
          finish: false,
          log,
          deadLetter,
        }))
      ) {
        return 'lease_lost';
      }
      compensationFailed = true;
      deadLetters += 1;
      env.emit('saga:step_failed', {
        sagaId,
        definition: name,
        step: compensation.name,
        phase: 'compensation',
        attempts: result.attempts,
        error,
      });
      env.emit('saga:dead_lettered', {
        sagaId,
        definition: name,
        step: step.name,
        compensation: compensation.name,
        error,
      });
    }
    cursor -= 1;
  }
}

/** `value` as the step log stores it (through JSON), or why it cannot be stored. */
function jsonOf(value: unknown): { ok: true; value: unknown } | { ok: false; error: unknown } {
  try {
    const text = JSON.stringify(value ?? null);
    if (text === undefined) return { ok: true, value: null };
    // JSON, but not jsonb: the step log's write would fail on every retry while the
    // step ran again after each lost lease. Refused on every store alike.
    const unstorable = unstorableInJson(text);
    if (unstorable !== undefined) return { ok: false, error: `it contains ${unstorable}` };
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Outputs go through JSON now, so the next step sees exactly what a worker
 * resuming from the step log would see. An output that is not JSON, or that
 * PostgreSQL cannot store (a NUL character, a lone surrogate), fails the step for good.
 */
function toJsonOutput(result: StepRunResult): StepRunResult {
  if (!result.ok) return result;
  const json = jsonOf(result.output);
  if (json.ok) return { ...result, output: json.value };
  return {
    ok: false,
    error: new TerminalError(`step output cannot be stored as JSON: ${String(json.error)}`, {
      cause: json.error,
    }),
    attempts: result.attempts,
    aborted: false,
    // The action ran to its end: whatever it did, it did.
    acted: true,
  };
}

function entryOf(
  name: string,
  stepIndex: number,
  phase: 'action' | 'compensation',
  result: StepRunResult,
  startedAt: Date,
): NonNullable<SagaWrite['log']> {
  return {
    name,
    stepIndex,
    phase,
    outcome: result.ok ? 'completed' : 'failed',
    attempts: result.attempts,
    output: result.ok ? result.output : null,
    error: result.ok ? null : toErrorInfo(result.error),
    startedAt,
  };
}
