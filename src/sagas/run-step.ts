/**
 * Running one action or compensation: attempts with a per-attempt timeout,
 * retried by the runtime's `withRetry` (exponential backoff with jitter). A
 * `TerminalError` (or an aborted run) is never retried; every other error is,
 * a `TypeError` included (the runtime's one rule, see `runtime/with-retry.ts`).
 */
import { isSyncError } from '../core/errors.js';
import type { RetryPolicy } from '../runtime/retry-policy.js';
import { withRetry, type RetryAttemptContext } from '../runtime/with-retry.js';
import { SagaLeaseLostError, StepTimeoutError, TerminalError } from './errors.js';
import type { SagaErrorInfo } from './types.js';
import { storableText } from '../core/storable-text.js';

/** One attempt; `context.signal` is created on first read and aborts on timeout or when the run stops. */
export type StepAttempt = (attemptNumber: number, context: RetryAttemptContext) => unknown;

/** What one run of a step produced. */
export type StepRunResult =
  | { ok: true; output: unknown; attempts: number }
  | {
      ok: false;
      error: unknown;
      attempts: number;
      aborted: boolean;
      /** The action returned (its output was then refused): it had its effect. */
      acted?: boolean;
    };

/** Options of {@link runStep}. */
export interface RunStepOptions {
  /** The step or compensation name (for timeout errors). */
  name: string;
  timeoutMs: number;
  retry: Readonly<RetryPolicy>;
  /** Aborts the run (worker stopping, lease lost): no further attempt starts. */
  signal: AbortSignal;
}

/**
 * Run `attempt` until it succeeds, fails permanently or the attempts are used up.
 *
 * @example
 * ```ts
 * const result = await runStep((n, { signal }) => charge(card, { signal }), {
 *   name: 'process_payment', timeoutMs: 10_000, retry, signal: runnerSignal,
 * });
 * ```
 */
export async function runStep(attempt: StepAttempt, options: RunStepOptions): Promise<StepRunResult> {
  const { signal } = options;
  let attempts = 0;
  try {
    const output = await withRetry(
      (n, context) => {
        attempts = n;
        return attempt(n, context);
      },
      options.retry,
      {
        signal,
        attemptTimeoutMs: options.timeoutMs,
        timeoutError: (ms) => new StepTimeoutError(options.name, ms),
        // A lease lost (a joined append the fence refused) is not the step's failure to retry.
        shouldRetry: (error) => !(error instanceof TerminalError) && !(error instanceof SagaLeaseLostError),
      },
    );
    return { ok: true, output, attempts };
  } catch (error) {
    return { ok: false, error, attempts: Math.max(1, attempts), aborted: signal.aborted };
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
  // Stored as jsonb: a NUL character, which PostgreSQL refuses, would make recording the failure fail.
  if (err instanceof Error) {
    const info: SagaErrorInfo = { name: storableText(err.name), message: storableText(err.message) };
    const code = isSyncError(err) ? err.code : (err as { code?: unknown }).code;
    if (typeof code === 'string') info.code = storableText(code);
    return info;
  }
  return { name: 'Error', message: storableText(String(err)) };
}
