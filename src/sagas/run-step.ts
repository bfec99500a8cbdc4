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

/** One attempt; `signal()` creates the attempt's abort signal on first use. */
export type StepAttempt = (attemptNumber: number, signal: () => AbortSignal) => unknown;

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
  retry: ResolvedRetryPolicy;
  /** Aborts the run (worker stopping, lease lost): no further attempt starts. */
  signal: AbortSignal;
}

/**
 * Run `attempt` until it succeeds, fails permanently or retries are exhausted.
 *
 * @example
 * ```ts
 * const result = await runStep((n, signal) => charge(card, { signal: signal() }), {
 *   name: 'process_payment', timeoutMs: 10_000, retry, signal: runnerSignal,
 * });
 * ```
 */
export async function runStep(attempt: StepAttempt, options: RunStepOptions): Promise<StepRunResult> {
  const { retry, signal } = options;
  // Fast path: most steps succeed at once, so the first attempt runs without p-retry.
  try {
    return { ok: true, output: await runAttempt(attempt, 1, options), attempts: 1 };
  } catch (error) {
    if (error instanceof TerminalError || signal.aborted || retry.retries === 0 || isBug(error)) {
      return { ok: false, error, attempts: 1, aborted: signal.aborted };
    }
  }
  // The first retry waits like p-retry's would; p-retry then continues the exponential series.
  const firstDelay = Math.min(
    retry.maxTimeoutMs,
    retry.minTimeoutMs * (retry.jitter ? 1 + Math.random() : 1),
  );
  if (!(await sleep(firstDelay, signal)))
    return { ok: false, error: signal.reason, attempts: 1, aborted: true };
  let attempts = 1;
  try {
    const output = await pRetry(
      async (n) => {
        attempts = n + 1;
        return runAttempt(attempt, n + 1, options);
      },
      {
        retries: retry.retries - 1,
        factor: retry.factor,
        minTimeout: Math.min(retry.maxTimeoutMs, retry.minTimeoutMs * retry.factor),
        maxTimeout: retry.maxTimeoutMs,
        randomize: retry.jitter,
        signal,
        shouldRetry: ({ error }) => !(error instanceof TerminalError) && !signal.aborted,
      },
    );
    return { ok: true, output, attempts };
  } catch (error) {
    return { ok: false, error, attempts, aborted: signal.aborted };
  }
}

/** Like p-retry: a TypeError is a bug, not retried — unless it is a fetch network failure. */
function isBug(error: unknown): boolean {
  return error instanceof TypeError && !NETWORK_MESSAGES.has(error.message);
}

const NETWORK_MESSAGES = new Set([
  'fetch failed',
  'Failed to fetch',
  'NetworkError when attempting to fetch resource.',
  'Load failed',
  'Network request failed',
  'terminated',
]);

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function runAttempt(
  attempt: StepAttempt,
  attemptNumber: number,
  options: RunStepOptions,
): Promise<unknown> {
  if (options.signal.aborted) throw options.signal.reason;
  // The attempt's own signal is created only if the step reads it (most stubs never do).
  let controller: AbortController | undefined;
  let abortedWith: { reason: unknown } | undefined;
  let fail!: (reason: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  const abort = (reason: unknown) => {
    abortedWith ??= { reason };
    controller?.abort(reason);
    fail(reason);
  };
  const onOuterAbort = () => abort(options.signal.reason);
  options.signal.addEventListener('abort', onOuterAbort, { once: true });
  // The timed-out call keeps running (JavaScript cannot kill it); its signal is
  // aborted and its result ignored, which is why steps get idempotency keys.
  const timer = setTimeout(
    () => abort(new StepTimeoutError(options.name, options.timeoutMs)),
    options.timeoutMs,
  );
  const signal = (): AbortSignal => {
    if (!controller) {
      controller = new AbortController();
      if (abortedWith) controller.abort(abortedWith.reason);
    }
    return controller.signal;
  };
  try {
    return await Promise.race([runUser(attempt, attemptNumber, signal), failed]);
  } catch (err) {
    // p-retry does not retry non-errors; a thrown string is still a transient failure.
    throw err instanceof Error ? err : new Error(String(err));
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onOuterAbort);
  }
}

async function runUser(
  attempt: StepAttempt,
  attemptNumber: number,
  signal: () => AbortSignal,
): Promise<unknown> {
  return attempt(attemptNumber, signal);
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
