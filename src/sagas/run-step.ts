/**
 * Running one action or compensation: attempts with a per-attempt timeout,
 * retried by p-retry with exponential backoff and jitter. A `TerminalError`
 * (or an aborted run) is never retried.
 */
import pRetry from 'p-retry';
import { isSyncError } from '../core/errors.js';
import { StepTimeoutError, TerminalError } from './errors.js';
import type { SagaErrorInfo } from './types.js';

/** A retry policy with every field set. */
export interface ResolvedRetryPolicy {
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  factor: number;
  jitter: boolean;
}

/** What one run of a step produced. */
export type StepRunResult =
  | { ok: true; output: unknown; attempts: number }
  | { ok: false; error: unknown; attempts: number; aborted: boolean };

/** Options of {@link runStep}. */
export interface RunStepOptions {
  /** The step or compensation name (for timeout errors). */
  name: string;
  timeoutMs: number;
  retry: ResolvedRetryPolicy;
  /** Aborts the run (worker stopping, lease lost): no further attempt starts. */
  signal: AbortSignal;
}

/**
 * Run `attempt` until it succeeds, fails permanently or retries are exhausted.
 *
 * @example
 * ```ts
 * const result = await runStep((n, signal) => charge(card, { signal }), {
 *   name: 'process_payment', timeoutMs: 10_000, retry, signal: runnerSignal,
 * });
 * ```
 */
export async function runStep(
  attempt: (attemptNumber: number, signal: AbortSignal) => unknown,
  options: RunStepOptions,
): Promise<StepRunResult> {
  const { retry, signal } = options;
  let attempts = 0;
  try {
    const output = await pRetry(
      async (attemptNumber) => {
        attempts = attemptNumber;
        return runAttempt(attempt, attemptNumber, options);
      },
      {
        retries: retry.retries,
        factor: retry.factor,
        minTimeout: retry.minTimeoutMs,
        maxTimeout: retry.maxTimeoutMs,
        randomize: retry.jitter,
        signal,
        shouldRetry: ({ error }) => !(error instanceof TerminalError) && !signal.aborted,
      },
    );
    return { ok: true, output, attempts };
  } catch (error) {
    return { ok: false, error, attempts: Math.max(attempts, 1), aborted: signal.aborted };
  }
}

async function runAttempt(
  attempt: (attemptNumber: number, signal: AbortSignal) => unknown,
  attemptNumber: number,
  options: RunStepOptions,
): Promise<unknown> {
  if (options.signal.aborted) throw options.signal.reason;
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', onOuterAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const aborted = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => controller.abort(new StepTimeoutError(options.name, options.timeoutMs)),
      options.timeoutMs,
    );
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  // The timed-out call keeps running (JavaScript cannot kill it); its signal is
  // aborted and its result ignored, which is why steps get idempotency keys.
  aborted.catch(() => undefined);
  try {
    return await Promise.race([
      Promise.resolve().then(() => attempt(attemptNumber, controller.signal)),
      aborted,
    ]);
  } catch (err) {
    // p-retry does not retry non-errors; a thrown string is still a transient failure.
    throw err instanceof Error ? err : new Error(String(err));
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onOuterAbort);
  }
}

/**
 * A JSON-safe description of an error, as stored in the step log.
 *
 * @example
 * ```ts
 * toErrorInfo(new TerminalError('card declined')) // { name: 'TerminalError', message: 'card declined', code: 'SAGA_STEP_TERMINAL' }
 * ```
 */
export function toErrorInfo(err: unknown): SagaErrorInfo {
  if (err instanceof Error) {
    const info: SagaErrorInfo = { name: err.name, message: err.message };
    const code = isSyncError(err) ? err.code : (err as { code?: unknown }).code;
    if (typeof code === 'string') info.code = code;
    return info;
  }
  return { name: 'Error', message: String(err) };
}

/**
 * Fill the unset fields of `policy` from `defaults`.
 *
 * @example
 * ```ts
 * mergeRetry({ retries: 3, minTimeoutMs: 100, maxTimeoutMs: 5_000, factor: 2, jitter: true }, { retries: 0 })
 * ```
 */
export function mergeRetry(
  defaults: ResolvedRetryPolicy,
  policy: { [K in keyof ResolvedRetryPolicy]?: ResolvedRetryPolicy[K] | undefined } | undefined,
): ResolvedRetryPolicy {
  return {
    retries: policy?.retries ?? defaults.retries,
    minTimeoutMs: policy?.minTimeoutMs ?? defaults.minTimeoutMs,
    maxTimeoutMs: policy?.maxTimeoutMs ?? defaults.maxTimeoutMs,
    factor: policy?.factor ?? defaults.factor,
    jitter: policy?.jitter ?? defaults.jitter,
  };
}
