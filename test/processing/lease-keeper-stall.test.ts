/**
 * A holder whose event loop stalls past its self-fencing deadline while a
 * renewal sent in time is answered. After a stall Node runs the overdue fence
 * timer before the I/O that arrived meanwhile; the keeper used to fence itself
 * on a lease the store had just renewed (the same ordering the saga worker
 * had, docs/sagas.md "Re-claims without a fault"). The fence now decides after
 * that I/O, and a renewal read late still counts from the time it was sent.
 */
import { describe, expect, it } from 'vitest';
import { LeaseKeeper, type LeasePort } from '../../src/processing/index.js';
import { answerAfterStall } from '../support/event-loop-stall.js';

const TTL_MS = 3_000;
const RENEW_MS = 1_000;
const SELF_FENCE_AFTER_MS = TTL_MS - RENEW_MS;

/**
 * One lease in memory; the second renewal stalls the process past the deadline
 * the first one gave, then answers through an I/O callback, as a socket does.
 */
function stallingLeases() {
  let owner: string | null = null;
  let renewals = 0;
  let previousSent: number | undefined;
  let onStalled!: () => void;
  const stalled = new Promise<void>((resolve) => (onStalled = resolve));
  const leases: LeasePort = {
    acquire: async (_name, who) => {
      if (owner !== null && owner !== who) return false;
      owner = who;
      previousSent = performance.now();
      return true;
    },
    renew: async (_name, who) => {
      renewals++;
      const before = previousSent!;
      previousSent = performance.now();
      const held = owner === who;
      if (renewals !== 2) return held;
      // The keeper's deadline is at most the earlier send plus the self-fencing window.
      const deadline = before + SELF_FENCE_AFTER_MS;
      if (performance.now() >= deadline - 100) {
        throw new Error('the renewal was sent after the deadline: the machine is too slow for this test');
      }
      return answerAfterStall(held, deadline + 100, onStalled);
    },
    release: async (_name, who) => {
      if (owner === who) owner = null;
    },
  };
  return { leases, stalled, renewals: () => renewals };
}

describe('LeaseKeeper after an event-loop stall', () => {
  it('keeps a lease whose renewal was answered in time, read after the deadline', async () => {
    const stalling = stallingLeases();
    const lost: string[] = [];
    const keeper = new LeaseKeeper({
      leases: stalling.leases,
      name: 'stalled',
      owner: 'a',
      ttlMs: TTL_MS,
      renewIntervalMs: RENEW_MS,
      onLost: (err) => lost.push(err.reason),
    });
    expect(await keeper.tryAcquire()).toBe(true);
    const signal = keeper.signal;
    await stalling.stalled;
    // One more renewal after the stall, or the loss.
    await new Promise<void>((resolve) => {
      const check = () =>
        stalling.renewals() > 2 || lost.length > 0 ? resolve() : void setTimeout(check, 20);
      check();
    });
    expect(lost).toEqual([]);
    expect(signal.aborted).toBe(false);
    expect(keeper.held).toBe(true);
    await keeper.release();
  }, 30_000);
});
