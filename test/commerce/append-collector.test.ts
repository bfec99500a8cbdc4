/**
 * The settle pass's AppendCollector: the appends made before `flush()` are
 * written by one appendMany (one transaction: the inline hooks see them in one
 * call), each caller gets its own result or error, and an append made after the
 * flush is written alone.
 */
import { describe, expect, it } from 'vitest';
import { AppendCollector } from '../../src/commerce/conflicts/append-collector.js';
import { createEventStore } from '../../src/store/index.js';

const event = (n: number) => ({ type: 'thing.happened', data: { n } });

describe('AppendCollector', () => {
  it('writes what it collected in one transaction and answers each caller', async () => {
    const store = createEventStore();
    await store.migrate();
    const calls: string[][] = [];
    store.addInlineHook({
      name: 'sees',
      async apply({ events }) {
        calls.push(events.map((e) => e.aggregateId));
      },
    });
    await store.append('taken', [event(0)]);
    calls.length = 0;
    const collector = new AppendCollector(store);
    const a = collector.append('a', [event(1)], { idempotencyKey: 'k-a' });
    const conflicted = collector.append('taken', [event(2)], { expectedVersion: 'no_stream' });
    const b = collector.append('b', [event(3)]);
    expect(calls).toEqual([]); // nothing written before the flush
    await collector.flush();
    await expect(a).resolves.toMatchObject({ streamId: 'a', nextVersion: 1, duplicate: false });
    await expect(conflicted).rejects.toMatchObject({ code: 'CONCURRENCY_CONFLICT' });
    await expect(b).resolves.toMatchObject({ streamId: 'b', nextVersion: 1 });
    expect(calls).toEqual([['a', 'b']]);
    // After the flush, an append goes to the store on its own.
    await expect(collector.append('c', [event(4)])).resolves.toMatchObject({ streamId: 'c' });
    expect(calls).toEqual([['a', 'b'], ['c']]);
    await collector.flush(); // nothing left: a no-op
    await store.close();
  });

  it('a failing appendMany fails every collected caller', async () => {
    const store = createEventStore();
    await store.migrate();
    await store.close();
    const collector = new AppendCollector(store);
    const pending = [collector.append('a', [event(1)]), collector.append('b', [event(2)])];
    await collector.flush();
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });
});
