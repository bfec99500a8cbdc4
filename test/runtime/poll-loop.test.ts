import { describe, expect, it, vi } from 'vitest';
import { PollLoop, type PollOutcome } from '../../src/runtime/index.js';

/** Long enough that a pause only ends early because of what the test does. */
const LONG = 60_000;

/** A promise and its resolver. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('PollLoop', () => {
  it("runs turns back to back while they answer 'again', then waits", async () => {
    let turns = 0;
    const idle = deferred();
    const loop = new PollLoop({
      turn: async () => {
        turns++;
        if (turns === 3) idle.resolve();
        return turns < 3 ? 'again' : { ms: LONG };
      },
      onError: () => undefined,
    });
    loop.start();
    await idle.promise;
    expect(turns).toBe(3);
    await loop.stop();
    expect(turns).toBe(3);
    expect(loop.running).toBe(false);
  });

  it('a wake ends a wakeable pause; a wake during a turn skips the next pause', async () => {
    let turns = 0;
    let reached = deferred();
    const loop = new PollLoop({
      turn: async () => {
        turns++;
        reached.resolve();
        return { ms: LONG };
      },
      onError: () => undefined,
    });
    loop.start();
    await reached.promise;
    reached = deferred();
    loop.wake();
    await reached.promise;
    expect(turns).toBe(2);
    await loop.stop();
  });

  it('a pause that is not wakeable keeps a wake for later; stop() ends it at once', async () => {
    let turns = 0;
    const reached = deferred();
    const loop = new PollLoop({
      turn: async (): Promise<PollOutcome> => {
        turns++;
        reached.resolve();
        return { ms: LONG, wakeable: false };
      },
      onError: () => undefined,
    });
    loop.start();
    await reached.promise;
    loop.wake();
    await new Promise((r) => setImmediate(r)); // every continuation a wake could start has run by now
    expect(turns).toBe(1);
    await loop.stop();
    expect(turns).toBe(1);
  });

  it('stop() waits for the turn in flight, and a turn failing after stop() is not reported', async () => {
    const inTurn = deferred();
    const release = deferred();
    const errors: unknown[] = [];
    const loop = new PollLoop({
      turn: async () => {
        inTurn.resolve();
        await release.promise;
        throw new Error('aborted by stop');
      },
      onError: (err) => void errors.push(err),
    });
    loop.start();
    await inTurn.promise;
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    expect(errors).toEqual([]);
  });

  it('reports a failed turn to onError, which picks what follows; a throwing reporter does not end the loop', async () => {
    const failures: string[] = [];
    let turns = 0;
    const done = deferred();
    const loop = new PollLoop({
      turn: async () => {
        turns++;
        if (turns <= 2) throw new Error(`fail ${turns}`);
        done.resolve();
        return { ms: LONG };
      },
      onError: (err) => {
        failures.push((err as Error).message);
        if (failures.length === 1) return 'again';
        throw new Error('reporter broke'); // falls back to errorBackoffMs
      },
      errorBackoffMs: 1,
    });
    loop.start();
    await done.promise;
    expect(failures).toEqual(['fail 1', 'fail 2']);
    await loop.stop();
  });

  it("ends on a turn's 'stop', and start() does not restart a finished loop", async () => {
    let turns = 0;
    const loop = new PollLoop({ turn: async () => (turns++, 'stop'), onError: () => undefined });
    loop.start();
    await loop.stop();
    loop.start();
    await loop.stop();
    expect(turns).toBe(1);
  });

  it('start({ first }) pauses before the first turn, and a wake cuts that pause short', async () => {
    let turns = 0;
    const reached = deferred();
    const loop = new PollLoop({
      turn: async () => {
        turns++;
        reached.resolve();
        return { ms: LONG };
      },
      onError: () => undefined,
    });
    loop.start({ first: { ms: LONG } });
    await new Promise((r) => setImmediate(r));
    expect(turns).toBe(0);
    loop.wake();
    await reached.promise;
    expect(turns).toBe(1);
    await loop.stop();
  });

  it('a pause of Infinity waits for a wake, not for an overflowed timer', async () => {
    let turns = 0;
    let reached = deferred();
    const loop = new PollLoop({
      turn: async () => {
        turns++;
        reached.resolve();
        return { ms: Number.POSITIVE_INFINITY };
      },
      onError: () => undefined,
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      loop.start();
      await reached.promise;
      reached = deferred();
      // setTimeout(fn, Infinity) would fire after 1 ms: the pause must arm no timer at all.
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(turns).toBe(1);
      loop.wake();
      await reached.promise;
      expect(turns).toBe(2);
      await loop.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
