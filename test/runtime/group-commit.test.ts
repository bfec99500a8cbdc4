import { describe, expect, it } from 'vitest';
import { allSucceed, GroupCommitter } from '../../src/runtime/group-commit.js';

/** A flush that records its batches and refuses a batch holding a negative number. */
function recordingFlush() {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> = Promise.resolve();
  const flush = allSucceed(async (batch: number[]) => {
    batches.push(batch);
    await gate;
    if (batch.some((n) => n < 0)) throw new Error(`refused ${batch.join(',')}`);
    return batch.map((n) => n * 10);
  });
  return {
    batches,
    flush,
    /** Hold flushes until the returned function is called. */
    hold: () => {
      gate = new Promise<void>((r) => (release = r));
      return () => release?.();
    },
  };
}

describe('GroupCommitter', () => {
  it('gathers a synchronous burst into one flush and gives each caller its own result', async () => {
    const { batches, flush } = recordingFlush();
    const committer = new GroupCommitter(flush, { maxInFlight: 1 });
    const results = await Promise.all([1, 2, 3].map((n) => committer.submit(n)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('requests arriving during a flush form the next one, at most maxBatch each', async () => {
    const { batches, flush, hold } = recordingFlush();
    const committer = new GroupCommitter(flush, { maxInFlight: 1, maxBatch: 2 });
    const release = hold();
    const first = committer.submit(1);
    await Promise.resolve();
    const rest = [2, 3, 4].map((n) => committer.submit(n));
    release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3], [4]]);
  });

  it('with isolateFailures, a bad request fails only its own caller', async () => {
    const { batches, flush } = recordingFlush();
    const committer = new GroupCommitter(flush, { maxInFlight: 1, isolateFailures: true });
    const settled = await Promise.allSettled([1, -2, 3].map((n) => committer.submit(n)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      10,
      'refused -2',
      30,
    ]);
    // The whole batch first, then each request alone, in order.
    expect(batches).toEqual([[1, -2, 3], [1], [-2], [3]]);
  });

  it('without isolateFailures, every caller of the batch gets the error', async () => {
    const { batches, flush } = recordingFlush();
    const committer = new GroupCommitter(flush, { maxInFlight: 1 });
    const settled = await Promise.allSettled([1, -2, 3].map((n) => committer.submit(n)));
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(batches).toEqual([[1, -2, 3]]);
  });

  it('per-request outcomes fail only their own caller', async () => {
    const committer = new GroupCommitter<number, number>(async (batch) =>
      batch.map((n) => (n < 0 ? { ok: false, error: new Error(`bad ${n}`) } : { ok: true, value: n })),
    );
    const settled = await Promise.allSettled([1, -1].map((n) => committer.submit(n)));
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { message: 'bad -1' } });
  });

  it('spreads a queue over the free flush slots, and drained() waits for them all', async () => {
    const { batches, flush, hold } = recordingFlush();
    const committer = new GroupCommitter(flush, { maxInFlight: 2 });
    const release = hold();
    const pending = [1, 2, 3, 4].map((n) => committer.submit(n));
    let drained = false;
    const done = committer.drained().then(() => (drained = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(drained).toBe(false);
    release();
    await Promise.all([...pending, done]);
    expect(drained).toBe(true);
  });

  it('with minSplitSize, a short queue goes as one flush and a long one is split into flushes of at least that many', async () => {
    const { batches, flush, hold } = recordingFlush();
    const committer = new GroupCommitter(flush, { maxInFlight: 4, minSplitSize: 3 });
    const release = hold();
    const short = [1, 2, 3, 4, 5].map((n) => committer.submit(n));
    await Promise.resolve();
    await Promise.resolve();
    // 5 queued: two flushes would carry fewer than 3 each.
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
    // 7 arriving while it is in flight, 3 slots free: two flushes (7 / 3), not three.
    const long = [6, 7, 8, 9, 10, 11, 12].map((n) => committer.submit(n));
    await Promise.resolve();
    await Promise.resolve();
    expect(batches).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9],
      [10, 11, 12],
    ]);
    release();
    expect(await Promise.all([...short, ...long])).toEqual([
      10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120,
    ]);
  });

  it('minSplitSize counts the work sizeOf gives: a few large requests are still split', async () => {
    const { batches, flush, hold } = recordingFlush();
    const committer = new GroupCommitter(flush, {
      maxInFlight: 2,
      minSplitSize: 16,
      sizeOf: (n: number) => n,
    });
    const release = hold();
    const large = [20, 20].map((n) => committer.submit(n));
    await Promise.resolve();
    await Promise.resolve();
    expect(batches).toEqual([[20], [20]]);
    release();
    await Promise.all(large);
    const small = [1, 2, 3].map((n) => committer.submit(n));
    await Promise.all(small);
    expect(batches.slice(2)).toEqual([[1, 2, 3]]);
  });

  it('submitMany keeps its requests in one flush, whatever maxBatch and the free slots', async () => {
    const { batches, flush, hold } = recordingFlush();
    const committer = new GroupCommitter(flush, { maxInFlight: 2, maxBatch: 2 });
    const release = hold();
    const before = committer.submit(1);
    const many = committer.submitMany([2, 3, 4]);
    const after = [5, 6].map((n) => committer.submit(n));
    await Promise.resolve();
    await Promise.resolve();
    release();
    expect(await many).toEqual([
      { ok: true, value: 20 },
      { ok: true, value: 30 },
      { ok: true, value: 40 },
    ]);
    expect(await Promise.all([before, ...after])).toEqual([10, 50, 60]);
    // Whole units: the group is never split between flushes, nor joined beyond maxBatch.
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
    expect(await committer.submitMany([])).toEqual([]);
  });

  it('a submitMany whose flush throws: every request fails, or with isolateFailures each is flushed alone', async () => {
    const plain = recordingFlush();
    const all = await new GroupCommitter(plain.flush).submitMany([1, -2]);
    expect(all).toMatchObject([
      { ok: false, error: { message: 'refused 1,-2' } },
      { ok: false, error: { message: 'refused 1,-2' } },
    ]);
    const isolating = recordingFlush();
    const apart = await new GroupCommitter(isolating.flush, { isolateFailures: true }).submitMany([1, -2, 3]);
    expect(apart).toMatchObject([
      { ok: true, value: 10 },
      { ok: false, error: { message: 'refused -2' } },
      { ok: true, value: 30 },
    ]);
    expect(isolating.batches).toEqual([[1, -2, 3], [1], [-2], [3]]);
  });
});
