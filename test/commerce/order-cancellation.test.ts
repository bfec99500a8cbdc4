/**
 * The order-cancellation saga on the in-memory store, PGlite and PostgreSQL: a
 * buyer's cancellation refunds through the payment port and gives the stock
 * back (held units at once, shipped units once the money is back); a refund
 * the processor refuses restores the reservation; a cancellation during
 * fulfillment is refunded once, whichever saga gets there.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  orderStream,
  ORDER_CANCELLATION_SAGA,
  type Commerce,
  type CommerceOrderRow,
  type InventoryLevelRow,
} from '../../src/commerce/index.js';
import type { EventStore } from '../../src/store/index.js';
import { commerceEngines, receivedOrder, type CommerceTestbed } from './support.js';
import { systemActor } from '../../src/access/index.js';

/** Who these tests' direct inventory writes act as. */
const TEST_ACTOR = systemActor('test');

const C = 'creator-1';
const T0 = '2026-03-01T10:00:00.000Z';

async function stock(store: EventStore, productId: string, quantity: number) {
  await store.append(`inventory-${C}-${productId}`, [
    commerceEvent('inventory.stock_updated', { creatorId: C, productId, quantity, reason: 'restock' }),
  ]);
}

const received = (orderId: string, quantity: number, totalAmount: number) =>
  receivedOrder(C, orderId, { lineItems: [{ productId: 'p1', quantity }], totalAmount });

const cancelled = (orderId: string, cancelledBy: 'buyer' | 'tiktok' = 'buyer') =>
  commerceEvent('order.cancelled', { creatorId: C, orderId, cancelledBy, cancelledAt: T0 });

describe.each(commerceEngines)('order cancellation on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let bed: CommerceTestbed;
    let commerce: Commerce;
    let store: EventStore;

    beforeEach(async () => {
      bed = await engine.open();
      ({ commerce, store } = bed);
    });

    afterEach(async () => {
      await bed.close();
    });

    const level = () =>
      commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: 'p1',
      });
    const order = (orderId: string) =>
      commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
        creator_id: C,
        order_id: orderId,
      });

    it('a buyer cancelling a shipped order is refunded through the port and the units come back', async () => {
      await stock(store, 'p1', 10);
      await store.append(orderStream(C, 'o1'), [received('o1', 2, 25)]);
      expect((await commerce.waitForFulfillment(C, 'o1')).status).toBe('completed');
      await commerce.whenIdle();
      expect(await level()).toMatchObject({ on_hand: 8, reserved: 0, available: 8 });
      expect(bed.payments.netCaptured()).toBe(25);

      await store.append(orderStream(C, 'o1'), [cancelled('o1')]);
      const state = await commerce.waitForCancellation(C, 'o1');
      expect(state).toMatchObject({ status: 'completed', definition: ORDER_CANCELLATION_SAGA });
      await commerce.whenIdle();
      expect(bed.payments.netCaptured()).toBe(0);
      expect(await level()).toMatchObject({ on_hand: 10, reserved: 0, available: 10 });
      expect(await order('o1')).toMatchObject({ status: 'refunded', refunded_amount: 25 });
      const tail = (await store.readStream(orderStream(C, 'o1'))).events.slice(-3);
      expect(tail.map((e) => [e.type, (e.data as { reason?: string }).reason])).toEqual([
        ['order.cancelled', undefined],
        ['order.refunded', 'cancelled by buyer'],
        ['inventory.released', 'returned'],
      ]);
      // A second cancellation (TikTok repeating it) changes nothing.
      await store.append(orderStream(C, 'o1'), [cancelled('o1', 'tiktok')]);
      await commerce.whenIdle();
      expect(bed.payments.netCaptured()).toBe(0);
      expect(await level()).toMatchObject({ on_hand: 10 });
    });

    it('a cancellation of an allocated, unpaid order releases what it holds and refunds nothing', async () => {
      await stock(store, 'p1', 10);
      await commerce.inventory.allocate({
        actor: TEST_ACTOR,
        creatorId: C,
        orderId: 'o2',
        lines: [{ productId: 'p1', quantity: 3 }],
      });
      await commerce.whenIdle();
      expect(await level()).toMatchObject({ reserved: 3, available: 7 });
      await store.append(orderStream(C, 'o2'), [cancelled('o2')]);
      expect((await commerce.waitForCancellation(C, 'o2')).status).toBe('completed');
      await commerce.whenIdle();
      expect(await level()).toMatchObject({ on_hand: 10, reserved: 0, available: 10 });
      const reasons = (await store.readStream(orderStream(C, 'o2'))).events
        .filter((e) => e.type === 'inventory.released')
        .map((e) => (e.data as { reason: string }).reason);
      expect(reasons).toEqual(['cancelled']); // released once, by the saga
    });

    it('a refund the processor refuses restores the reservation (compensation) and refunds nothing', async () => {
      await stock(store, 'p1', 10);
      await commerce.inventory.allocate({
        actor: TEST_ACTOR,
        creatorId: C,
        orderId: 'o3',
        lines: [{ productId: 'p1', quantity: 2 }],
      });
      const payment = await bed.payments.charge({
        creatorId: C,
        orderId: 'o3',
        amount: 40,
        currency: 'USD',
        idempotencyKey: 'charge-o3',
      });
      await store.append(orderStream(C, 'o3'), [
        commerceEvent('order.payment_processed', { creatorId: C, orderId: 'o3', ...payment }),
      ]);
      bed.payments.behaviour.failNext('refund', 'permanent');
      await store.append(orderStream(C, 'o3'), [cancelled('o3')]);
      const state = await commerce.waitForCancellation(C, 'o3');
      expect(state.status).toBe('compensated');
      const history = await commerce.sagaRunner!.history(state.sagaId);
      expect(history.filter((h) => h.phase === 'compensation').map((h) => h.name)).toEqual([
        'restore_reservation',
      ]);
      await commerce.whenIdle();
      expect(bed.payments.netCaptured()).toBe(40);
      // Released by the saga, then held again: the stock waits with the unsettled order.
      expect(await level()).toMatchObject({ on_hand: 10, reserved: 2, available: 8 });
      expect(await order('o3')).toMatchObject({ refunded_amount: 0 });
    });

    it('a cancellation racing the fulfillment saga is refunded exactly once', async () => {
      await stock(store, 'p1', 10);
      // The order is cancelled while its saga runs: whichever saga refunds, the buyer gets 30 back once.
      await store.append(orderStream(C, 'o4'), [received('o4', 1, 30)]);
      await store.append(orderStream(C, 'o4'), [cancelled('o4')]);
      const fulfilled = await commerce.waitForFulfillment(C, 'o4');
      const cancelledState = await commerce.waitForCancellation(C, 'o4');
      expect(['completed', 'compensated']).toContain(fulfilled.status);
      expect(cancelledState.status).toBe('completed');
      await commerce.whenIdle();
      expect(bed.payments.netCaptured()).toBe(0);
      expect(await level()).toMatchObject({ on_hand: 10, reserved: 0, available: 10 });
      const refunds = (await store.readStream(orderStream(C, 'o4'))).events.filter(
        (e) => e.type === 'order.refunded',
      );
      expect(refunds.reduce((n, e) => n + (e.data as { amount: number }).amount, 0)).toBeLessThanOrEqual(30);
      expect(await order('o4')).toMatchObject({ refunded_amount: refunds.length === 0 ? 0 : 30 });
    });
  });
});
