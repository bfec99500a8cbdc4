/**
 * The shipment releases what the order holds in its own append: the
 * fulfillment saga appends `order.shipped` with one `fulfilled` release per
 * product at the version its last cancellation look reached, so the
 * inventory handler neither reads the order's stream nor releases again. A
 * release that gets in between is not released twice (the append is refused
 * and decided again); a cancellation just before that look still compensates;
 * a shipment written without its release (a carrier's webhook) is still
 * released by the handler, and a handler reading the shipment without the
 * release that came with it (another batch) releases nothing more.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  createInventoryHandler,
  orderStream,
  resolveInventoryOptions,
  type Commerce,
  type InventoryLevelRow,
} from '../../src/commerce/index.js';
import type { Processor } from '../../src/processing/index.js';
import type { EventStore } from '../../src/store/index.js';
import { commerceEngines, receivedOrder, type CommerceTestbed } from './support.js';
import { systemActor } from '../../src/access/index.js';

/** Who these tests' direct inventory writes act as. */
const TEST_ACTOR = systemActor('test');

const C = 'creator-ship';
const T0 = '2026-03-01T10:00:00.000Z';

const received = (orderId: string, quantity: number) =>
  receivedOrder(C, orderId, { lineItems: [{ productId: 'p1', quantity }], totalAmount: 20 });

const released = (orderId: string, quantity: number, reason: 'cancelled' | 'fulfilled') =>
  commerceEvent('inventory.released', { creatorId: C, orderId, productId: 'p1', quantity, reason });

/** The `inventory.released` events of an order: [quantity, reason]. */
async function releasesOf(store: EventStore, orderId: string): Promise<[number, string][]> {
  const { events } = await store.readStream(orderStream(C, orderId));
  return events
    .filter((e) => e.type === 'inventory.released')
    .map((e) => {
      const d = e.data as { quantity: number; reason: string };
      return [d.quantity, d.reason];
    });
}

