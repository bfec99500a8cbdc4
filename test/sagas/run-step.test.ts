import { describe, expect, it } from 'vitest';
import { StepTimeoutError, TerminalError } from '../../src/sagas/index.js';
import type { RetryPolicy } from '../../src/runtime/index.js';
import { runStep } from '../../src/sagas/run-step.js';

const retry: RetryPolicy = { attempts: 4, minTimeoutMs: 1, maxTimeoutMs: 2, factor: 2, jitter: true };
const options = (overrides: Partial<Parameters<typeof runStep>[1]> = {}) => ({
  name: 'step',
  timeoutMs: 1_000,
  retry,
  signal: new AbortController().signal,
  ...overrides,
});

describe('runStep', () => {
  it('succeeds at once without retrying', async () => {
    expect(await runStep(() => 42, options())).toEqual({ ok: true, output: 42, attempts: 1 });
  });

  it('retries transient failures up to the policy and reports the attempts', async () => {
    const seen: number[] = [];
    const result = await runStep((n) => {
      seen.push(n);
      throw new Error('503');
    }, options());
    expect(result).toMatchObject({ ok: false, attempts: 4, aborted: false });
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('stops at a TerminalError, but retries a TypeError (the runtime rule) and a thrown string', async () => {
    const terminal = new TerminalError('no');
    let calls = 0;
    const stopped = await runStep(() => {
      calls++;
      throw terminal;
    }, options());
    expect(stopped).toMatchObject({ ok: false, attempts: 1, error: terminal });
    expect(calls).toBe(1);
    const bug = new TypeError('x is undefined');
    calls = 0;
    const retried = await runStep(() => {
      calls++;
      throw bug;
    }, options());
    expect(retried).toMatchObject({ ok: false, attempts: 4, error: bug });
    expect(calls).toBe(4);
    calls = 0;
    const result = await runStep(() => {
      calls++;
      if (calls < 3) throw 'flaky';
      return 'ok';
    }, options());
    expect(result).toEqual({ ok: true, output: 'ok', attempts: 3 });
  });

  it('times out an attempt and aborts its signal, even one read after the timeout', async () => {
    let late: AbortSignal | undefined;
    const result = await runStep(
      (_, attempt) =>
        new Promise((resolve) =>
          setTimeout(() => {
            late = attempt.signal;
            resolve('too late');
          }, 40),
        ),
      options({ timeoutMs: 5, retry: { ...retry, attempts: 1 } }),
    );
    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect((result as { error: unknown }).error).toBeInstanceOf(StepTimeoutError);
    await new Promise((r) => setTimeout(r, 60));
    expect(late?.aborted).toBe(true);
  });

  it('an aborted run starts no further attempt and says so', async () => {
    const controller = new AbortController();
    let calls = 0;
    const result = await runStep(
      () => {
        calls++;
        controller.abort(new Error('stopping'));
        throw new Error('503');
      },
      options({ signal: controller.signal }),
    );
    expect(result).toMatchObject({ ok: false, aborted: true });
    expect(calls).toBe(1);
  });
});
