/**
 * `withRetry`: the one way the library tries an operation again, on p-retry
 * (exponential backoff with jitter). This is the only file that imports p-retry.
 *
 * The `TypeError` rule: a `TypeError` is retried like any other error. p-retry
 * alone would give up on it at once (calling it a bug, unless its message is one
 * of the fetch network messages it knows). Here that rule would misfire both
 * ways: a handler's `Cannot read properties of undefined` often means data it
 * reads has not arrived yet (a read model catching up), which another attempt
 * fixes; and network `TypeError`s differ between runtimes. A genuine bug costs
 * the policy's attempts, then ends where every permanent failure ends (a dead
 * letter, a compensation). Callers that know an error is permanent say so with
 * `shouldRetry`; a thrown non-`Error` value is retried too and rethrown as thrown.
 */
import pRetry, { AbortError } from 'p-retry';
import { AttemptTimeoutError } from './errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';

/** What an attempt receives besides its number. */
export interface RetryAttemptContext {
  /**
   * Aborted when the attempt times out (`attemptTimeoutMs`) or the run's
   * `signal` aborts; pass it on to cancellable calls. Created on first read.
   */
  readonly signal: AbortSignal;
}

/** A failed attempt, as reported to `onFailedAttempt`. */
export interface FailedAttempt {
  error: unknown;
  /** 1-based number of the attempt that failed. */
  attempt: number;
  /** Whether another attempt follows (false on a permanent error, or when the policy is used up). */
  willRetry: boolean;
}

/** Options of {@link withRetry}. */
export interface WithRetryOptions {
  /** Stops the run: no attempt starts after it aborts, a delay ends early, and the run rejects with its reason. */
  signal?: AbortSignal | undefined;
  /**
   * Give up on an attempt after this long: its signal aborts with `timeoutError`
   * and the attempt counts as failed. A timed attempt is also abandoned at once
   * when `signal` aborts. Without it an attempt always runs to its end.
   */
  attemptTimeoutMs?: number | undefined;
  /** The error a timed-out attempt fails with. Default an {@link AttemptTimeoutError}. */
  timeoutError?: (timeoutMs: number) => unknown;
  /** Return false to stop at once (the error is rethrown). Default: retry everything. */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Called after every failed attempt, before the delay; the next attempt waits for a returned promise. */
  onFailedAttempt?: (failure: FailedAttempt) => void | Promise<void>;
  /** Stop retrying once this much time (ms) has passed since the first attempt began. */
  maxRetryTimeMs?: number | undefined;
}

/**
 * Run `fn` until it succeeds, `shouldRetry` refuses, the policy's attempts or
 * `maxRetryTimeMs` are used up, or `signal` aborts; rejects with the last error
 * exactly as thrown (or the signal's reason). `fn` receives the 1-based attempt
 * number. Every error is retried, `TypeError` included (see the module comment).
 *
 * @example
 * ```ts
 * const label = await withRetry(
 *   (attempt, { signal }) => carrier.createLabel(order, { idempotencyKey, signal }),
 *   resolveRetryPolicy({ attempts: 5 }),
 *   { attemptTimeoutMs: 10_000, signal: worker.signal, shouldRetry: (err) => !isTerminal(err) },
 * );
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number, context: RetryAttemptContext) => T | Promise<T>,
  policy: Readonly<RetryPolicy> = DEFAULT_RETRY_POLICY,
  options: WithRetryOptions = {},
): Promise<T> {
  const { shouldRetry, onFailedAttempt, maxRetryTimeMs, signal } = options;
  const startedAt = performance.now();
  try {
    return await pRetry(
      async (attempt) => {
        try {
          return await runAttempt(fn, attempt, options);
        } catch (error) {
          const retryable = !signal?.aborted && (shouldRetry?.(error, attempt) ?? true);
          const willRetry =
            retryable &&
            attempt < policy.attempts &&
            (maxRetryTimeMs === undefined || performance.now() - startedAt < maxRetryTimeMs);
          await onFailedAttempt?.({ error, attempt, willRetry });
          // Every error is wrapped, so p-retry's own TypeError rule never applies.
          throw retryable ? new Wrapped(error) : new AbortError(new Wrapped(error));
        }
      },
      {
        retries: policy.attempts - 1,
        minTimeout: policy.minTimeoutMs,
        maxTimeout: policy.maxTimeoutMs,
        factor: policy.factor,
        randomize: policy.jitter,
        unref: true,
        ...(maxRetryTimeMs === undefined ? {} : { maxRetryTime: maxRetryTimeMs }),
        ...(signal ? { signal } : {}),
      },
    );
  } catch (err) {
    throw err instanceof Wrapped ? err.value : err;
  }
}

/** One attempt; with a timeout, raced against it and the run's signal. */
async function runAttempt<T>(
  fn: (attempt: number, context: RetryAttemptContext) => T | Promise<T>,
  attempt: number,
  options: WithRetryOptions,
): Promise<T> {
  const outer = options.signal;
  const timeoutMs = options.attemptTimeoutMs;
  if (timeoutMs === undefined) {
    const signal = outer ?? NEVER_ABORTED;
    return fn(attempt, { signal });
  }
  if (outer?.aborted) throw outer.reason;
  // The attempt's own signal exists only if the attempt reads it (most never do).
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
  const onOuterAbort = () => abort(outer!.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  // The timed-out call keeps running (JavaScript cannot kill it); its signal is
  // aborted and its result ignored, which is why retried calls carry idempotency keys.
  const timer = setTimeout(
    () => abort(options.timeoutError ? options.timeoutError(timeoutMs) : new AttemptTimeoutError(timeoutMs)),
    timeoutMs,
  );
  const context: RetryAttemptContext = {
    get signal() {
      if (!controller) {
        controller = new AbortController();
        if (abortedWith) controller.abort(abortedWith.reason);
      }
      return controller.signal;
    },
  };
  try {
    return await Promise.race([callAsync(fn, attempt, context), failed]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/** A synchronous throw becomes a rejection, so the race above sees it. */
async function callAsync<T>(
  fn: (attempt: number, context: RetryAttemptContext) => T | Promise<T>,
  attempt: number,
  context: RetryAttemptContext,
): Promise<T> {
  return fn(attempt, context);
}

const NEVER_ABORTED = new AbortController().signal;

/** Carries the original error (any value) through p-retry untouched. */
class Wrapped extends Error {
  readonly value: unknown;
  constructor(value: unknown) {
    super(value instanceof Error ? value.message : String(value));
    this.value = value;
  }
}
