/**
 * The fulfillment saga's cancellation watch folds what the order holds as it
 * looks: the first look reads the stream whole, later looks only its tail,
 * own appends that directly follow are folded without a read, and a replayed
 * append (its key's earlier result) is never folded twice.
 */
import { describe, expect, it } from 'vitest';
import { commerceEvent, orderStream } from '../../src/commerce/index.js';
import { CancellationWatch } from '../../src/commerce/fulfillment/cancellation-watch.js';
import { createEventStore, type EventStore, type ReadStreamOptions } from '../../src/store/index.js';

const C = 'creator-watch';
const S = orderStream(C, 'o1');

const reserved = (quantity: number) =>
  commerceEvent('inventory.reserved', { creatorId: C, orderId: 'o1', productId: 'p1', quantity });
const released = (quantity: number) =>
  commerceEvent('inventory.released', {
    creatorId: C,
    orderId: 'o1',
    productId: 'p1',
    quantity,
    reason: 'cancelled',
  });

/** The store, with the first version each read started at. */
function countedStore(): { store: EventStore; reads: number[] } {
  const store = createEventStore();
  const reads: number[] = [];
  const readStream = store.readStream.bind(store);
  store.readStream = (streamId: string, options?: ReadStreamOptions) => {
    reads.push(options?.fromVersion ?? 1);
    return readStream(streamId, options);
  };
  return { store, reads };
}

describe('CancellationWatch', () => {
  it('folds the holdings from whole, tail and own appends, each event once', async () => {
    const { store, reads } = countedStore();
    const watch = new CancellationWatch(store);
    await store.append(S, [reserved(3)]);
    expect(await watch.look(S)).toMatchObject({ cancelled: false, version: 1 });

    // Own append, directly after what was looked at: folded, not read back.
    const own = [released(1)];
    watch.appended(S, await store.append(S, own, { idempotencyKey: 'k1' }), own);
    // Someone else's append: read in the next look's tail.
    await store.append(S, [reserved(2)]);
    const look = await watch.look(S);
    expect(reads).toEqual([1, 3]);
    expect(look).toMatchObject({ cancelled: false, version: 3 });
    expect(look.holdings.held.get('p1')).toBe(4);

    // A replayed key answers with the stored append, which may hold other events than the
    // ones given now: those are not folded, the next look reads what is stored.
    await store.append(S, [released(1)], { idempotencyKey: 'k2' }); // its reply lost
    const retried = [released(2)];
    const replay = await store.append(S, retried, { idempotencyKey: 'k2' });
    expect(replay.duplicate).toBe(true);
    watch.appended(S, replay, retried);
    expect((await watch.look(S)).holdings.held.get('p1')).toBe(3);
    expect(reads).toEqual([1, 3, 4]);
  });

  it('sees a cancellation in the tail and keeps reading from before it', async () => {
    const { store, reads } = countedStore();
    const watch = new CancellationWatch(store);
    await store.append(S, [reserved(1)]);
    expect(await watch.isCancelled(S)).toBe(false);
    await store.append(S, [
      commerceEvent('order.cancelled', {
        creatorId: C,
        orderId: 'o1',
        cancelledBy: 'buyer',
        cancelledAt: '2026-03-01T10:00:00.000Z',
      }),
    ]);
    expect(await watch.isCancelled(S)).toBe(true);
    expect(await watch.isCancelled(S)).toBe(true);
    expect(reads).toEqual([1, 2, 2]);
  });

  it('gives each look its own copy of the holdings', async () => {
    const { store } = countedStore();
    const watch = new CancellationWatch(store);
    await store.append(S, [reserved(2)]);
    const first = await watch.look(S);
    first.holdings.held.set('p1', 99);
    expect((await watch.look(S)).holdings.held.get('p1')).toBe(2);
  });

  it('a watch seeded on another process (the clean version a saga stored) reads only the tail, and sees a cancellation in it', async () => {
    const { store, reads } = countedStore();
    await store.append(S, [commerceEvent('order.validated', { creatorId: C, orderId: 'o1' })]);
    await store.append(S, [reserved(2)]);
    const watch = new CancellationWatch(store); // a fresh process: nothing remembered
    watch.seed(S, 1);
    const look = await watch.look(S);
    expect(reads).toEqual([2]);
    expect(look).toMatchObject({ cancelled: false, version: 2 });
    expect(look.holdings.held.get('p1')).toBe(2);
    // Holding stock, the stream is no longer clean in the seed's sense.
    expect(watch.cleanThrough(S)).toBeUndefined();
    // A seed behind what is known changes nothing.
    watch.seed(S, 1);
    await store.append(S, [
      commerceEvent('order.cancelled', {
        creatorId: C,
        orderId: 'o1',
        cancelledBy: 'buyer',
        cancelledAt: '2026-03-01T10:00:00.000Z',
      }),
    ]);
    expect(await watch.isCancelled(S)).toBe(true);
    expect(reads).toEqual([2, 3]);
  });
});
