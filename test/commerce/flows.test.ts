/**
 * The commerce domain end to end, without webhooks: catalog events appended
 * directly, read models checked, the fulfillment saga completing and
 * compensating, low-stock alerts raised and resolved, inventory sync.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RowChange } from '../../src/core/row-change.js';
import {
  COMMERCE_TABLES,
  commerceEvent,
  orderStream,
  type Commerce,
  type CommerceOrderRow,
  type DailyRevenueRow,
  type InventoryAlertRow,
  type InventoryLevelRow,
  type OrderMetricsRow,
  type SyncOperationRow,
  type SystemHealthRow,
  systemPrincipal,
} from '../../src/commerce/index.js';
import type { EventStore } from '../../src/store/index.js';
import { commerceEngines, receivedOrder, type CommerceTestbed } from './support.js';

const C = 'creator-1';
/** The tests' own job: the sync acts as a system principal. */
const JOB = systemPrincipal('test-sync');

/** Retry an assertion until it holds (background work settles), for up to 20 s. */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await check();
    } catch (err) {
      if (i >= 400) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
const T0 = '2026-03-01T10:00:00.000Z';

async function stock(store: EventStore, productId: string, quantity: number, threshold = 10) {
  await store.append(`inventory-${C}-${productId}`, [
    commerceEvent('inventory.stock_updated', {
      creatorId: C,
      productId,
      quantity,
      reason: 'restock',
      threshold,
    }),
  ]);
}

const received = (orderId: string, order: Parameters<typeof receivedOrder>[2] = {}) =>
  receivedOrder(C, orderId, order);

describe.each(commerceEngines)('commerce on $name', (engine) => {
  describe.skipIf(!engine.available)('', () => {
    let bed: CommerceTestbed;
    let commerce: Commerce;
    let store: EventStore;
    let changes: RowChange[];

    beforeEach(async () => {
      bed = await engine.open();
      ({ commerce, store } = bed);
      changes = [];
      commerce.changes.subscribe((c) => changes.push(c));
    });

    afterEach(async () => {
      await bed.close();
    });

    it('folds an order lifecycle into orders, order metrics and daily revenue', async () => {
      await store.append(orderStream(C, 'o1'), [
        received('o1', { totalAmount: 40 }),
        commerceEvent('order.validated', { creatorId: C, orderId: 'o1' }),
        commerceEvent(
          'order.shipped',
          {
            creatorId: C,
            orderId: 'o1',
            provider: 'shippo',
            trackingNumber: 'T1',
            shippedAt: '2026-03-01T10:30:00.000Z',
          },
          { metadata: { source: 'fulfillment_saga' } },
        ),
      ]);
      await store.append(orderStream(C, 'o2'), [received('o2', { totalAmount: 10 })]);
      await store.append(orderStream(C, 'o1'), [
        commerceEvent('order.delivered', {
          creatorId: C,
          orderId: 'o1',
          deliveredAt: '2026-03-02T09:00:00.000Z',
        }),
      ]);
      await store.append(orderStream(C, 'o3'), [
        received('o3'),
        commerceEvent(
          'order.shipped',
          {
            creatorId: C,
            orderId: 'o3',
            provider: 'manual',
            trackingNumber: 'T3',
            shippedAt: '2026-03-01T11:00:00.000Z',
          },
          { metadata: { source: 'dashboard', userId: 'u1' } },
        ),
      ]);
      await commerce.whenIdle();

      const o1 = await commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
        creator_id: C,
        order_id: 'o1',
      });
      expect(o1).toMatchObject({ status: 'delivered', completed: true, automated: true, amount: 40 });

      const metrics = await commerce.readModels.unscopedFind<OrderMetricsRow>('order_metrics', {
        creator_id: C,
      });
      expect(metrics).toMatchObject({
        active_orders: 1,
        received_orders: 3,
        shipped_orders: 2,
        automated_orders: 1,
        manual_orders: 1,
        automation_health_pct: 50,
      });
      // 30 min and 60 min from receipt to shipment.
      expect(metrics?.avg_processing_ms).toBe(45 * 60_000);

      const days = await commerce.readModels.unscopedRows<DailyRevenueRow>('daily_revenue_metrics');
      const day1 = days.find((d) => d.day === '2026-03-01');
      const day2 = days.find((d) => d.day === '2026-03-02');
      expect(day1).toMatchObject({ orders_received: 3, cohort_completed: 1, revenue: 0 });
      expect(day1?.conversion_rate).toBeCloseTo(100 / 3);
      expect(day2).toMatchObject({ orders_completed: 1, revenue: 40, currency: 'USD', avg_order_value: 40 });

      const tables = new Set(changes.map((c) => c.table));
      // The analytics runs' creator state keeps the revenue days its creator row sums.
      expect(tables).toEqual(
        new Set(['commerce_orders', 'order_metrics', 'daily_revenue_metrics', 'analytics_creator_state']),
      );
      expect(changes.every((c) => (c.newRow ?? c.oldRow)?.['creator_id'] === C)).toBe(true);
    });

    it('loses no update when many orders of one creator are appended at once', async () => {
      const orders = Array.from({ length: 40 }, (_, i) => `c${i}`);
      await Promise.all(
        orders.map((id) =>
          store.append(orderStream(C, id), [commerceEvent('order.validated', { creatorId: C, orderId: id })]),
        ),
      );
      await commerce.whenIdle();
      expect(
        await commerce.readModels.unscopedFind<OrderMetricsRow>('order_metrics', { creator_id: C }),
      ).toMatchObject({
        received_orders: 40,
        active_orders: 40,
      });
      expect(await commerce.readModels.unscopedRows('commerce_orders')).toHaveLength(40);
    });

    it('raises a low-stock alert when stock crosses the threshold, and resolves it on restock', async () => {
      await stock(store, 'p1', 12, 10);
      await commerce.whenIdle();
      expect(await commerce.readModels.unscopedRows('inventory_alerts')).toEqual([]);

      await store.append(orderStream(C, 'o9'), [
        commerceEvent('inventory.reserved', { creatorId: C, productId: 'p1', orderId: 'o9', quantity: 5 }),
      ]);
      await commerce.whenIdle();
      await commerce.whenIdle(); // the alert event itself is read once more
      const level = await commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: 'p1',
      });
      expect(level).toMatchObject({
        on_hand: 12,
        reserved: 5,
        available: 7,
        low_stock: true,
        low_stock_alerted: true,
      });
      const alerts = await commerce.readModels.unscopedRows<InventoryAlertRow>('inventory_alerts');
      const low = alerts.find((a) => a.alert_type === 'low_stock');
      expect(low).toMatchObject({ status: 'active', quantity: 7, threshold: 10 });
      expect(['warning', 'critical']).toContain(low?.severity);
      const raised = (await store.readAll({ limit: 1000 })).events.filter(
        (e) => e.type === 'inventory.low_stock_detected',
      );
      expect(raised).toHaveLength(1);
      expect(raised[0]?.data).toMatchObject({ creatorId: C, productId: 'p1', quantity: 7, threshold: 10 });
      // A reorder is suggested with a quantity.
      const reorder = (await store.readAll({ limit: 1000 })).events.find(
        (e) => e.type === 'inventory.reorder_triggered',
      );
      expect((reorder?.data as { suggestedQuantity: number }).suggestedQuantity).toBeGreaterThan(0);

      // More sales while the alert is open do not raise it again.
      await store.append(orderStream(C, 'o10'), [
        commerceEvent('inventory.reserved', { creatorId: C, productId: 'p1', orderId: 'o10', quantity: 1 }),
      ]);
      await commerce.whenIdle();
      await stock(store, 'p1', 100, 10);
      await commerce.whenIdle();
      await commerce.whenIdle();
      const after = await commerce.readModels.unscopedRows<InventoryAlertRow>('inventory_alerts');
      expect(after.find((a) => a.alert_type === 'low_stock')).toMatchObject({ status: 'resolved' });
      const all = (await store.readAll({ limit: 1000 })).events;
      expect(all.filter((e) => e.type === 'inventory.low_stock_detected')).toHaveLength(1);
      expect(changes.some((c) => c.table === 'inventory_alerts' && c.newRow?.['status'] === 'resolved')).toBe(
        true,
      );
    });

    it('runs the fulfillment saga to completion from order.received_from_tiktok', async () => {
      await stock(store, 'p1', 50);
      await stock(store, 'p2', 50);
      bed.tiktok.addOrder({
        orderId: 'o1',
        status: 'AWAITING_SHIPMENT',
        lines: [
          { productId: 'p1', quantity: 2 },
          { productId: 'p2', quantity: 1 },
        ],
        totalAmount: 60,
        currency: 'USD',
      });
      await store.append(orderStream(C, 'o1'), [received('o1')]);
      const state = await commerce.waitForFulfillment(C, 'o1');
      expect(state.status).toBe('completed');
      await commerce.whenIdle();
      await commerce.whenIdle();

      const types = (await store.readStream(orderStream(C, 'o1'))).events.map((e) => e.type);
      expect(types).toEqual([
        'order.received_from_tiktok',
        'order.validated',
        'order.inventory_allocated',
        'inventory.reserved',
        'inventory.reserved',
        'order.payment_processed',
        'order.shipped',
        'inventory.released',
        'inventory.released',
      ]);
      expect(bed.payments.netCaptured()).toBe(60);
      expect(bed.shipping.activeLabels()).toBe(1);
      expect(bed.tiktok.shipping.get('o1')).toMatchObject({ carrier: 'USPS', provider: 'shippo' });
      const order = await commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
        creator_id: C,
        order_id: 'o1',
      });
      expect(order).toMatchObject({ status: 'shipped', automated: true, amount: 60 });
      const p1 = await commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: 'p1',
      });
      expect(p1).toMatchObject({ on_hand: 48, reserved: 0, available: 48 });
      const metrics = await commerce.readModels.unscopedFind<OrderMetricsRow>('order_metrics', {
        creator_id: C,
      });
      expect(metrics).toMatchObject({ active_orders: 0, automated_orders: 1, automation_health_pct: 100 });
    });

    it('compensates in reverse order when payment is declined, and returns the stock', async () => {
      await stock(store, 'p1', 50);
      bed.payments.behaviour.failNext('charge', 'permanent');
      await store.append(orderStream(C, 'o2'), [
        received('o2', { lineItems: [{ productId: 'p1', quantity: 3 }], totalAmount: 30 }),
      ]);
      const state = await commerce.waitForFulfillment(C, 'o2');
      expect(state.status).toBe('compensated');
      expect(state.error?.message).toMatch(/rejected/);
      const history = await commerce.sagaRunner!.history(state.sagaId);
      expect(history.filter((h) => h.phase === 'compensation').map((h) => h.name)).toEqual([
        'release_inventory',
        'mark_order_failed',
      ]);
      await commerce.whenIdle();
      await commerce.whenIdle();
      const p1 = await commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: 'p1',
      });
      expect(p1).toMatchObject({ on_hand: 50, reserved: 0, available: 50 });
      const released = (await store.readStream(orderStream(C, 'o2'))).events.filter(
        (e) => e.type === 'inventory.released',
      );
      // Released once, by the compensation; the cancellation found nothing left to release.
      expect(released.map((e) => (e.data as { reason: string }).reason)).toEqual(['compensation']);
      const order = await commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
        creator_id: C,
        order_id: 'o2',
      });
      expect(order).toMatchObject({ status: 'cancelled', failed: true });
      const metrics = await commerce.readModels.unscopedFind<OrderMetricsRow>('order_metrics', {
        creator_id: C,
      });
      expect(metrics).toMatchObject({
        active_orders: 0,
        failed_orders: 1,
        manual_orders: 1,
        automation_health_pct: 0,
      });
      expect(bed.payments.netCaptured()).toBe(0);
    });

    it('refunds and voids the label when TikTok rejects the shipping update', async () => {
      await stock(store, 'p1', 5);
      bed.tiktok.behaviour.failNext('updateShipping', 'permanent');
      await store.append(orderStream(C, 'o3'), [
        received('o3', { lineItems: [{ productId: 'p1', quantity: 1 }], totalAmount: 25 }),
      ]);
      const state = await commerce.waitForFulfillment(C, 'o3');
      expect(state.status).toBe('compensated');
      const compensations = (await commerce.sagaRunner!.history(state.sagaId))
        .filter((h) => h.phase === 'compensation')
        .map((h) => h.name);
      expect(compensations).toEqual([
        'cancel_shipping',
        'refund_payment',
        'release_inventory',
        'mark_order_failed',
      ]);
      expect(bed.payments.netCaptured()).toBe(0);
      expect(bed.shipping.activeLabels()).toBe(0);
      await commerce.whenIdle();
      const order = await commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
        creator_id: C,
        order_id: 'o3',
      });
      expect(order).toMatchObject({ status: 'refunded', failed: true, refunded_amount: 25 });
    });

    it('refunds a charge whose reply was lost, and voids a label bought the same way', async () => {
      await stock(store, 'p1', 10);
      // The charge acts, its reply is lost, and every retry finds the provider down.
      bed.payments.behaviour.failNext('charge', 'lost_reply').failNext('charge', 'transient', 10);
      await store.append(orderStream(C, 'o9'), [
        received('o9', { lineItems: [{ productId: 'p1', quantity: 1 }], totalAmount: 40 }),
      ]);
      const charged = await commerce.waitForFulfillment(C, 'o9');
      expect(charged.status).toBe('compensated');
      const compensations = (await commerce.sagaRunner!.history(charged.sagaId))
        .filter((h) => h.phase === 'compensation')
        .map((h) => h.name);
      expect(compensations).toEqual(['refund_payment', 'release_inventory', 'mark_order_failed']);
      expect(bed.payments.netCaptured()).toBe(0);

      bed.shipping.behaviour.failNext('createLabel', 'lost_reply').failNext('createLabel', 'transient', 10);
      await store.append(orderStream(C, 'o10'), [
        received('o10', { lineItems: [{ productId: 'p1', quantity: 1 }], totalAmount: 40 }),
      ]);
      const labelled = await commerce.waitForFulfillment(C, 'o10');
      expect(labelled.status).toBe('compensated');
      expect(bed.shipping.activeLabels()).toBe(0);
      expect(bed.payments.netCaptured()).toBe(0);
    });

    it('fails an order without enough stock and never reserves it', async () => {
      await stock(store, 'p1', 1);
      await store.append(orderStream(C, 'o4'), [
        received('o4', { lineItems: [{ productId: 'p1', quantity: 2 }], totalAmount: 9 }),
      ]);
      const state = await commerce.waitForFulfillment(C, 'o4');
      expect(state.status).toBe('compensated');
      expect(state.error?.message).toMatch(/not enough stock/);
      const types = (await store.readStream(orderStream(C, 'o4'))).events.map((e) => e.type);
      expect(types).not.toContain('inventory.reserved');
      expect(types).toContain('order.cancelled');
    });

    it('starts one saga per order however often TikTok reports it', async () => {
      await stock(store, 'p1', 10, 0);
      const lines = { lineItems: [{ productId: 'p1', quantity: 1 }], totalAmount: 5 };
      await store.append(orderStream(C, 'o5'), [received('o5', lines)]);
      await store.append(orderStream(C, 'o5'), [received('o5', lines)]);
      expect((await commerce.waitForFulfillment(C, 'o5')).status).toBe('completed');
      await commerce.whenIdle();
      const sagas = await commerce.sagaRunner!.list();
      expect(sagas.filter((s) => s.sagaId.endsWith(':o5'))).toHaveLength(1);
      expect(bed.payments.netCaptured()).toBe(5);
    });

    it('turns health measurements into statuses and publishes a change to critical', async () => {
      const critical: RowChange[] = [];
      commerce.changesOf('system_health_metrics').subscribe((c) => {
        if (c.newRow?.['status'] === 'critical') critical.push(c);
      });
      await store.append('health', [
        commerceEvent('system.health_check_completed', {
          component: 'tiktok_api',
          status: 'nominal',
          measurements: { webhook_latency_ms: 40, rate_limit_headroom: 0.9 },
          checkedAt: T0,
          creatorId: C,
        }),
      ]);
      await commerce.whenIdle();
      expect(
        await commerce.readModels.unscopedFind<SystemHealthRow>('system_health_metrics', {
          creator_id: C,
          component: 'tiktok_api',
        }),
      ).toMatchObject({ status: 'nominal', breaches: [] });
      await store.append('health', [
        commerceEvent('system.health_check_completed', {
          component: 'tiktok_api',
          status: 'nominal',
          measurements: { webhook_latency_ms: 2500 },
          checkedAt: T0,
          creatorId: C,
        }),
        commerceEvent('system.sync_failure_detected', {
          component: 'inventory_sync',
          operation: 'stock_pull',
          errorCode: 'TIMEOUT',
          message: 'timed out',
          creatorId: C,
        }),
      ]);
      // Inline read models: the change is published when the append returns.
      if (commerce.readModels.mode === 'inline') expect(critical).toHaveLength(1);
      await commerce.whenIdle();
      const row = await commerce.readModels.unscopedFind<SystemHealthRow>('system_health_metrics', {
        creator_id: C,
        component: 'tiktok_api',
      });
      expect(row).toMatchObject({
        status: 'critical',
        previous_status: 'nominal',
        breaches: ['webhook_latency_ms'],
      });
      expect(row?.measurements).toEqual({ webhook_latency_ms: 2500, rate_limit_headroom: 0.9 });
      const sync = await commerce.readModels.unscopedFind<SyncOperationRow>('sync_operations', {
        creator_id: C,
        component: 'inventory_sync',
        operation: 'stock_pull',
      });
      expect(sync).toMatchObject({ status: 'failed', consecutive_failures: 1, last_error_code: 'TIMEOUT' });
      const inv = await commerce.readModels.unscopedFind<SystemHealthRow>('system_health_metrics', {
        creator_id: C,
        component: 'inventory_sync',
      });
      expect(inv).toMatchObject({ status: 'warning', breaches: ['failures'] });
    });

    it('whenIdle waits for the events its processors append while catching up', async () => {
      // Async read models: the inventory handler appends low_stock_detected after the
      // read models caught up with the stock report, and they fold it after that.
      const asyncBed = await engine.open({ readModels: 'async' });
      try {
        for (const productId of ['w1', 'w2', 'w3', 'w4', 'w5']) {
          await stock(asyncBed.store, productId, 4);
          await asyncBed.commerce.whenIdle();
          const level = await asyncBed.commerce.readModels.unscopedFind<InventoryLevelRow>(
            'inventory_levels',
            {
              creator_id: C,
              product_id: productId,
            },
          );
          expect(level).toMatchObject({ on_hand: 4, low_stock: true, low_stock_alerted: true });
        }
      } finally {
        await asyncBed.close();
      }
    });

    it('rebuilds every read model from the log to the same rows', async () => {
      await stock(store, 'p1', 12);
      bed.payments.behaviour.failNext('charge', 'permanent');
      await store.append(orderStream(C, 'r1'), [
        received('r1', { lineItems: [{ productId: 'p1', quantity: 2 }], totalAmount: 8 }),
      ]);
      expect((await commerce.waitForFulfillment(C, 'r1')).status).toBe('compensated');
      await store.append(orderStream(C, 'r2'), [
        received('r2', { lineItems: [{ productId: 'p1', quantity: 3 }], totalAmount: 9 }),
      ]);
      expect((await commerce.waitForFulfillment(C, 'r2')).status).toBe('completed');
      await eventually(async () => {
        const level = await commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
          creator_id: C,
          product_id: 'p1',
        });
        expect(level).toMatchObject({ on_hand: 9, reserved: 0 });
      });
      await commerce.whenIdle();
      const snapshot = async () =>
        Object.fromEntries(
          await Promise.all(
            COMMERCE_TABLES.map(async (t) => [t, await commerce.readModels.unscopedRows(t)] as const),
          ),
        );
      const before = await snapshot();
      expect(before['commerce_orders']).toHaveLength(2);
      const replayed = await commerce.readModels.rebuild();
      expect(replayed).toBeGreaterThan(10);
      expect(await snapshot()).toEqual(before);
      // Appends after the rebuild are applied once, as before.
      await store.append(orderStream(C, 'r2'), [
        commerceEvent('order.delivered', {
          creatorId: C,
          orderId: 'r2',
          deliveredAt: '2026-03-02T00:00:00.000Z',
        }),
      ]);
      await commerce.whenIdle();
      expect(
        await commerce.readModels.unscopedFind<OrderMetricsRow>('order_metrics', { creator_id: C }),
      ).toMatchObject({
        received_orders: 2,
        shipped_orders: 1,
        failed_orders: 1,
      });
    });

    it('flags a demand spike and lets a later sync resolve it once demand is back to normal', async () => {
      const t = Date.UTC(2026, 2, 1, 12);
      await store.append(`inventory-${C}-viral`, [
        commerceEvent(
          'inventory.stock_updated',
          { creatorId: C, productId: 'viral', quantity: 1000, reason: 'restock', threshold: 5 },
          { occurredAt: new Date(t - 5 * 3_600_000) },
        ),
      ]);
      await store.append(orderStream(C, 'v1'), [
        commerceEvent(
          'inventory.reserved',
          { creatorId: C, productId: 'viral', orderId: 'v1', quantity: 15 },
          { occurredAt: new Date(t - 3_600_000) },
        ),
      ]);
      await commerce.whenIdle();
      const spike = await commerce.readModels.unscopedFind<InventoryAlertRow>('inventory_alerts', {
        creator_id: C,
        product_id: 'viral',
        alert_type: 'velocity_anomaly',
      });
      expect(spike).toMatchObject({ status: 'active', severity: 'warning', details: { kind: 'spike' } });

      const later = await commerce.syncInventoryLevels(C, JOB, new Date(t + 6 * 3_600_000));
      expect(later.anomalies).toBe(0);
      const resolved = await commerce.readModels.unscopedFind<InventoryAlertRow>('inventory_alerts', {
        creator_id: C,
        product_id: 'viral',
        alert_type: 'velocity_anomaly',
      });
      expect(resolved).toMatchObject({ status: 'resolved' });
      const level = await commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: 'viral',
      });
      expect(level).toMatchObject({ anomaly: null, on_hand: 1000, reserved: 15 });
      expect(
        changes.some(
          (c) =>
            c.table === 'inventory_alerts' &&
            c.key['alert_type'] === 'velocity_anomaly' &&
            c.newRow?.['status'] === 'resolved',
        ),
      ).toBe(true);
    });

    it('syncInventoryLevels recomputes every product, raises due alerts once and records the run', async () => {
      const events = Array.from({ length: 30 }, (_, i) =>
        commerceEvent('inventory.stock_updated', {
          creatorId: C,
          productId: `p${String(i).padStart(2, '0')}`,
          quantity: i,
          reason: 'sync',
          threshold: 5,
        }),
      );
      // Written while the handler is stopped, as a bulk import would be.
      await commerce.inventoryHandler.stop();
      await store.append('bulk', events);
      await store.append('other', [
        commerceEvent('inventory.stock_updated', {
          creatorId: 'creator-2',
          productId: 'x',
          quantity: 0,
          reason: 'sync',
        }),
      ]);
      const first = await commerce.syncInventoryLevels(C, JOB);
      expect(first).toMatchObject({ creatorId: C, products: 30, lowStock: 6, lowStockAlertsRaised: 6 });
      // The handler, catching up, finds those alerts open and raises nothing more.
      await commerce.inventoryHandler.start();
      await commerce.whenIdle();
      await commerce.whenIdle();
      const second = await commerce.syncInventoryLevels(C, JOB);
      expect(second).toMatchObject({
        products: 30,
        lowStock: 6,
        lowStockAlertsRaised: 0,
        reordersTriggered: 0,
      });
      const active = (await commerce.readModels.unscopedRows<InventoryAlertRow>('inventory_alerts')).filter(
        (a) => a.alert_type === 'low_stock' && a.status === 'active',
      );
      const alerts = active.filter((a) => a.creator_id === C);
      expect(alerts.map((a) => a.product_id).sort()).toEqual(['p00', 'p01', 'p02', 'p03', 'p04', 'p05']);
      // The other creator's product is alerted under its own creator id, untouched by this sync.
      expect(active.filter((a) => a.creator_id !== C).map((a) => [a.creator_id, a.product_id])).toEqual([
        ['creator-2', 'x'],
      ]);
      expect(alerts.find((a) => a.product_id === 'p00')?.severity).toBe('critical');
      const run = await commerce.readModels.unscopedFind<SyncOperationRow>('sync_operations', {
        creator_id: C,
        component: 'inventory_sync',
        operation: 'sync_inventory_levels',
      });
      expect(run).toMatchObject({ status: 'completed', total_runs: 2, items: 30 });
      const raised = (await store.readAll({ limit: 1000 })).events.filter(
        (e) => e.type === 'inventory.low_stock_detected' && (e.data as { creatorId: string }).creatorId === C,
      );
      expect(raised).toHaveLength(6);
      expect(changes.some((c) => c.table === 'sync_operations')).toBe(true);
    });
  });
});
