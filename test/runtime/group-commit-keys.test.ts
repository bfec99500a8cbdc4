import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupCommitter, type FlushOutcome } from '../../src/runtime/group-commit.js';

/** A request: `key` is what it locks, `id` its submission number; a negative id is refused. */
interface Req {
  key: string;
  id: number;
}

/** One call of the flush, ended by the test. */
interface Call {
  batch: readonly Req[];
  done: boolean;
  end(): void;
}

/** Let queued microtasks and promise callbacks run (no timers involved). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A flush the test ends by hand. It records every call and every time a call
 * starts while another call in flight holds one of its keys.
 */
function controlledFlush() {
  const calls: Call[] = [];
  const overlaps: string[] = [];
  const flush = (batch: readonly Req[]): Promise<FlushOutcome<number>[]> => {
    for (const other of calls) {
      if (other.done) continue;
      const shared = batch.filter((r) => other.batch.some((o) => o.key === r.key));
      if (shared.length > 0) overlaps.push(shared.map((r) => r.key).join(','));
    }
    return new Promise((resolve, reject) => {
      const call: Call = {
        batch,
        done: false,
        end: () => {
          call.done = true;
          if (batch.some((r) => r.id < 0)) reject(new Error(`refused ${batch.map((r) => r.id).join(',')}`));
          else resolve(batch.map((r) => ({ ok: true, value: r.id })));
        },
      };
      calls.push(call);
    });
  };
  const running = () => calls.filter((c) => !c.done);
  const ids = (call: Call | undefined) => call?.batch.map((r) => r.id);
  return { calls, overlaps, flush, running, ids };
}

const keyed = { keysOf: (r: Req) => [r.key] };