describe.each(commerceEngines)('shipment release on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let bed: CommerceTestbed;
    let commerce: Commerce;
    let store: EventStore;
    /** Orders the inventory handler asked to release. */
    let handlerReleases: string[];

    beforeEach(async () => {
      bed = await engine.open();
      ({ commerce, store } = bed);
      handlerReleases = [];
      const release = commerce.inventory.release.bind(commerce.inventory);
      commerce.inventory.release = (request) => {
        handlerReleases.push(request.orderId);
        return release(request);
      };
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

    const level = async () => {
      await commerce.whenIdle();
      return commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: 'p1',
      });
    };

    it('appends the release with the shipment; the handler releases nothing', async () => {
      await store.append(orderStream(C, 'o1'), [received('o1', 2)]);
      expect((await commerce.waitForFulfillment(C, 'o1')).status).toBe('completed');
      expect(await level()).toMatchObject({ on_hand: 8, reserved: 0, available: 8 });
      const { events } = await store.readStream(orderStream(C, 'o1'));
      const tail = events.slice(-2);
      expect(tail.map((e) => e.type)).toEqual(['order.shipped', 'inventory.released']);
      expect(tail[1]!.version).toBe(tail[0]!.version + 1);
      expect(tail[1]!.data).toMatchObject({ productId: 'p1', quantity: 2, reason: 'fulfilled' });
      expect(await releasesOf(store, 'o1')).toEqual([[2, 'fulfilled']]);
      expect(handlerReleases).toEqual([]);
    });

    it('a release between the look and the shipment is not released twice', async () => {
      const updateShipping = bed.tiktok.updateShipping.bind(bed.tiktok);
      let interfered = false;
      bed.tiktok.updateShipping = async (update) => {
        if (!interfered) {
          interfered = true;
          // Someone releases one of the two units after the saga's look, before its append.
          await store.append(orderStream(C, update.orderId), [released(update.orderId, 1, 'cancelled')]);
        }
        return updateShipping(update);
      };
      await store.append(orderStream(C, 'o2'), [received('o2', 2)]);
      expect((await commerce.waitForFulfillment(C, 'o2')).status).toBe('completed');
      // The shipment's append was refused at the version looked at and decided again: one unit left.
      expect(await releasesOf(store, 'o2')).toEqual([
        [1, 'cancelled'],
        [1, 'fulfilled'],
      ]);
      expect(await level()).toMatchObject({ on_hand: 9, reserved: 0, available: 9 });
      expect((await commerce.inventory.held(C, 'o2')).get('p1')).toBe(0);
      expect(handlerReleases).toEqual([]);
    });

    it('a cancellation just before the look that precedes TikTok compensates: nothing shipped, all released once', async () => {
      const createLabel = bed.shipping.createLabel.bind(bed.shipping);
      bed.shipping.createLabel = async (request) => {
        const label = await createLabel(request);
        await store.append(orderStream(C, request.orderId), [
          commerceEvent('order.cancelled', {
            creatorId: C,
            orderId: request.orderId,
            cancelledBy: 'buyer',
            cancelledAt: T0,
          }),
        ]);
        return label;
      };
      let toldTikTok = 0;
      const updateShipping = bed.tiktok.updateShipping.bind(bed.tiktok);
      bed.tiktok.updateShipping = (update) => {
        toldTikTok++;
        return updateShipping(update);
      };
      await store.append(orderStream(C, 'o3'), [received('o3', 2)]);
      const state = await commerce.waitForFulfillment(C, 'o3');
      expect(state.status).toBe('compensated');
      expect(state.error?.message).toMatch(/cancelled/);
      expect((await commerce.waitForCancellation(C, 'o3')).status).toBe('completed');
      expect(await level()).toMatchObject({ on_hand: 10, reserved: 0, available: 10 });
      expect(toldTikTok).toBe(0);
      expect(bed.payments.netCaptured()).toBe(0);
      const { events } = await store.readStream(orderStream(C, 'o3'));
      expect(events.some((e) => e.type === 'order.shipped')).toBe(false);
      // Two units reserved, two released, whichever saga got there.
      const units = (await releasesOf(store, 'o3')).reduce((n, [q]) => n + q, 0);
      expect(units).toBe(2);
    });

    it("releases a carrier's shipment that came without its release", async () => {
      await commerce.inventory.allocate({
        actor: TEST_ACTOR,
        creatorId: C,
        orderId: 'w1',
        lines: [{ productId: 'p1', quantity: 3 }],
      });
      await store.append(orderStream(C, 'w1'), [
        commerceEvent('order.shipped', {
          creatorId: C,
          orderId: 'w1',
          provider: 'shippo',
          trackingNumber: 'TRK-W1',
          shippedAt: T0,
        }),
      ]);
      expect(await level()).toMatchObject({ on_hand: 7, reserved: 0, available: 7 });
      expect(await releasesOf(store, 'w1')).toEqual([[3, 'fulfilled']]);
      expect(handlerReleases).toEqual(['w1']);
    });

    it('a handler that reads the shipment without its release (another batch) releases nothing more', async () => {
      // A second handler reading one event a batch: it sees order.shipped alone.
      const errors: unknown[] = [];
      const split: Processor = createInventoryHandler({
        store,
        readModels: commerce.readModels,
        inventory: commerce.inventory,
        options: resolveInventoryOptions(),
        releaseOnCancel: false,
        reader: { name: 'split_inventory_handler', batchSize: 1, pollIntervalMs: 20 },
      });
      split.on('error', (err: unknown) => errors.push(err));
      try {
        await split.start();
        await store.append(orderStream(C, 'o4'), [received('o4', 2)]);
        expect((await commerce.waitForFulfillment(C, 'o4')).status).toBe('completed');
        await split.whenCaughtUp({ timeoutMs: 30_000 });
        expect(await releasesOf(store, 'o4')).toEqual([[2, 'fulfilled']]);
        expect(handlerReleases).toEqual(['o4']); // asked by the split handler, which found nothing held
        expect(await level()).toMatchObject({ on_hand: 8, reserved: 0, available: 8 });
        expect(errors).toEqual([]);
      } finally {
        await split.stop();
      }
    });
  });
});
