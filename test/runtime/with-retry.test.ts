import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import {
  AttemptTimeoutError,
  DEFAULT_RETRY_POLICY,
  nominalRetryDelayMs,
  resolveRetryPolicy,
  withRetry,
  type FailedAttempt,
} from '../../src/runtime/index.js';

const fast = resolveRetryPolicy({ attempts: 4, minTimeoutMs: 0, maxTimeoutMs: 1 });
/** Long enough that a test only ends when the abort under test cuts the delay short. */
const patient = resolveRetryPolicy({
  attempts: 3,
  minTimeoutMs: 60_000,
  maxTimeoutMs: 60_000,
  jitter: false,
});

describe('withRetry', () => {
  it('retries a TypeError like any other error and rethrows the last error as thrown', async () => {
    const seen: number[] = [];
    const err = new TypeError('Cannot read properties of undefined');
    await expect(
      withRetry(async (attempt) => {
        seen.push(attempt);
        throw err;
      }, fast),
    ).rejects.toBe(err);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('returns the first success, retries thrown non-errors, and reports each failed attempt', async () => {
    const failed: FailedAttempt[] = [];
    const value = await withRetry(
      (attempt) => {
        if (attempt < 3) throw 'not an Error';
        return attempt;
      },
      fast,
      { onFailedAttempt: (failure) => void failed.push(failure) },
    );
    expect(value).toBe(3);
    expect(failed).toEqual([
      { error: 'not an Error', attempt: 1, willRetry: true },
      { error: 'not an Error', attempt: 2, willRetry: true },
    ]);
  });

  it('stops at once when shouldRetry says the error is permanent, and says no retry follows', async () => {
    const permanent = new Error('permanent');
    const failed: FailedAttempt[] = [];
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw permanent;
        },
        fast,
        { shouldRetry: (e) => e !== permanent, onFailedAttempt: (f) => void failed.push(f) },
      ),
    ).rejects.toBe(permanent);
    expect(calls).toBe(1);
    expect(failed).toEqual([{ error: permanent, attempt: 1, willRetry: false }]);
  });

  it('reports the last attempt as the one without a retry', async () => {
    const willRetry: boolean[] = [];
    await expect(
      withRetry(
        () => {
          throw new Error('down');
        },
        resolveRetryPolicy({ attempts: 2, minTimeoutMs: 0, maxTimeoutMs: 0 }),
        { onFailedAttempt: (f) => void willRetry.push(f.willRetry) },
      ),
    ).rejects.toThrow('down');
    expect(willRetry).toEqual([true, false]);
  });

  it('fails an attempt that outlives attemptTimeoutMs, aborts its signal and tries again', async () => {
    const signals: AbortSignal[] = [];
    const result = await withRetry(
      (attempt, { signal }) => {
        signals.push(signal);
        if (attempt === 1) return new Promise<string>(() => undefined); // hangs for ever
        return 'second';
      },
      fast,
      { attemptTimeoutMs: 5 },
    );
    expect(result).toBe('second');
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toBeInstanceOf(AttemptTimeoutError);
    expect(signals[1]!.aborted).toBe(false);
  });

  it('fails with the caller’s timeout error when it names one', async () => {
    const timeout = new Error('step took too long');
    await expect(
      withRetry(() => new Promise(() => undefined), resolveRetryPolicy({ attempts: 1 }), {
        attemptTimeoutMs: 1,
        timeoutError: () => timeout,
      }),
    ).rejects.toBe(timeout);
  });

  it('an abort during the delay ends the run with the signal’s reason; no further attempt starts', async () => {
    const controller = new AbortController();
    const stopping = new Error('stopping');
    let calls = 0;
    const run = withRetry(
      () => {
        calls++;
        throw new Error('503');
      },
      patient,
      { signal: controller.signal, onFailedAttempt: () => controller.abort(stopping) },
    );
    await expect(run).rejects.toBe(stopping);
    expect(calls).toBe(1);
  });

  it('an abort abandons a timed attempt at once and aborts its signal', async () => {
    const controller = new AbortController();
    const stopping = new Error('stopping');
    let attemptSignal: AbortSignal | undefined;
    const run = withRetry(
      (_attempt, { signal }) => {
        attemptSignal = signal;
        queueMicrotask(() => controller.abort(stopping));
        return new Promise(() => undefined);
      },
      patient,
      { signal: controller.signal, attemptTimeoutMs: 60_000 },
    );
    await expect(run).rejects.toBe(stopping);
    expect(attemptSignal?.reason).toBe(stopping);
  });

  it('an already aborted signal starts no attempt', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    let calls = 0;
    await expect(withRetry(() => ++calls, fast, { signal: controller.signal })).rejects.toThrow('stopped');
    expect(calls).toBe(0);
  });

  it('stops once maxRetryTimeMs has passed, even with unlimited attempts', async () => {
    let calls = 0;
    await expect(
      withRetry(
        () => {
          calls++;
          throw new Error('down');
        },
        { ...fast, attempts: Number.POSITIVE_INFINITY },
        { maxRetryTimeMs: 0 },
      ),
    ).rejects.toThrow('down');
    expect(calls).toBe(1);
  });
});

describe('resolveRetryPolicy', () => {
  it('fills in the defaults, or the ones given', () => {
    expect(resolveRetryPolicy()).toEqual(DEFAULT_RETRY_POLICY);
    expect(resolveRetryPolicy({ attempts: 2, jitter: undefined })).toEqual({
      ...DEFAULT_RETRY_POLICY,
      attempts: 2,
    });
    const runner = { ...DEFAULT_RETRY_POLICY, attempts: 4, maxTimeoutMs: 5_000 };
    expect(resolveRetryPolicy({ minTimeoutMs: 1 }, runner)).toEqual({ ...runner, minTimeoutMs: 1 });
    expect(Object.isFrozen(resolveRetryPolicy())).toBe(true);
  });

  it('refuses bad values and unknown fields with a ValidationError', () => {
    expect(() => resolveRetryPolicy({ attempts: 0 })).toThrow(ValidationError);
    expect(() => resolveRetryPolicy({ factor: 0.5 })).toThrow(/factor/);
    expect(() => resolveRetryPolicy({ retries: 3 } as never)).toThrow(ValidationError);
  });

  it('names the nominal delay of a retry (before jitter)', () => {
    expect([1, 2, 3, 10].map((n) => nominalRetryDelayMs(DEFAULT_RETRY_POLICY, n))).toEqual([
      100, 200, 400, 10_000,
    ]);
  });
});
