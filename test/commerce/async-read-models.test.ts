/**
 * The read models as one asynchronous processor instead of inline: the same
 * rows once caught up, and the saga and handler still work on top of them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commerceEvent,
  orderStream,
  type CommerceOrderRow,
  type InventoryLevelRow,
  type SystemHealthRow,
} from '../../src/commerce/index.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-a';

describe.each(commerceEngines.filter((e) => e.name !== 'postgres'))(
  'async read models on $name',
  (engine) => {
    let bed: CommerceTestbed;

    beforeEach(async () => {
      bed = await engine.open({ readModels: 'async' });
    });

    afterEach(async () => {
      await bed.close();
    });

    it('catches up to the same rows, and the saga completes on them', async () => {
      const { store, commerce } = bed;
      expect(commerce.readModels.mode).toBe('async');
      await store.append(`inventory-${C}-p1`, [
        commerceEvent('inventory.stock_updated', {
          creatorId: C,
          productId: 'p1',
          quantity: 20,
          reason: 'restock',
          threshold: 5,
        }),
      ]);
      await store.append(orderStream(C, 'a1'), [
        commerceEvent('order.received_from_tiktok', {
          creatorId: C,
          shopId: 's',
          orderId: 'a1',
          status: 'AWAITING_SHIPMENT',
          updateTime: '2026-03-01T10:00:00.000Z',
          lineItems: [{ productId: 'p1', quantity: 4 }],
          totalAmount: 12,
          currency: 'EUR',
        }),
      ]);
      expect((await commerce.waitForFulfillment(C, 'a1')).status).toBe('completed');
      await commerce.whenIdle();
      await commerce.whenIdle();
      expect(
        await commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
          creator_id: C,
          order_id: 'a1',
        }),
      ).toMatchObject({
        status: 'shipped',
        amount: 12,
      });
      expect(
        await commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
          creator_id: C,
          product_id: 'p1',
        }),
      ).toMatchObject({
        on_hand: 16,
        reserved: 0,
      });

      await store.append('health', [
        commerceEvent('system.performance_threshold_exceeded', {
          component: 'order_processing',
          metric: 'queue_depth',
          value: 5000,
          threshold: 1000,
          severity: 'critical',
          creatorId: C,
        }),
      ]);
      await commerce.readModels.whenCaughtUp();
      expect(
        await commerce.readModels.unscopedFind<SystemHealthRow>('system_health_metrics', {
          creator_id: C,
          component: 'order_processing',
        }),
      ).toMatchObject({
        status: 'critical',
        measurements: { queue_depth: 5000 },
        last_message: 'queue_depth 5000 crossed 1000',
      });
    });
  },
);
