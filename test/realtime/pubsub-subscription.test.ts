/**
 * A hub closed while its topic subscription is still being made: the
 * subscription that comes through afterwards is undone. Left held, its
 * connection (a LISTEN client, a Redis subscriber) kept the host's pool from
 * ending after `close()` (the docs' examples that close an engine at once hung).
 */
import { describe, expect, it } from 'vitest';
import type { PubSub } from '../../src/realtime/pubsub.js';
import { subscribeUntilHeld } from '../../src/realtime/pubsub-subscription.js';

/** A pub/sub whose subscribes fail `failures` times, then wait for `release()`; counts the undone ones. */
function gatedPubSub(failures: number) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const counts = { attempts: 0, held: 0, undone: 0 };
  const pubsub: PubSub = {
    async publish() {},
    async subscribe() {
      counts.attempts += 1;
      if (counts.attempts <= failures) throw new Error('broker unreachable');
      await gate;
      counts.held += 1;
      return async () => {
        counts.undone += 1;
      };
    },
  };
  return { pubsub, counts, release };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('subscribeUntilHeld aborted while an attempt is in flight', () => {
  for (const failures of [0, 1]) {
    it(`undoes the subscription that holds after the abort (${failures} failed attempt(s) before)`, async () => {
      const { pubsub, counts, release } = gatedPubSub(failures);
      const closing = new AbortController();
      const result = subscribeUntilHeld(
        pubsub,
        'topic',
        () => {},
        () => {},
        {
          signal: closing.signal,
          onFirstFailure: () => {},
        },
      );
      await until(() => counts.attempts === failures + 1, 'the attempt in flight');
      closing.abort();
      release();
      expect(await result).toBeNull();
      await until(() => counts.undone === 1, 'the late subscription undone');
      expect(counts).toEqual({ attempts: failures + 1, held: 1, undone: 1 });
    });
  }

  it('keeps a subscription that holds before any abort', async () => {
    const { pubsub, counts, release } = gatedPubSub(1);
    const result = subscribeUntilHeld(
      pubsub,
      'topic',
      () => {},
      () => {},
      {
        signal: new AbortController().signal,
        onFirstFailure: () => {},
      },
    );
    release();
    const off = await result;
    expect(counts).toEqual({ attempts: 2, held: 1, undone: 0 });
    await off!();
    expect(counts.undone).toBe(1);
  });
});
