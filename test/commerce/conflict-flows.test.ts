/**
 * resolve-sync-conflicts in the commerce flows: stock and order reports from
 * several sources become contenders, windows are settled by the conflict
 * engine, and the settled value (or an admin's decision) is what the read
 * models show. Memory, PGlite and PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  inventoryStream,
  orderReportEvent,
  orderStream,
  stockReportEvent,
  type CommerceOrderRow,
  type InventoryAlertRow,
  type InventoryLevelRow,
  type StockReported,
} from '../../src/commerce/index.js';
import { SyncConflictProcessor } from '../../src/commerce/conflicts/index.js';
import { InvalidArgumentError, ValidationError } from '../../src/core/errors.js';
import { waitFor } from '../support/wait.js';
import { commerceEngines, type CommerceTestbed } from './support.js';

const C = 'creator-1';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const LATER = T0 + 3_600_000;

describe.each(commerceEngines)('sync conflicts in the commerce flows ($name)', (engine) => {
  let bed: CommerceTestbed;
  let conflicts: SyncConflictProcessor;

  beforeEach(async () => {
    // The timer never fires in a test: settleDue is called with the clock the test chooses.
    bed = await engine.open({ conflicts: { tickMs: 3_600_000 } });
    conflicts = bed.commerce.conflicts!;
  });
  afterEach(async () => {
    await bed.close();
  });

  async function report(productId: string, source: StockReported['source'], quantity: number, ms: number) {
    await bed.store.append(inventoryStream(C, productId), [
      stockReportEvent({ creatorId: C, productId, quantity, source, sourceId: source, reportedAt: at(ms) }),
    ]);
  }
  async function settle(nowMs = LATER) {
    await conflicts.whenCaughtUp();
    const result = await conflicts.settleDue(nowMs);
    await bed.commerce.whenIdle();
    return result;
  }
  const onHand = async (productId: string) =>
    (
      await bed.commerce.readModels.unscopedFind<InventoryLevelRow>('inventory_levels', {
        creator_id: C,
        product_id: productId,
      })
    )?.on_hand;

  it('a lone report is applied as it is; it waits until its window has closed', async () => {
    await report('p1', 'tiktok_webhook', 40, 0);
    expect(await settle(T0 + 5_999)).toEqual({ applied: 0, resolved: 0, escalated: 0 });
    expect(await onHand('p1')).toBeUndefined();
    expect(await settle(T0 + 6_000)).toEqual({ applied: 1, resolved: 0, escalated: 0 });
    expect(await onHand('p1')).toBe(40);
  });

  it('TikTok vs an admin in one window: settled by the stock rule, audited, and the sync_conflict alert fires', async () => {
    await report('p1', 'tiktok_webhook', 50, 0);
    await settle();
    await report('p1', 'manual_admin', 48, 1_000);
    await report('p1', 'tiktok_webhook', 50, 2_000);
    expect(await settle()).toEqual({ applied: 0, resolved: 1, escalated: 0 });
    expect(await onHand('p1')).toBe(48);
    const [record] = await conflicts.unscopedResolver.list({ entityType: 'inventory' });
    expect(record!.status).toBe('resolved');
    expect(record!.resolution.kind).toBe('tiktok_vs_manual_changes');
    const { events } = await bed.store.readAll();
    const detected = events.filter((e) => e.type === 'inventory.sync_conflict_detected');
    expect(detected).toHaveLength(1);
    expect(detected[0]!.data).toMatchObject({ creatorId: C, productId: 'p1', resolvedQuantity: 48 });
    const alerts = await bed.commerce.readModels.unscopedRows<InventoryAlertRow>('inventory_alerts');
    expect(alerts.some((a) => a.alert_type === 'sync_conflict' && a.product_id === 'p1')).toBe(true);
  });

  it('TikTok vs a scheduled sync escalates; stock waits for the admin, whose decision reaches the read model', async () => {
    await report('p1', 'tiktok_webhook', 50, 0);
    await settle();
    await report('p1', 'tiktok_webhook', 30, 1_000);
    await report('p1', 'scheduled_sync', 45, 1_500);
    expect(await settle()).toEqual({ applied: 0, resolved: 0, escalated: 1 });
    expect(await onHand('p1')).toBe(50);
    const [pending] = await conflicts.unscopedResolver.listPending();
    expect(pending!.resolution.escalation!.reasons.map((r) => r.code)).toContain('cross_platform_mismatch');
    await conflicts.unscopedResolver.resolveManually(pending!.conflictId, {
      values: { quantity: 31 },
      adminId: 'admin-1',
      note: 'counted the shelf',
    });
    await bed.commerce.whenIdle();
    await conflicts.whenCaughtUp();
    await bed.commerce.whenIdle();
    expect(await onHand('p1')).toBe(31);
    const [decided] = await conflicts.unscopedResolver.list({ status: 'manually_resolved' });
    expect(decided!.manualOverride).toMatchObject({ adminId: 'admin-1', note: 'counted the shelf' });
  });

  it('orders: shipping says delivered, TikTok says cancelled -> escalated; agreeing sources settle the amount', async () => {
    const orderReport = (orderId: string, source: StockReported['source'], ms: number, extra: object) =>
      bed.store.append(orderStream(C, orderId), [
        orderReportEvent({ creatorId: C, orderId, source, sourceId: source, reportedAt: at(ms), ...extra }),
      ]);
    await orderReport('o1', 'shipping_provider', 0, { status: 'delivered' });
    await orderReport('o1', 'tiktok_webhook', 500, { status: 'cancelled' });
    await orderReport('o2', 'payment_processor', 0, { status: 'paid', totalAmount: 80 });
    await orderReport('o2', 'automated_system', 100, { status: 'paid', totalAmount: 80 });
    expect(await settle()).toEqual({ applied: 0, resolved: 1, escalated: 1 });
    const o1 = await bed.commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
      creator_id: C,
      order_id: 'o1',
    });
    expect(o1).toBeNull();
    const o2 = await bed.commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
      creator_id: C,
      order_id: 'o2',
    });
    expect(o2).toMatchObject({ status: 'paid', amount: 80 });
    const [pending] = await conflicts.unscopedResolver.listPending({ entityType: 'order' });
    expect(pending!.resolution.entityId).toBe('o1');
  });

  it('a report is refused with a typed error when it is malformed, and nothing is staged', async () => {
    const bad = stockReportEvent({
      creatorId: C,
      productId: 'p1',
      quantity: -3,
      source: 'tiktok_webhook',
      sourceId: 'shop',
      reportedAt: at(0),
    });
    await expect(bed.store.append(inventoryStream(C, 'p1'), [bad])).rejects.toBeInstanceOf(ValidationError);
    const unknownSource = { ...bad, data: { ...bad.data, quantity: 3, source: 'carrier_pigeon' } };
    await expect(bed.store.append(inventoryStream(C, 'p1'), [unknownSource])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await conflicts.whenCaughtUp();
    expect(await conflicts.staging.open()).toEqual([]);
    expect(() => new SyncConflictProcessor(bed.store, bed.commerce.readModels, { concurrency: 0 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new SyncConflictProcessor(bed.store, bed.commerce.readModels, { settleMs: -1 })).toThrow(
      InvalidArgumentError,
    );
    for (const stagingCoalesceMs of [-1, Number.POSITIVE_INFINITY, 120_000])
      expect(
        () => new SyncConflictProcessor(bed.store, bed.commerce.readModels, { stagingCoalesceMs }),
      ).toThrow(InvalidArgumentError);
  });

  it('an open window survives a restart: staged reports are settled by the next instance', async () => {
    await report('p1', 'automated_system', 30, 0);
    await report('p1', 'scheduled_sync', 29, 500);
    await conflicts.whenCaughtUp();
    await conflicts.stop();
    const next = new SyncConflictProcessor(bed.store, bed.commerce.readModels, { tickMs: 3_600_000 });
    await next.start();
    try {
      // The reports were staged by the stopped instance; nothing needs reading again.
      await waitFor(() => next.processor.leaseHeld, { what: 'the lease' });
      expect(await next.settleDue(LATER)).toEqual({ applied: 0, resolved: 1, escalated: 0 });
      await bed.commerce.readModels.whenCaughtUp(); // commerce.whenIdle would wait on the stopped instance
      expect(await onHand('p1')).toBe(29);
      // Settling again writes nothing twice.
      expect(await next.settleDue(LATER)).toEqual({ applied: 0, resolved: 0, escalated: 0 });
      const { events } = await bed.store.readAll();
      expect(events.filter((e) => e.type === 'inventory.stock_updated')).toHaveLength(1);
    } finally {
      await next.stop();
    }
  });

  it('refunds: over $500 in a conflict goes to the queue; a smaller one is settled into refunded_amount', async () => {
    const refund = (orderId: string, source: StockReported['source'], ms: number, refundedAmount: number) =>
      bed.store.append(orderStream(C, orderId), [
        orderReportEvent({
          creatorId: C,
          orderId,
          source,
          sourceId: source,
          reportedAt: at(ms),
          status: 'refunded',
          refundedAmount,
        }),
      ]);
    await refund('r1', 'payment_processor', 0, 500.01);
    await refund('r1', 'automated_system', 10, 500.01);
    await refund('r2', 'payment_processor', 0, 40);
    await refund('r2', 'manual_admin', 10, 40);
    expect(await settle()).toEqual({ applied: 0, resolved: 1, escalated: 1 });
    const [pending] = await conflicts.unscopedResolver.listPending({ entityType: 'order' });
    expect(pending!.resolution.entityId).toBe('r1');
    expect(pending!.resolution.escalation!.reasons.map((r) => r.code)).toEqual(['payment_amount']);
    const r2 = await bed.commerce.readModels.unscopedFind<CommerceOrderRow>('commerce_orders', {
      creator_id: C,
      order_id: 'r2',
    });
    expect(r2).toMatchObject({ status: 'refunded' });
    expect(Number(r2!.refunded_amount)).toBe(40);
  });

  it('an order over $1000 escalates even when the sources agree on its status', async () => {
    for (const [source, ms] of [
      ['payment_processor', 0],
      ['automated_system', 10],
    ] as const) {
      await bed.store.append(orderStream(C, 'big'), [
        orderReportEvent({
          creatorId: C,
          orderId: 'big',
          source,
          sourceId: source,
          reportedAt: at(ms),
          status: 'paid',
          totalAmount: 1_000.01,
        }),
      ]);
    }
    expect(await settle()).toEqual({ applied: 0, resolved: 0, escalated: 1 });
    const [pending] = await conflicts.unscopedResolver.listPending({ entityType: 'order' });
    expect(pending!.resolution.escalation!.reasons.map((r) => r.code)).toEqual(['order_value']);
  });
});