describe('GroupCommitter with keysOf', () => {
  it('never flushes one key twice at once, and other keys pass the held unit', async () => {
    const { calls, overlaps, flush, running, ids } = controlledFlush();
    const committer = new GroupCommitter(flush, { ...keyed, maxInFlight: 4 });
    const first = committer.submit({ key: 'a', id: 1 });
    await settle();
    const later = [
      committer.submit({ key: 'a', id: 2 }),
      committer.submit({ key: 'b', id: 3 }),
      committer.submit({ key: 'a', id: 4 }),
      committer.submit({ key: 'c', id: 5 }),
    ];
    await settle();
    // 'a' is in flight: 2 and 4 wait in the queue; 3 and 5 go on.
    expect(calls.map(ids)).toEqual([[1], [3, 5]]);
    calls[1]!.end();
    await settle();
    expect(calls).toHaveLength(2);
    calls[0]!.end();
    await settle();
    // Held same-key units share the next flush, in order.
    expect(calls.map(ids)).toEqual([[1], [3, 5], [2, 4]]);
    running()[0]!.end();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4, 5]);
    expect(overlaps).toEqual([]);
    await committer.drained();
  });

  it('a later unit sharing a key with a held unit waits behind it', async () => {
    const { calls, overlaps, flush, running, ids } = controlledFlush();
    const committer = new GroupCommitter(flush, { ...keyed, maxInFlight: 4 });
    void committer.submit({ key: 'a', id: 1 });
    await settle();
    // 2 touches a (in flight) and b: it is held, so 3 on b may not overtake it.
    const many = committer.submitMany([
      { key: 'a', id: 2 },
      { key: 'b', id: 3 },
    ]);
    const b = committer.submit({ key: 'b', id: 4 });
    const c = committer.submit({ key: 'c', id: 5 });
    await settle();
    expect(calls.map(ids)).toEqual([[1], [5]]);
    calls[0]!.end();
    await settle();
    // 4 (on b only) could have joined 2's flush.
    expect(calls.map(ids)).toEqual([[1], [5], [2, 3, 4]]);
    for (const call of running()) call.end();
    expect(await many).toEqual([
      { ok: true, value: 2 },
      { ok: true, value: 3 },
    ]);
    expect([await b, await c]).toEqual([4, 5]);
    expect(overlaps).toEqual([]);
  });

  it('a held unit goes in the first flush after the one on its key ends, and drained() waits for it', async () => {
    const { calls, flush, running, ids } = controlledFlush();
    const committer = new GroupCommitter(flush, { ...keyed, maxInFlight: 2, maxBatch: 1 });
    void committer.submit({ key: 'a', id: 1 });
    await settle();
    const held = committer.submit({ key: 'a', id: 2 });
    let drained = false;
    const done = committer.drained().then(() => (drained = true));
    for (let id = 3; id <= 6; id++) void committer.submit({ key: `k${id}`, id });
    await settle();
    expect(calls.map(ids)).toEqual([[1], [3]]);
    calls[0]!.end();
    await settle();
    // 2 has waited longest of the units free to go.
    expect(calls.map(ids)).toEqual([[1], [3], [2]]);
    while (running().length > 0) {
      for (const call of running()) call.end();
      await settle();
    }
    expect(calls.map(ids)).toEqual([[1], [3], [2], [4], [5], [6]]);
    expect(await held).toBe(2);
    await done;
    expect(drained).toBe(true);
  });

  it('keeps isolateFailures: the key stays held while the batch is flushed apart', async () => {
    const { calls, overlaps, flush, running, ids } = controlledFlush();
    const committer = new GroupCommitter(flush, { ...keyed, maxInFlight: 2, isolateFailures: true });
    const firsts = committer.submitMany([
      { key: 'a', id: 1 },
      { key: 'b', id: -2 },
      { key: 'a', id: 3 },
    ]);
    await settle();
    const next = committer.submit({ key: 'a', id: 4 });
    while (running().length > 0) {
      for (const call of running()) call.end();
      await settle();
    }
    expect(await firsts).toMatchObject([
      { ok: true, value: 1 },
      { ok: false, error: { message: 'refused -2' } },
      { ok: true, value: 3 },
    ]);
    expect(await next).toBe(4);
    // The whole batch, then each alone, and only then the unit held on 'a'.
    expect(calls.map(ids)).toEqual([[1, -2, 3], [1], [-2], [3], [4]]);
    expect(overlaps).toEqual([]);
  });

  it('without keysOf nothing is held (same keys run at once, as before)', async () => {
    const { calls, overlaps, flush } = controlledFlush();
    const committer = new GroupCommitter(flush, { maxInFlight: 2 });
    void committer.submit({ key: 'a', id: 1 });
    await settle();
    void committer.submit({ key: 'a', id: 2 });
    await settle();
    expect(calls).toHaveLength(2);
    expect(overlaps).toEqual(['a']);
  });

  /** A step of a random run: submit one request, submit a unit of several, or end a flush in flight. */
  const step = fc.oneof(
    fc.record({ kind: fc.constant('submit' as const), key: fc.integer({ min: 0, max: 4 }) }),
    fc.record({
      kind: fc.constant('many' as const),
      keys: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
    }),
    fc.record({ kind: fc.constant('end' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('settle' as const) }),
  );

  it('law: whatever the submissions and completion order, a key is never in two flushes at once and keeps its order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        async (steps, maxInFlight, maxBatch, endOrder) => {
          const { calls, overlaps, flush, running } = controlledFlush();
          const committer = new GroupCommitter(flush, { ...keyed, maxInFlight, maxBatch });
          const results: Promise<unknown>[] = [];
          const submitted = new Map<string, number[]>();
          let id = 0;
          const request = (key: number): Req => {
            const r = { key: `k${key}`, id: ++id };
            submitted.set(r.key, [...(submitted.get(r.key) ?? []), r.id]);
            return r;
          };
          for (const s of steps) {
            if (s.kind === 'submit') results.push(committer.submit(request(s.key)));
            else if (s.kind === 'many') results.push(committer.submitMany(s.keys.map(request)));
            else if (s.kind === 'settle') await settle();
            else {
              const open = running();
              if (open.length > 0) open[s.pick % open.length]!.end();
              await settle();
            }
          }
          // End what is left, in a generated order.
          for (let turn = 0; ; turn++) {
            await settle();
            const open = running();
            if (open.length === 0) break;
            open[endOrder[turn % endOrder.length]! % open.length]!.end();
          }
          await Promise.all(results);
          await committer.drained();
          expect(overlaps).toEqual([]);
          const flushed = new Map<string, number[]>();
          for (const call of calls)
            for (const r of call.batch) flushed.set(r.key, [...(flushed.get(r.key) ?? []), r.id]);
          expect(flushed).toEqual(submitted);
        },
      ),
      { numRuns: 300 },
    );
  });
});
