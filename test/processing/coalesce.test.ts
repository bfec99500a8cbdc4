/**
 * `coalesceMs`: after a short page that held events, the processor waits that
 * long before reading again, whatever wakes it, so the commits meanwhile are
 * handled as one batch; the first event after a quiet spell is still read on
 * its wake-up. On every engine.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { createProcessor, type Processor } from '../../src/processing/index.js';
import type { StoredEvent } from '../../src/store/types.js';
import { storeEngines, type TestStore } from './support.js';

/** Resolves once `check` holds, polling; rejects after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.each(storeEngines)('processor coalesceMs on $name', (engine) => {
  let t: TestStore;
  const processors: Processor[] = [];

  beforeEach(async () => {
    if (engine.available) t = await engine.open();
  });
  afterEach(async () => {
    if (!engine.available) return;
    for (const p of processors.splice(0)) await p.stop();
    await t.close();
  });

  function processorWith(coalesceMs: number, batches: string[][]): Processor {
    const p = createProcessor({
      store: t.store,
      name: `coalesce-${coalesceMs}`,
      coalesceMs,
      // No backstop poll during the test: only wake-ups and the pause read.
      pollIntervalMs: 600_000,
      handleBatch: (events: readonly StoredEvent[]) => {
        batches.push(events.map((e) => e.aggregateId));
      },
    });
    processors.push(p);
    return p;
  }

  it.skipIf(!engine.available)('handles the commits made during the pause as one batch', async () => {
    const batches: string[][] = [];
    const p = processorWith(3_000, batches);
    await p.start();
    await t.store.append('a', [{ type: 't', data: {} }]);
    await until(() => batches.length === 1);
    // The pause after `a`'s batch has begun: three commits, each waking the processor.
    for (const stream of ['b', 'c', 'd']) await t.store.append(stream, [{ type: 't', data: {} }]);
    await p.whenCaughtUp({ timeoutMs: 20_000 });
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it.skipIf(!engine.available)(
    'reads the first event after a quiet spell at once, and stop() ends the pause',
    async () => {
      const batches: string[][] = [];
      // A pause longer than every bound of this test: only a wake-up can read `a` in time.
      const p = processorWith(60_000, batches);
      await p.start();
      await p.whenCaughtUp({ timeoutMs: 10_000 });
      await t.store.append('a', [{ type: 't', data: {} }]);
      await until(() => batches.length === 1, 10_000);
      expect(batches).toEqual([['a']]);
      const stopped = p.stop().then(() => 'stopped');
      const bound = new Promise((resolve) => setTimeout(resolve, 10_000, 'still pausing'));
      expect(await Promise.race([stopped, bound])).toBe('stopped');
    },
  );
});

describe('processor coalesceMs validation', () => {
  it('refuses a negative or fractional pause with a typed error', async () => {
    const { createEventStore } = await import('../../src/store/create-event-store.js');
    const store = createEventStore();
    for (const coalesceMs of [-1, 1.5, Number.NaN]) {
      expect(() => createProcessor({ store, name: 'p', coalesceMs, handle: () => undefined })).toThrow(
        InvalidArgumentError,
      );
    }
    await store.close();
  });
});
