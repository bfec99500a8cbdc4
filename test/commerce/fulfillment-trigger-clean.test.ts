/**
 * The fulfillment trigger tells the saga how far the order's stream is known
 * clean (no cancellation, no inventory event) when the page it handled held
 * the whole stream so far, so validate_order appends at that version instead
 * of reading the stream. A stream whose earlier events the page did not hold,
 * or that holds a cancellation, gets no such version: the saga reads it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commerceEvent, orderStream, type Commerce } from '../../src/commerce/index.js';
import { PageStreams } from '../../src/sagas/page-streams.js';
import type { EventStore, StoredEvent } from '../../src/store/index.js';
import { commerceEngines, receivedOrder, type CommerceTestbed } from './support.js';

const C = 'creator-1';
const T0 = '2026-03-01T10:00:00.000Z';

const received = (orderId: string) =>
  receivedOrder(C, orderId, { lineItems: [{ productId: 'p1', quantity: 1 }], totalAmount: 10 });

/** How many times `store` reads `streamId` from now on. */
function countReads(store: EventStore, streamId: string): () => number {
  let n = 0;
  const read = store.readStream.bind(store);
  store.readStream = (id, options) => {
    if (id === streamId) n++;
    return read(id, options);
  };
  return () => n;
}

describe.each(commerceEngines)('the fulfillment trigger on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let bed: CommerceTestbed;
    let commerce: Commerce;
    let store: EventStore;

    beforeEach(async () => {
      bed = await engine.open();
      ({ commerce, store } = bed);
      await store.append(`inventory-${C}-p1`, [
        commerceEvent('inventory.stock_updated', {
          creatorId: C,
          productId: 'p1',
          quantity: 10,
          reason: 'restock',
        }),
      ]);
    });

    afterEach(async () => {
      await bed.close();
    });

    it('starts the saga knowing the stream clean through the received event', async () => {
      await store.append(orderStream(C, 'o1'), [
        commerceEvent('tiktok.order_status_changed', {
          creatorId: C,
          shopId: 'shop-1',
          orderId: 'o1',
          status: 'AWAITING_SHIPMENT',
          rawStatus: 'AWAITING_SHIPMENT',
          isOnHold: false,
          updateTime: T0,
        }),
        received('o1'),
      ]);
      const state = await commerce.waitForFulfillment(C, 'o1');
      expect(state.status).toBe('completed');
      expect(state.input).toMatchObject({ cleanThrough: 2 });
    });

    it('knows the stream clean through the events appended with the received event, after it', async () => {
      const reads = countReads(store, orderStream(C, 'o3'));
      await store.append(orderStream(C, 'o3'), [
        received('o3'),
        // As the intake's order.state_reported follows it when the sagas report order state.
        commerceEvent('tiktok.order_status_changed', {
          creatorId: C,
          shopId: 'shop-1',
          orderId: 'o3',
          status: 'AWAITING_SHIPMENT',
          rawStatus: 'AWAITING_SHIPMENT',
          isOnHold: false,
          updateTime: T0,
        }),
      ]);
      const state = await commerce.waitForFulfillment(C, 'o3');
      expect(state.status).toBe('completed');
      expect(state.input).toMatchObject({ cleanThrough: 2 });
      // validate_order appended at version 2 without reading; the payment and shipment checks read.
      expect(reads()).toBe(2);
    });

    it('gives no clean version when the page holds a cancellation after the received event', async () => {
      await store.append(orderStream(C, 'o4'), [
        received('o4'),
        commerceEvent('order.cancelled', {
          creatorId: C,
          orderId: 'o4',
          cancelledBy: 'tiktok',
          cancelledAt: T0,
        }),
      ]);
      const state = await commerce.waitForFulfillment(C, 'o4');
      expect(state.input).not.toHaveProperty('cleanThrough');
      expect(state.status).not.toBe('completed');
      expect(state.error?.message).toMatch(/cancelled/);
      expect(bed.payments.netCaptured()).toBe(0);
    });

    it('gives no clean version when the page holds a cancellation before the received event', async () => {
      await store.append(orderStream(C, 'o2'), [
        commerceEvent('order.cancelled', {
          creatorId: C,
          orderId: 'o2',
          cancelledBy: 'tiktok',
          cancelledAt: T0,
        }),
        received('o2'),
      ]);
      const state = await commerce.waitForFulfillment(C, 'o2');
      expect(state.input).not.toHaveProperty('cleanThrough');
      expect(state.status).not.toBe('completed');
      expect(state.error?.message).toMatch(/cancelled/);
      expect(bed.payments.netCaptured()).toBe(0);
    });
  });
});

describe('PageStreams', () => {
  const event = (streamId: string, version: number): StoredEvent =>
    ({ id: `${streamId}@${version}`, aggregateId: streamId, version, type: 't' }) as StoredEvent;

  it('gives a stream as far as the page holds it, from version 1, only when it holds every version', () => {
    const page = [
      event('a', 1),
      event('b', 4),
      event('a', 2),
      event('b', 5),
      event('a', 3),
      event('c', 1),
      event('c', 3),
    ];
    const streams = new PageStreams(page);
    // Through a's last version in the page, whichever of its events asks.
    expect(streams.inPage(page[0]!)?.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(streams.inPage(page[4]!)?.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(streams.soFar(page[0]!)?.map((e) => e.version)).toEqual([1]);
    // b's versions 1-3 were in an earlier page; c's version 2 is missing.
    expect(streams.inPage(page[1]!)).toBeUndefined();
    expect(streams.inPage(page[5]!)).toBeUndefined();
    expect(streams.soFar(page[5]!)?.map((e) => e.version)).toEqual([1]);
    expect(new PageStreams(undefined).inPage(page[0]!)).toBeUndefined();
  });

  it('gives a stream from version 1 only when the page holds every version', () => {
    const page = [event('a', 1), event('b', 4), event('a', 2), event('b', 5), event('a', 3)];
    const streams = new PageStreams(page);
    expect(streams.soFar(page[2]!)?.map((e) => e.version)).toEqual([1, 2]);
    expect(streams.soFar(page[4]!)?.map((e) => e.version)).toEqual([1, 2, 3]);
    // b's versions 1-3 were in an earlier page.
    expect(streams.soFar(page[3]!)).toBeUndefined();
    expect(new PageStreams(undefined).soFar(page[0]!)).toBeUndefined();
  });
});
